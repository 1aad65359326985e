"""Issue 23, item 4: consumers idempotent across regions. With a global endpoint and replication, every
event reaches both regions' buses and both regions' consumers process it; the copies' event ids (and here
their region fields) differ. Replaying one business event through "both regions" (two copies, each
handled by a consumer whose AWS_REGION is its region, against ONE store: the global table) must leave one
effect: one event store item, one webhook POST, one workflow outcome."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]  # boto3 ships no type information
import pytest
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lambda_src"))
# Powertools builds its Logger and Metrics when the handlers are imported: their settings must exist first.
for _name, _value in {
    "POWERTOOLS_SERVICE_NAME": "ecommerce-events-test",
    "POWERTOOLS_METRICS_NAMESPACE": "EcommerceEvents",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "LOG_LEVEL": "INFO",
}.items():
    os.environ.setdefault(_name, _value)

from event_processors import batch_processor, notifier, webhook, webhook_secret  # noqa: E402
from event_processors.observability import metrics  # noqa: E402
from event_processors.settings import reset_settings  # noqa: E402
from tooling.local import workflows  # noqa: E402
from tooling.local.event_store_source import LocalEventStore  # noqa: E402
from tooling.observe.event_store import build_query  # noqa: E402

EAST, WEST = "us-east-1", "us-west-2"
STORE_TABLE = "ecommerce-prod-abc123-events"
IDEMPOTENCY_TABLE = "ecommerce-prod-abc123-idempotency"
PARAMETER = "/ecommerce/prod/webhook-url"
ORDER = {
    "orderId": "ord-7f3a9c",
    "customerId": "cust-4821",
    "totalAmount": 2500.0,
    "currency": "USD",
    "timestamp": "2026-11-26T19:30:00+00:00",
}


class Context:
    function_name = "ecommerce-prod-batch-processor"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ecommerce-prod-batch-processor"
    memory_limit_in_mb = 256
    aws_request_id = "52fdfc07-2182-454f-963f-5f0f9a621d72"
    log_group_name = "/aws/lambda/ecommerce-prod-batch-processor"
    log_stream_name = "2026/11/26/[$LATEST]abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _forget_containers() -> None:
    """What a cold start in another region forgets: cached settings, stores, clients, parameters."""
    from aws_lambda_powertools.utilities import parameters

    reset_settings()
    parameters.clear_caches()
    parameters.base.DEFAULT_PROVIDERS.clear()
    webhook_secret._local_provider.cache_clear()
    notifier.idempotency_store.cache_clear()
    batch_processor.event_store.cache_clear()
    metrics.clear_metrics()


@pytest.fixture(autouse=True)
def lambda_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # boto3 clients take AWS_DEFAULT_REGION (one table: the global table as both regions see it); the
    # consumer's own region, recorded as processed_in, is AWS_REGION, which each "region" below sets.
    monkeypatch.setenv("AWS_DEFAULT_REGION", EAST)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    for name in (
        "WEBHOOK_PARAMETER", "LOCAL_PARAMETERS_FILE", "IDEMPOTENCY_TABLE", "IDEMPOTENCY_SQLITE_PATH",
        "EVENT_STORE_TABLE", "EVENT_STORE_SQLITE_PATH", "EVENT_STORE_DISABLED", "AWS_REGION",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    _forget_containers()
    yield
    _forget_containers()


def in_region(monkeypatch: pytest.MonkeyPatch, region: str) -> None:
    """The next invocation runs in `region`'s Lambda: its own container, AWS_REGION = region."""
    _forget_containers()
    monkeypatch.setenv("AWS_REGION", region)


def event_copy(
    detail: dict[str, Any],
    *,
    event_id: str,
    region: str,
    detail_type: str = "Order Created",
    time: str = "2026-11-26T19:30:00Z",
) -> dict[str, Any]:
    """One region's copy of an event, as that region's bus delivers it."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": "ecommerce.orders",
        "account": "123456789012",
        "time": time,
        "region": region,
        "resources": [],
        "detail": detail,
    }


# -- the event store ----------------------------------------------------------------------------------------


def _create_store_table() -> None:
    boto3.client("dynamodb", region_name=EAST).create_table(
        TableName=STORE_TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture(params=["sqlite", "dynamodb"])
def store_items(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The one store both regions' batch processors write (the global table); returns its items."""
    monkeypatch.setenv("EVENT_STORE_TTL_DAYS", "30")
    if request.param == "sqlite":
        path = tmp_path / "event_store.sqlite"
        monkeypatch.setenv("EVENT_STORE_SQLITE_PATH", str(path))

        def sqlite_items() -> list[dict[str, Any]]:
            conn = sqlite3.connect(path)
            conn.row_factory = sqlite3.Row
            try:
                return [dict(row) for row in conn.execute("SELECT * FROM events ORDER BY sk")]
            finally:
                conn.close()

        yield sqlite_items
        return
    monkeypatch.setenv("EVENT_STORE_TABLE", STORE_TABLE)
    with mock_aws():
        _create_store_table()

        def dynamodb_items() -> list[dict[str, Any]]:
            found = boto3.client("dynamodb", region_name=EAST).scan(TableName=STORE_TABLE)["Items"]
            return [{k: v.get("S", v.get("N")) for k, v in item.items()} for item in found]

        yield dynamodb_items


def consume(event: dict[str, Any], message_id: str) -> dict[str, Any]:
    """The batch processor takes the event from its region's batch queue."""
    record = {"messageId": message_id, "receiptHandle": f"h-{message_id}", "body": json.dumps(event)}
    response: dict[str, Any] = batch_processor.handler({"Records": [record]}, Context())  # type: ignore[arg-type]
    return response


@pytest.mark.parametrize(
    ("detail", "key"),
    [
        (
            {**ORDER, "idempotencyKey": "9b2e4f7a-1c3d-4e5f-8a9b-0c1d2e3f4a5b"},
            "9b2e4f7a-1c3d-4e5f-8a9b-0c1d2e3f4a5b",
        ),
        (ORDER, "Order Created#ord-7f3a9c"),  # no idempotencyKey: the type and order id
    ],
    ids=["idempotency-key", "fallback-order-id"],
)
def test_one_business_event_through_both_regions_is_one_event_store_item(
    store_items: Callable[[], list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
    detail: dict[str, Any],
    key: str,
) -> None:
    in_region(monkeypatch, EAST)
    first = consume(event_copy(detail, event_id="id-east", region=EAST), "m-east")
    in_region(monkeypatch, WEST)
    second = consume(event_copy(detail, event_id="id-west", region=WEST), "m-west")

    assert first == second == {"batchItemFailures": []}  # the second copy is a duplicate, not a failure
    (item,) = store_items()
    assert item["sk"] == f"2026-11-26T19:30:00Z#{key}" and item["business_key"] == key
    # The copy that was stored first: delivered to, and processed in, the primary.
    assert (item["id"], item["region"], item["processed_in"]) == ("id-east", EAST, EAST)


def test_a_redelivery_in_the_other_region_after_the_first_is_still_one_item_each_way_round(
    store_items: Callable[[], list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Failover order: the secondary processes first (primary unhealthy), the primary's copy comes later.
    detail = {**ORDER, "idempotencyKey": "k-failover"}
    in_region(monkeypatch, WEST)
    consume(event_copy(detail, event_id="id-west", region=WEST), "m-west")
    in_region(monkeypatch, EAST)
    consume(event_copy(detail, event_id="id-east", region=WEST), "m-east")

    (item,) = store_items()
    assert (item["region"], item["processed_in"]) == (WEST, WEST)


def test_an_event_with_no_business_id_is_deduplicated_only_within_a_region(
    store_items: Callable[[], list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The last fallback, the event id: a redelivery of one copy is one item, but the other region's copy
    # (another id) is another item. Producers avoid this by setting idempotencyKey (the publisher does).
    anonymous = {"note": "no idempotencyKey, no orderId"}
    in_region(monkeypatch, EAST)
    consume(event_copy(anonymous, event_id="id-east", region=EAST), "m-1")
    consume(event_copy(anonymous, event_id="id-east", region=EAST), "m-1-again")
    in_region(monkeypatch, WEST)
    consume(event_copy(anonymous, event_id="id-west", region=EAST), "m-2")

    assert sorted(item["sk"] for item in store_items()) == [
        "2026-11-26T19:30:00Z#id-east",
        "2026-11-26T19:30:00Z#id-west",
    ]


# -- the order workflow ---------------------------------------------------------------------------------------


def _region_bus(region: str, clock: str, published: list[dict[str, Any]]) -> Callable[..., Any]:
    """A region's bus as the workflow's putEvents task sees it: a new event id, this region, the entry's
    Time or else this region's clock (each execution runs at its own moment)."""

    def put_events(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results = []
        for n, entry in enumerate(entries):
            event_id = f"{region}-outcome-{len(published) + n}"
            published.append(
                event_copy(
                    json.loads(entry["Detail"]),
                    event_id=event_id,
                    region=region,
                    detail_type=entry["DetailType"],
                    time=entry.get("Time") or clock,
                )
            )
            results.append({"EventId": event_id})
        return results

    return put_events


def test_both_regions_executions_for_one_order_publish_one_outcome_to_the_event_store(
    store_items: Callable[[], list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    machine = "arn:aws:states:{}:123456789012:stateMachine:ecommerce-prod-abc123-order-fulfilment"
    published: list[dict[str, Any]] = []
    for region, event_id, clock in (
        (EAST, "order-east", "2026-11-26T19:30:01Z"),
        (WEST, "order-west", "2026-11-26T19:30:04Z"),
    ):
        order = event_copy(ORDER, event_id=event_id, region=region)  # each region's copy of the order
        result = workflows.run(
            order,
            1000,
            event_bus_name="ecommerce-prod-bus",
            execution_arn=workflows.execution_arn(machine.format(region), event_id),
            state_machine_arn=machine.format(region),
            put_events=_region_bus(region, clock, published),
        )
        assert result.status == "SUCCEEDED"

    for n, (region, outcome) in enumerate(zip((EAST, WEST), published, strict=True)):
        in_region(monkeypatch, region)
        consume(outcome, f"m-{n}")

    assert [e["detail"]["idempotencyKey"] for e in published] == ["Order Flagged#ord-7f3a9c"] * 2
    (item,) = store_items()
    assert item["sk"] == "2026-11-26T19:30:00Z#Order Flagged#ord-7f3a9c"  # the order's time, not a clock's


# -- the notifier's webhook -----------------------------------------------------------------------------------


def _sns(message: str, message_id: str, region: str) -> dict[str, Any]:
    topic = f"arn:aws:sns:{region}:123456789012:ecommerce-prod-abc123-notifications"
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": topic,
                    "Message": message,
                },
            }
        ]
    }


def _envelope_message(detail: dict[str, Any], event_id: str, region: str) -> str:
    return json.dumps(event_copy(detail, event_id=event_id, region=region))


MESSAGES: dict[str, Callable[[str, str], str]] = {
    # The shipped string template (environments/prod.toml's high-value-orders rule).
    "template": lambda event_id, region: json.dumps(
        "High-value order ord-7f3a9c from customer cust-4821: 2500.0 USD"
    ),
    "envelope": lambda event_id, region: _envelope_message(
        {**ORDER, "idempotencyKey": "k-1"}, event_id, region
    ),
    # No order id: keyed on the event's business key, which both copies share (their SNS MessageIds and
    # event ids do not).
    "envelope-without-order-id": lambda event_id, region: _envelope_message(
        {"customerId": "cust-4821", "totalAmount": 2500.0, "idempotencyKey": "k-2"}, event_id, region
    ),
}
EXPECTED_KEYS = {
    "template": "order#ord-7f3a9c",
    "envelope": "order#ord-7f3a9c",
    "envelope-without-order-id": "event#k-2",
}


@pytest.fixture(params=["sqlite", "dynamodb"])
def shared_idempotency(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The idempotency table both regions' notifiers use (a global table)."""
    if request.param == "sqlite":
        monkeypatch.setenv("IDEMPOTENCY_SQLITE_PATH", str(tmp_path / "idempotency.sqlite"))
        yield
        return
    monkeypatch.setenv("IDEMPOTENCY_TABLE", IDEMPOTENCY_TABLE)
    with mock_aws():
        boto3.client("dynamodb", region_name=EAST).create_table(
            TableName=IDEMPOTENCY_TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield


@pytest.mark.parametrize("shape", list(MESSAGES))
def test_one_high_value_order_through_both_regions_posts_the_webhook_once(
    shape: str, shared_idempotency: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "parameters.json"
    store.write_text(json.dumps({PARAMETER: "https://hooks.example.test/alerts"}))
    monkeypatch.setenv("WEBHOOK_PARAMETER", PARAMETER)
    monkeypatch.setenv("LOCAL_PARAMETERS_FILE", str(store))
    posts: list[tuple[dict[str, Any], str]] = []

    def post_json(url: str, payload: dict[str, Any], *, idempotency_key: str, **_: Any) -> int:
        posts.append((payload, idempotency_key))
        return 204

    monkeypatch.setattr(webhook, "post_json", post_json)
    outcomes = []
    for region, event_id, message_id in ((EAST, "id-east", "sns-east"), (WEST, "id-west", "sns-west")):
        in_region(monkeypatch, region)
        message = MESSAGES[shape](event_id, region)
        outcomes.append(notifier.handler(_sns(message, message_id, region), Context()))  # type: ignore[arg-type]

    ((payload, header),) = posts
    assert header == payload["idempotencyKey"] == EXPECTED_KEYS[shape]
    assert outcomes[1] == {"delivered": [], "duplicates": [EXPECTED_KEYS[shape]]}


# -- reading the store ------------------------------------------------------------------------------------------

OLD_SCHEMA = """
CREATE TABLE events (
    pk TEXT NOT NULL, sk TEXT NOT NULL, id TEXT NOT NULL, source TEXT NOT NULL, detail_type TEXT NOT NULL,
    time TEXT NOT NULL, event TEXT NOT NULL, expiration INTEGER NOT NULL, PRIMARY KEY (pk, sk))
"""


def _old_store(path: Path) -> None:
    """A local event store written before the business key: `<time>#<event id>` and no region columns."""
    old = event_copy(
        {"orderId": "ord-old"}, event_id="old-event-id", region=EAST, time="2026-11-26T19:00:00Z"
    )
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(OLD_SCHEMA)
        conn.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                "ecommerce.orders#Order Created", "2026-11-26T19:00:00Z#old-event-id", "old-event-id",
                "ecommerce.orders", "Order Created", "2026-11-26T19:00:00Z", json.dumps(old), 4_000_000_000,
            ),
        )  # fmt: skip
    conn.close()


def test_a_store_written_before_the_business_key_still_reads_and_takes_new_items(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "event_store.sqlite"
    _old_store(path)
    reader = LocalEventStore(path)
    query = build_query("ecommerce.orders", "Order Created", None, 10)
    now = datetime(2026, 11, 27, tzinfo=UTC)

    (before,) = reader.query(query, now)  # not a single new column there yet

    monkeypatch.setenv("EVENT_STORE_SQLITE_PATH", str(path))
    monkeypatch.setenv("EVENT_STORE_TTL_DAYS", "30")
    in_region(monkeypatch, WEST)
    assert consume(event_copy({**ORDER, "idempotencyKey": "k-new"}, event_id="id-new", region=EAST), "m") == {
        "batchItemFailures": []
    }
    newest, oldest = reader.query(query, now)

    assert (before.id, before.key, before.region, before.regions_text()) == ("old-event-id", None, None, "")
    assert oldest == before
    assert (newest.id, newest.key, newest.region, newest.processed_in) == ("id-new", "k-new", EAST, WEST)
    assert newest.regions_text() == "us-east-1->us-west-2"
    assert newest.as_json()["processedIn"] == WEST and newest.as_json()["key"] == "k-new"
