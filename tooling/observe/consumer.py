"""The batch consumer's section of the monitor: the batch queue's lag (its oldest message), the consumer
function's errors, and how many events the event store holds. Pure: built from the snapshot's own
function and queue views plus one count from the event store source, drawn at 80 columns."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict
from rich import box
from rich.table import Table
from rich.text import Text

CONSUMER_KEY = "batch-processor"


class ConsumerView(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    function: str  # the consumer's function name
    invocations: int  # batches invoked in the window
    errors: int  # invocations that failed as a whole (partial failures are the function's own metrics)
    queue_depth: int  # batch queue: visible + in flight
    lag_seconds: int  # age of the batch queue's oldest message: how far the consumer is behind
    event_store_table: str | None  # None when [event_store] is disabled
    event_store_items: int | None  # None when there is no store or it cannot tell


def consumer_view(
    function_names: dict[str, str],
    errors: int,
    invocations: int,
    queue_depth: int,
    lag_seconds: int,
    table: str,
    items: int | None,
) -> ConsumerView | None:
    """None when the deployment has no batch consumer."""
    name = function_names.get(CONSUMER_KEY)
    if name is None:
        return None
    return ConsumerView(
        function=name,
        invocations=invocations,
        errors=errors,
        queue_depth=queue_depth,
        lag_seconds=lag_seconds,
        event_store_table=table or None,
        event_store_items=items if table else None,
    )


def render_consumer(view: ConsumerView, duration_text: str, count: Callable[[int], str] = str) -> Table:
    """`count` narrows large numbers (render.compact), as in the other tables."""
    # The monitor's table style (render._table): the lightest box, one space of padding, 80 columns.
    table = Table(
        title="Batch consumer (metrics for the window) and event store",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1, 0, 0),
        show_edge=False,
        min_width=0,
    )
    table.add_column("Consumer", overflow="fold")
    for header in ("Batches", "Errors", "Queued", "Lag"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("Stored events", justify="right", no_wrap=True)
    stored = (
        "disabled"
        if view.event_store_table is None
        else ("?" if view.event_store_items is None else count(view.event_store_items))
    )
    table.add_row(
        CONSUMER_KEY,
        count(view.invocations),
        Text(count(view.errors), style="bold red" if view.errors else "dim"),
        count(view.queue_depth),
        duration_text,
        stored,
    )
    return table
