"""The PublishSettings of one `tooling publish` run: the environment file's [publisher] table (limits,
attempts, default concurrency) with the command line's --concurrency, --rate and --trace-header over it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tooling.errors import UsageError
from tooling.publish.publisher import PublishSettings
from tooling.workspace import Workspace

if TYPE_CHECKING:
    from tooling.config import Publisher as PublisherConfig

# X-Ray's own limit on a trace header's length.
TRACE_HEADER_MAX = 500


def publisher_config(env: str, config: Path | None) -> PublisherConfig:
    """The [publisher] settings: from --config, else environments/<env>.toml when present, else defaults."""
    # Imported here, not at the top: a command's start-up is what `tooling publish` users wait for.
    from tooling.config import Publisher as PublisherConfig
    from tooling.config import load_config, load_environment

    workspace = Workspace.for_env(env)
    if config is not None:
        # An explicit --config must declare the environment, as every command's --config does.
        return load_environment(config, workspace.env).publisher
    default = workspace.default_config
    return load_config(default).publisher if default.is_file() else PublisherConfig()


def check_trace_header(value: str | None) -> str | None:
    if value is not None and (not 1 <= len(value) <= TRACE_HEADER_MAX or "Root=" not in value):
        raise UsageError(
            f"--trace-header must be an X-Ray trace header of at most {TRACE_HEADER_MAX} characters",
            hint="e.g. --trace-header 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1'",
        )
    return value


def run_settings(
    env: str,
    config: Path | None,
    *,
    concurrency: int | None,
    rate: float | None,
    trace_header: str | None,
) -> PublishSettings:
    """The run's settings; the trace header is checked before the environment file is read."""
    checked = check_trace_header(trace_header)
    cfg = publisher_config(env, config)
    return PublishSettings(
        max_request_bytes=cfg.max_request_bytes,
        max_attempts=cfg.max_attempts,
        concurrency=concurrency or cfg.concurrency,
        rate=rate,
        trace_header=checked,
    )


__all__ = ["check_trace_header", "publisher_config", "run_settings"]
