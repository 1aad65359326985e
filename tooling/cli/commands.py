"""The list of command groups. Each module exposes `register(app)`."""

from __future__ import annotations

import typer

from tooling.cli import (
    archive,
    config_cmd,
    demo,
    deploy,
    dlq,
    e2e,
    events_query,
    graph,
    invoke,
    monitor,
    patterns,
    publish,
)


def register(app: typer.Typer) -> None:
    for module in (
        config_cmd,
        deploy,
        patterns,
        publish,
        invoke,
        events_query,
        monitor,
        dlq,
        archive,
        graph,
        demo,
        e2e,
    ):
        module.register(app)
