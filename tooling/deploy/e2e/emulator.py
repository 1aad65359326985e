"""The moto server of the e2e run: `python -m tooling.deploy.e2e.emulator [--port N]`.

It serves moto's own WSGI app with the patches of moto_patches.py applied in this process and the Schemas
stand-in in front, on 127.0.0.1. Port 0 (the default) takes a free port; the first line printed is
`listening <port>` so the parent learns it without a race.
"""

from __future__ import annotations

import argparse
import contextlib
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling.deploy.e2e.emulator")
    parser.add_argument("--port", type=int, default=0)
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

    from tooling.deploy.e2e import moto_patches
    from tooling.deploy.e2e.schemas_api import SchemasApi

    if moto.__version__ != moto_patches.MOTO_VERSION:
        print(
            f"error: moto {moto.__version__} is installed; the e2e patches are for {moto_patches.MOTO_VERSION}",
            file=sys.stderr,
        )
        return 3
    for line in moto_patches.apply_all():
        print(f"patched {line}", file=sys.stderr)
    app = SchemasApi(DomainDispatcherApplication(create_backend_app))
    try:
        server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=MotoRequestHandler)
    except (OSError, SystemExit):  # werkzeug prints why and exits 1 when the port is taken
        print(f"error: cannot listen on 127.0.0.1:{args.port}: the port is in use", file=sys.stderr)
        return 4
    print(f"listening {server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
