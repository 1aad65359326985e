"""The moto server of the e2e run: `python -m tooling_testing.emulator [--port N]`.

It serves moto's own WSGI app with the patches of moto_patches.py applied in this process and the Schemas
and global-endpoints stand-ins in front, on 127.0.0.1. Port 0 (the default) takes a free port; the first line printed is
`listening <port>` so the parent learns it without a race.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import signal
import sys
import time
from typing import Any

from tooling_testing.emulator import function_runner
from tooling_testing.emulator.endpoints_api import GlobalEndpoints
from tooling_testing.emulator.schemas_api import SCOPE, SchemasApi


def _front(app: Any) -> Any:
    """Log each call as `call <service> <region> <operation> <path> <status> <seconds>` (werkzeug's own line
    names no operation), and answer an SDK's retry of a call that already succeeded with that answer.

    Now and then a response of moto's development server does not reach the client, which then retries the
    same invocation (same `amz-sdk-invocation-id`); moto would run a non-idempotent create twice (two
    AddPermission statements with one Sid, CreateArchive "already exists") and the stack could not be
    destroyed or applied. Replaying the first answer is what the client should have received."""
    answered: dict[str, tuple[str, list[Any], bytes]] = {}

    def front(environ: dict[str, Any], start_response: Any) -> Any:
        started = time.monotonic()
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)  # read once here, so moto reads it again
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID", "")
        replayed = invocation in answered
        if replayed:
            status, headers, payload = answered[invocation]
        else:
            captured: list[Any] = []

            def start(code: str, response_headers: Any, *args: Any) -> Any:
                captured[:] = [code, list(response_headers)]
                return lambda data: None

            result = app(environ, start)
            try:
                payload = b"".join(result)
            finally:
                getattr(result, "close", lambda: None)()
            status, headers = captured
            if invocation and int(status.split()[0]) < 500:  # a server error may be retried for real
                answered[invocation] = (status, headers, payload)
        start_response(status, headers)
        _log(environ, body, status, time.monotonic() - started, "replayed" if replayed else "")
        return [payload]

    return front


def _log(environ: dict[str, Any], body: bytes, status: str, seconds: float, note: str) -> None:
    scope = SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service, region = (scope.group(2), scope.group(1)) if scope else ("-", "-")
    action = re.search(rb"(?:^|&)Action=([A-Za-z]+)", body[:2048]) if body else None
    operation = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
    operation = operation or (action.group(1).decode() if action else environ.get("REQUEST_METHOD", ""))
    print(
        f"call {service} {region} {operation} {environ.get('PATH_INFO', '')} {status.split()[0]} "
        f"{seconds:.3f}s {note}".rstrip(),
        file=sys.stderr, flush=True,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling_testing.emulator")
    parser.add_argument("--port", type=int, default=0)
    # The recorded steps' calls (recorder.py), for the CI roles' check; none when absent.
    parser.add_argument("--calls", default=None)
    args = parser.parse_args(argv)
    try:
        import moto
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server
    except ImportError as exc:
        print(f"error: moto[server] is not installed ({exc})", file=sys.stderr)
        return 3

    from tooling_testing.emulator import moto_patches

    if moto.__version__ != moto_patches.MOTO_VERSION:
        print(
            f"error: moto {moto.__version__} is installed; the e2e patches are for {moto_patches.MOTO_VERSION}",
            file=sys.stderr,
        )
        return 3
    for line in moto_patches.apply_all():
        print(f"patched {line}", file=sys.stderr)
    app: Any = SchemasApi(GlobalEndpoints(DomainDispatcherApplication(create_backend_app)))
    app = function_runner.Switch(app)
    if args.calls:
        from pathlib import Path

        from tooling_testing.checks.recorder import Recorder

        app = Recorder(app, Path(args.calls))
    app = _front(app)
    try:
        server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=MotoRequestHandler)
    except (OSError, SystemExit):  # werkzeug prints why and exits 1 when the port is taken
        print(f"error: cannot listen on 127.0.0.1:{args.port}: the port is in use", file=sys.stderr)
        return 4
    from tooling_testing.checks import authorization

    authorization.set_endpoint(f"http://127.0.0.1:{server.server_address[1]}")
    function_runner.set_endpoint(f"http://127.0.0.1:{server.server_address[1]}")
    print(f"listening {server.server_address[1]}", flush=True)
    # server.py stops the server with SIGTERM: unwind as from Ctrl-C, so exit handlers run (the function
    # runner's workers and unpacked code are removed).
    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
