"""The monitor's batch consumer section: built from the snapshot's views, drawn within 80 columns."""

from __future__ import annotations

from rich.console import Console

from tooling.observe.consumer import ConsumerView, consumer_view, render_consumer
from tooling.observe.render import compact, duration


def text_at(view: ConsumerView, width: int) -> str:
    console = Console(width=width, record=True, color_system=None, force_terminal=False)
    console.print(render_consumer(view, duration(view.lag_seconds), compact))
    return console.export_text()


def test_no_consumer_function_means_no_section() -> None:
    assert consumer_view({"processor": "p"}, 0, 0, 0, 0, "table", 3) is None


def test_a_disabled_store_reads_disabled_and_a_known_count_its_number() -> None:
    without = consumer_view({"batch-processor": "f"}, 0, 2, 0, 0, "", 5)
    with_store = consumer_view({"batch-processor": "f"}, 0, 2, 0, 0, "t-events", 5)

    assert without is not None and without.event_store_items is None
    assert "disabled" in text_at(without, 80)
    assert with_store is not None and with_store.event_store_items == 5


def test_large_figures_stay_within_80_columns_and_nothing_is_cut() -> None:
    view = consumer_view(
        {"batch-processor": "ecommerce-prod-abc123-batch-processor"},
        errors=12_345,
        invocations=1_234_567,
        queue_depth=98_765_432,
        lag_seconds=3 * 86400 + 7200,
        table="ecommerce-prod-abc123-events",
        items=2_469_134_000,
    )
    assert view is not None

    out = text_at(view, 80)

    assert max(len(line.rstrip()) for line in out.splitlines()) <= 80
    assert "…" not in out
    assert "1.2M" in out and "12.3k" in out and "98.8M" in out and "3d 2h" in out and "2.5G" in out
