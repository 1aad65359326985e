"""The smoke report as a table (route -> observed at, status, latency, evidence or reason): pure, the CLI
prints it through tooling/cli/console.py (plain columns, never wrapped, into a pipe)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from tooling.smoke.run import SmokeReport

STATUS_STYLE = {
    "seen": "green",
    "silent": "bold red",
    "failed": "bold red",
    "pending": "yellow",
    "skipped": "dim",
}


def latency_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def render_report(report: SmokeReport) -> Table:
    table = Table(
        title=f"smoke {report.environment} ({report.target}, run {report.run_id})",
        title_justify="left",
        expand=False,
    )
    table.add_column("route")
    table.add_column("observed at")
    table.add_column("status")
    table.add_column("latency", justify="right")
    table.add_column("evidence / reason")
    for result in report.routes:
        detail = result.evidence if result.status == "seen" else result.reason
        if result.also_via and result.status == "seen":
            detail = f"{detail} (also routed by {', '.join(result.also_via)})"
        # Text, not markup: reasons quote the environment file's [sections].
        table.add_row(
            Text(result.route),
            Text(result.where),
            Text(result.status, style=STATUS_STYLE[result.status]),
            Text(latency_text(result.latency_seconds)),
            Text(detail or ""),
        )
    return table
