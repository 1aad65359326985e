"""Drawing a CostReport: pure (report -> renderables); the CLI prints them through its console factory, so
into a pipe they are plain columns and no line is wrapped."""

from __future__ import annotations

from rich.console import Group, JustifyMethod, RenderableType
from rich.table import Table
from rich.text import Text

from tooling.cost.report import CostReport

STATUS_STYLE = {"ok": "green", "warn": "yellow", "over": "bold red"}


def usd(amount: float) -> str:
    if 0 < amount < 0.005:
        return "<0.01"
    return f"{amount:,.2f}"


def quantity(value: float) -> str:
    if value == 0:
        return "0"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def render(report: CostReport) -> RenderableType:
    return Group(
        _heading(report),
        _lines(report),
        _services(report),
        _quotas(report),
        _notes("Assumptions", report.assumptions),
        _notes("Left out", report.left_out),
    )


def _heading(report: CostReport) -> Text:
    profile = report.profile
    dates = ", ".join(f"{p.region} as of {p.as_of:%Y-%m-%d}" for p in report.prices)
    text = Text()
    text.append(f"Monthly cost of {report.environment} ({' + '.join(report.regions)}): ", style="bold")
    text.append(f"${usd(report.total_usd)}\n", style="bold green")
    text.append(f"profile ({profile.kind}): {profile.description}\n")
    text.append(f"prices: tooling/cost/prices ({dates}); free tier {report.free_tier}\n")
    text.append(f"a month is {report.hours_per_month} hours; USD")
    return text


def _lines(report: CostReport) -> Table:
    table = Table(title="Line by line", title_justify="left")
    _columns(
        table, ("Region", "Service", "Item", "Quantity/month", "Unit", "Price", "USD/month", "How"), (3, 6)
    )
    for line in report.lines:
        table.add_row(
            line.region,
            line.service,
            line.item,
            quantity(line.quantity),
            line.unit,
            line.price,
            usd(line.monthly_usd),
            line.detail,
        )
    table.add_section()
    table.add_row("", "Total", "", "", "", "", usd(report.total_usd), "", style="bold")
    return table


def _services(report: CostReport) -> Table:
    table = Table(title="By service", title_justify="left")
    table.add_column("Service")
    table.add_column("USD/month", justify="right")
    table.add_column("Share", justify="right")
    for service, amount in report.by_service.items():
        share = amount / report.total_usd if report.total_usd else 0.0
        table.add_row(service, usd(amount), f"{share:.0%}")
    return table


def _quotas(report: CostReport) -> Table:
    table = Table(title=f"Quotas (peak = {report.peak_factor:g} x the daily mean)", title_justify="left")
    _columns(table, ("Region", "Quota", "Value", "Limit", "Used", "Status", "How"), (2, 3, 4))
    for check in report.quotas:
        table.add_row(
            check.region,
            check.quota,
            quantity(check.value),
            f"{check.limit:,.0f}",
            f"{check.percent:.1f}%",
            Text(check.status, style=STATUS_STYLE[check.status]),
            check.detail,
        )
    return table


def _columns(table: Table, names: tuple[str, ...], right: tuple[int, ...]) -> None:
    for index, name in enumerate(names):
        justify: JustifyMethod = "right" if index in right else "left"
        table.add_column(name, justify=justify)


def _notes(title: str, notes: list[str]) -> Text:
    text = Text(f"{title}:\n", style="bold")
    for note in notes:
        text.append(f"  - {note}\n")
    return text
