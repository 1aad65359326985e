from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]  # boto3 ships no type information
import pytest
from moto import mock_aws

from event_processors.dynamodb_idempotency import DynamoDBIdempotencyStore
from event_processors.errors import AlertInProgressError
from event_processors.idempotency import IdempotencyStore, run_once
from event_processors.idempotency_stores import build_idempotency_store
from event_processors.settings import NotifierSettings
from event_processors.sqlite_idempotency import SQLiteIdempotencyStore

TABLE = "ecommerce-dev-idempotency"
NOW = 1_800_000_000.0


def create_table() -> None:
    """The table as Terraform declares it: partition key ``id`` (S), TTL on ``expiration``."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"}
    )


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IdempotencyStore]:
    if request.param == "sqlite":
        yield SQLiteIdempotencyStore(str(tmp_path / "state" / "idempotency.sqlite3"))
        return
    with mock_aws():
        create_table()
        yield DynamoDBIdempotencyStore(TABLE)


class Action:
    def __init__(self, *, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if self.fail:
            raise RuntimeError("webhook down")
        return {"delivered": self.calls}


def test_the_first_run_executes_and_is_not_a_duplicate(store: IdempotencyStore) -> None:
    action = Action()

    outcome = run_once(store, "order#1", action, now=NOW, in_progress_seconds=30)

    assert (action.calls, outcome.duplicate, outcome.result) == (1, False, {"delivered": 1})


def test_a_repeat_returns_the_stored_result_without_running(store: IdempotencyStore) -> None:
    action = Action()
    run_once(store, "order#1", action, now=NOW, in_progress_seconds=30)

    repeat = run_once(store, "order#1", action, now=NOW + 60, in_progress_seconds=30)

    assert action.calls == 1
    assert (repeat.duplicate, repeat.result) == (True, {"delivered": 1})


def test_different_keys_do_not_suppress_each_other(store: IdempotencyStore) -> None:
    action = Action()

    run_once(store, "order#1", action, now=NOW, in_progress_seconds=30)
    run_once(store, "order#2", action, now=NOW, in_progress_seconds=30)

    assert action.calls == 2


def test_a_failed_action_releases_the_claim_so_a_retry_runs(store: IdempotencyStore) -> None:
    with pytest.raises(RuntimeError):
        run_once(store, "order#1", Action(fail=True), now=NOW, in_progress_seconds=30)
    retry = Action()

    outcome = run_once(store, "order#1", retry, now=NOW + 1, in_progress_seconds=30)

    assert (retry.calls, outcome.duplicate) == (1, False)


def test_a_live_claim_by_another_invocation_raises_in_progress(store: IdempotencyStore) -> None:
    store.claim("order#1", now=NOW, expires_at=int(NOW) + 3600, in_progress_until=NOW + 30)
    action = Action()

    with pytest.raises(AlertInProgressError):
        run_once(store, "order#1", action, now=NOW + 5, in_progress_seconds=30)
    assert action.calls == 0


def test_an_abandoned_claim_is_taken_over_once_its_invocation_has_ended(store: IdempotencyStore) -> None:
    store.claim("order#1", now=NOW, expires_at=int(NOW) + 3600, in_progress_until=NOW + 30)
    action = Action()

    outcome = run_once(store, "order#1", action, now=NOW + 31, in_progress_seconds=30)

    assert (action.calls, outcome.duplicate) == (1, False)


def test_an_expired_record_no_longer_suppresses(store: IdempotencyStore) -> None:
    action = Action()
    run_once(store, "order#1", action, now=NOW, in_progress_seconds=30, ttl_seconds=60)

    run_once(store, "order#1", action, now=NOW + 61, in_progress_seconds=30, ttl_seconds=60)

    assert action.calls == 2


def test_a_failure_to_record_completion_is_reported_not_raised(store: IdempotencyStore) -> None:
    class BrokenComplete:
        def __init__(self, inner: IdempotencyStore) -> None:
            self.inner = inner

        def claim(self, key: str, **kwargs: Any) -> Any:
            return self.inner.claim(key, **kwargs)

        def complete(self, key: str, result: dict[str, Any], *, expires_at: int) -> None:
            raise ConnectionError("table unreachable")

        def release(self, key: str) -> None:
            self.inner.release(key)

    reported: list[Exception] = []

    outcome = run_once(
        BrokenComplete(store),
        "order#1",
        Action(),
        now=NOW,
        in_progress_seconds=30,
        on_complete_failure=reported.append,
    )

    assert outcome.result == {"delivered": 1}
    assert [type(error) for error in reported] == [ConnectionError]


def test_dynamodb_records_use_the_table_contract() -> None:
    with mock_aws():
        create_table()
        run_once(DynamoDBIdempotencyStore(TABLE), "order#ord-1", Action(), now=NOW, in_progress_seconds=30)

        item = boto3.client("dynamodb", region_name="us-east-1").get_item(
            TableName=TABLE, Key={"id": {"S": "order#ord-1"}}
        )["Item"]

    assert item["status"] == {"S": "COMPLETED"}
    assert int(item["expiration"]["N"]) == int(NOW) + 24 * 60 * 60
    assert "in_progress_expiration" not in item


def test_the_settings_choose_the_store(tmp_path: Path) -> None:
    sqlite = build_idempotency_store(NotifierSettings(None, None, None, str(tmp_path / "i.sqlite3")))
    with mock_aws():
        dynamodb = build_idempotency_store(NotifierSettings(None, None, TABLE, None))

    assert isinstance(sqlite, SQLiteIdempotencyStore)
    assert isinstance(dynamodb, DynamoDBIdempotencyStore)


def test_concurrent_claims_on_one_sqlite_file_let_exactly_one_through(tmp_path: Path) -> None:
    path = str(tmp_path / "idempotency.sqlite3")
    # One connection each, like separate worker processes.
    stores = [SQLiteIdempotencyStore(path) for _ in range(8)]
    barrier = threading.Barrier(len(stores))
    outcomes: list[object] = []

    def claim(store: SQLiteIdempotencyStore) -> None:
        barrier.wait()
        outcomes.append(store.claim("order#1", now=NOW, expires_at=int(NOW) + 60, in_progress_until=NOW + 30))

    threads = [threading.Thread(target=claim, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert outcomes.count(None) == 1
    assert len(outcomes) == len(stores)
