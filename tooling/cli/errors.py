"""Turn exceptions into one clear stderr line, a hint, and an exit code."""

from __future__ import annotations

import errno
import os
import sys
import traceback
from pathlib import Path

import typer

from tooling.errors import AwsError, DamagedStateError, ToolingError, UsageError
from tooling.workspace import project_root


def _botocore(exc: BaseException) -> ToolingError | None:
    try:
        from botocore.exceptions import (
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
            NoRegionError,
            PartialCredentialsError,
        )
    except ImportError:  # pragma: no cover - boto3 is a runtime dependency
        return None
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return AwsError(
            "no AWS credentials found",
            hint="configure them (aws configure, AWS_PROFILE or AWS_ACCESS_KEY_ID/...), "
            "or use the local target: --target local",
        )
    if isinstance(exc, NoRegionError):
        return AwsError(
            "no AWS region configured", hint="set AWS_REGION or the region in environments/<env>.toml"
        )
    if isinstance(exc, EndpointConnectionError):
        return AwsError(f"cannot reach AWS: {exc}", hint="check the network, the region and AWS_ENDPOINT_URL")
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = err.get("Code", "Unknown")
        message = err.get("Message", str(exc))
        op = exc.operation_name
        hints = {
            "ThrottlingException": "AWS is throttling this account; wait a moment and retry",
            "AccessDeniedException": "the credentials lack permission for this call; check the IAM policy",
            "UnrecognizedClientException": "the credentials are invalid or expired; refresh them",
            "ExpiredTokenException": "the session token has expired; refresh your credentials",
            "ResourceNotFoundException": "the resource is missing: was the environment applied? run `make apply`",
        }
        return AwsError(f"AWS {op} failed: {code}: {message}", hint=hints.get(code))
    return None


def _project_path(exc: BaseException) -> ToolingError | None:
    """An OSError on a path of the project (`.tooling/dev/x.lock` a folder, `build` a file, ...): one line
    naming the path. The places that expect such damage say more; this catches the ones that do not."""
    if not isinstance(exc, OSError) or exc.filename is None or isinstance(exc.filename, int):
        return None
    root = project_root()
    names = []
    for name in (exc.filename, exc.filename2):
        if name is None or isinstance(name, int):
            continue
        try:
            names.append(Path(os.fsdecode(name)).absolute().relative_to(root))
        except ValueError:
            continue
    if not names:
        return None
    where = names[-1].parts or (".",)  # of a rename, the destination is the tooling's own path
    own = where[0] in (".tooling", "build")
    hints = {
        errno.EISDIR: "a folder stands where the tooling keeps a file: move it aside and run the command again",
        errno.ENOTDIR: "a file stands where the tooling keeps a folder: move it aside and run the command again",
        errno.EEXIST: "a file stands where the tooling keeps a folder: move it aside and run the command again",
    }
    if exc.errno in (errno.EACCES, errno.EPERM):
        hint = "check the owner and permissions of the path"
    else:
        hint = hints.get(exc.errno or 0, "check the path") if own else "check the path"
    if len(where) > 1 and where[0] == ".tooling":
        hint += f"; `tooling doctor --env {where[1]}` checks every state file"
    error = DamagedStateError if own else UsageError
    return error(f"{' -> '.join(map(str, names))}: {exc.strerror or exc}", hint=hint)


def handle(exc: BaseException, debug: bool) -> int:
    """Print the error and return the exit code."""
    if isinstance(exc, typer.Exit):
        return int(exc.exit_code)
    if isinstance(exc, typer.Abort | KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        return 130
    # Usage errors from the argument parser (typer's click base) know how to print themselves.
    show = getattr(exc, "show", None)
    if callable(show) and isinstance(getattr(exc, "exit_code", None), int):
        show()
        return int(exc.exit_code)  # type: ignore[attr-defined]
    error = exc if isinstance(exc, ToolingError) else (_botocore(exc) or _project_path(exc))
    if debug:
        traceback.print_exception(exc)
    if error is None:
        print(
            f"error: unexpected {type(exc).__name__}: {exc} (rerun with --debug for details)", file=sys.stderr
        )
        return 1
    print(f"error: {error.message}", file=sys.stderr)
    if error.hint:
        print(f"  hint: {error.hint}", file=sys.stderr)
    return error.exit_code
