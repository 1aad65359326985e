"""Options shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

EnvOption = Annotated[
    str, typer.Option("--env", "-e", envvar="TOOLING_ENV", help="Environment name: environments/<env>.toml.")
]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="Environment file (default: environments/<env>.toml).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
OutputsOption = Annotated[
    Path | None,
    typer.Option(
        "--outputs", help="File holding `terraform output -json` content (default: the cached outputs)."
    ),
]
TargetOption = Annotated[
    str | None,
    typer.Option("--target", "-t", help="aws or local (default: the target recorded by the last apply)."),
]
WaitTimeoutOption = Annotated[
    float,
    typer.Option(
        "--wait-timeout",
        min=0.0,
        help="Seconds to wait for the commands using the environment (publish, monitor, ...) to finish; "
        "then refuse with exit 2.",
    ),
]
# `tooling publish ...`: where the events go when [failover] put a global endpoint in front of two regions.
NoEndpointOption = Annotated[
    bool,
    typer.Option(
        "--no-endpoint",
        help="With failover deployed: the primary region's bus directly, not through the global endpoint.",
    ),
]
RegionOption = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="The bus of this region directly: the primary's or, with failover deployed, the secondary's "
        "(default: through the global endpoint when deployed).",
    ),
]
