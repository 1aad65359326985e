"""Turn exceptions into one clear stderr line, a hint, and an exit code."""

from __future__ import annotations

import sys
import traceback

import typer

from tooling.errors import AwsError, ToolingError


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
    error = exc if isinstance(exc, ToolingError) else _botocore(exc)
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
