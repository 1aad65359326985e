"""`tooling smoke`'s wait and report against a fake stack: the real routing preview decides where each canary
goes, the fake writes the evidence the real targets would (log line, event store item, archive object,
execution) after a latency, and a fake clock makes the timeout deterministic."""

from __future__ import annotations

import gzip
import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tooling.config import Config, load_config
from tooling.errors import OutputsMissingError, UsageError
from tooling.local.provision import outputs_for
from tooling.naming import Arns, Names
from tooling.observe.event_store import EventQuery, StoredEvent
from tooling.observe.logs import LogRecord
from tooling.observe.s3_archive import S3ArchiveObject
from tooling.observe.workflow import WorkflowExecution
from tooling.outputs import DeploymentOutputs
from tooling.patterns.routing import SUFFIX_PLACEHOLDER, route_event
from tooling.smoke.run import Settings, SmokeReport, run_smoke

REPO = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START
        self.slept = 0.0

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += timedelta(seconds=seconds)


@dataclass
class FakeStack:
    """Bus and observation sources in one: each accepted event is routed with the real preview, and every
    target not in `broken` leaves its evidence `latency` seconds later."""

    config: Config
    outputs: DeploymentOutputs
    clock: Clock
    latency: dict[str, float] = field(default_factory=dict)  # per target kind; default 1 s
    broken: set[str] = field(default_factory=set)  # "rule -> target_id"
    failing: set[str] = field(default_factory=set)  # functions that log an ERROR instead of handling
    refuse: dict[str, str] = field(default_factory=dict)  # detail-type -> PutEvents error code
    executions_listable: bool = True
    log_lines: list[tuple[str, LogRecord]] = field(default_factory=list)
    items: list[tuple[datetime, StoredEvent]] = field(default_factory=list)
    objects: dict[str, tuple[datetime, bytes]] = field(default_factory=dict)
    executions: list[WorkflowExecution] = field(default_factory=list)
    puts: int = 0

    # -- the bus ------------------------------------------------------------------------------------------
    def put_events(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.puts += 1
        results: list[dict[str, Any]] = []
        for number, entry in enumerate(entries):
            if entry["DetailType"] in self.refuse:
                results.append({"ErrorCode": self.refuse[entry["DetailType"]], "ErrorMessage": "no"})
                continue
            event_id = f"evt-{self.puts}-{number}"
            event = {
                "version": "0", "id": event_id, "source": entry["Source"], "detail-type": entry["DetailType"],
                "account": "123456789012", "time": self.clock.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "region": "us-east-1", "resources": entry.get("Resources", []),
                "detail": json.loads(entry["Detail"]),
            }  # fmt: skip
            self._deliver(event)
            results.append({"EventId": event_id})
        return results

    def _deliver(self, event: dict[str, Any]) -> None:
        canary = event["detail"]["idempotencyKey"]
        for match in route_event(self.config, event, SUFFIX_PLACEHOLDER)["matches"]:
            for target in match["targets"]:
                if f"{match['rule']} -> {target['target_id']}" in self.broken:
                    continue
                kind = target["target"]
                at = self.clock.now + timedelta(seconds=self.latency.get(kind, 1.0))
                function = {"notifications": "notifier"}.get(kind, kind)
                if function in ("processor", "notifier", "analytics"):
                    group = self.outputs.log_group_names[function]
                    line = (
                        {"level": "ERROR", "message": "Rejected invalid event", "reason": "boom", "x": canary}
                        if function in self.failing
                        else {"level": "INFO", "message": "Canary handled", "canary_id": canary}
                    )
                    self.log_lines.append((group, LogRecord(timestamp=at, message=json.dumps(line))))
                elif kind == "batch-queue":
                    item = StoredEvent(
                        event["id"], event["source"], event["detail-type"], event["time"], event, canary
                    )
                    self.items.append((at, item))
                elif kind == "s3-archive":
                    key = f"source={event['source']}/year=2026/month=11/day=30/stream-1-{event['id']}.gz"
                    self.objects[key] = (at, gzip.compress((json.dumps(event) + "\n").encode()))
                elif kind == "order-workflow":
                    self.executions.append(
                        WorkflowExecution(
                            name=event["id"], status="SUCCEEDED", started=at, input=json.dumps(event)
                        )
                    )

    # -- the observation sources --------------------------------------------------------------------------
    def logs(self) -> FakeStack:
        return self

    def event_store(self) -> FakeStack:
        return self

    def s3_archive(self) -> FakeStack:
        return self

    def workflows(self) -> FakeStack:
        return self

    bucket = "bucket"

    def events(
        self, log_group: str, start: datetime, end: datetime | None = None, text: str | None = None,
        *, newest: int | None = None, metrics: bool = True,
    ) -> Iterable[LogRecord]:  # fmt: skip
        return [
            r for g, r in self.log_lines
            if g == log_group and start <= r.timestamp <= self.clock.now and (text is None or text in r.message)
        ]  # fmt: skip

    def query(self, query: EventQuery, now: datetime) -> list[StoredEvent]:
        return [
            item for at, item in self.items
            if at <= now and item.source == query.source and item.detail_type == query.detail_type
        ]  # fmt: skip

    def item_count(self) -> int | None:
        return len(self.items)

    def list_objects(self, prefix: str) -> list[S3ArchiveObject]:
        return [
            S3ArchiveObject(key=key, size=len(body), last_modified=at)
            for key, (at, body) in sorted(self.objects.items())
            if key.startswith(prefix) and at <= self.clock.now
        ]

    def get_object(self, key: str) -> bytes:
        return self.objects[key][1]

    def executions_since(self, since: datetime) -> list[WorkflowExecution]:
        return [e for e in self.executions if since <= e.started <= self.clock.now]


class Workflows:
    def __init__(self, stack: FakeStack) -> None:
        self.stack = stack

    def executions(self, since: datetime) -> list[WorkflowExecution] | None:
        return self.stack.executions_since(since) if self.stack.executions_listable else None


def environment(tmp_path: Path, name: str = "dev", **changes: Any) -> Config:
    data = tomllib.loads((REPO / "environments" / f"{name}.toml").read_text())
    data.update(changes)
    path = tmp_path / f"{name}.toml"
    path.write_text(tomli_w.dumps(data))
    return load_config(path)


def stack_for(config: Config, target: str = "local", **options: Any) -> FakeStack:
    outputs = outputs_for(config, Names.of(config, "abc123"), Arns(config.region, "123456789012"))
    stack = FakeStack(config, outputs.model_copy(update={"target": target}), Clock(), **options)
    stack.workflows = lambda: Workflows(stack)  # type: ignore[method-assign]
    return stack


def smoke(stack: FakeStack, timeout: float = 120, **settings: Any) -> SmokeReport:
    return run_smoke(
        stack.config, stack, lambda kind: stack, environment=stack.config.environment,
        settings=Settings(timeout=timeout, interval=2.0, **settings), clock=stack.clock, sleep=stack.clock.sleep,
        run_id="20261130t120000-ab12",
    )  # fmt: skip


def statuses(report: SmokeReport) -> dict[str, str]:
    return {r.route: r.status for r in report.routes}


def test_every_dev_route_is_seen_with_the_latency_its_evidence_carries(tmp_path: Path) -> None:
    config = environment(tmp_path)  # the archive's buffer interval is 60 s
    stack = stack_for(config, latency={"s3-archive": 61.0, "batch-queue": 5.0})

    report = smoke(stack)

    assert set(statuses(report).values()) == {"seen"}
    assert report.ok and report.summary_line() == "smoke: 7/7 routes seen"
    latency = {r.route: r.latency_seconds for r in report.routes}
    assert latency["order-events -> processor"] == 1.0
    assert latency["all-events -> s3-archive"] == 61.0
    # An event store item carries no time: the first look that found it (looks every 2 s from 0).
    assert latency["all-events -> batch-queue"] == 6.0
    # It stopped looking as soon as the last route was seen, not at the timeout.
    assert stack.clock.now - START < timedelta(seconds=70)


def test_a_broken_route_is_silent_and_the_run_is_not_ok(tmp_path: Path) -> None:
    stack = stack_for(environment(tmp_path), broken={"user-registration -> processor"})

    report = smoke(stack, timeout=30)

    assert statuses(report)["user-registration -> processor"] == "silent"
    assert statuses(report)["order-events -> processor"] == "seen"
    assert not report.ok
    assert report.summary_line() == "smoke: 6/7 routes seen, 1 silent"
    silent = next(r for r in report.routes if r.status == "silent")
    assert silent.reason == "not seen in the processor log within 30 s"
    assert stack.clock.now - START == timedelta(seconds=30)  # waited exactly the timeout


def test_an_archive_not_written_yet_within_its_buffer_interval_is_pending_not_silent(tmp_path: Path) -> None:
    stack = stack_for(environment(tmp_path, "prod"), "aws", latency={"s3-archive": 300.0})

    report = smoke(stack, timeout=60)

    archive = next(r for r in report.routes if r.target == "s3-archive")
    assert archive.status == "pending"
    assert "300 s" in archive.reason and "--timeout 360s" in archive.reason
    assert report.ok  # pending is not a failure; the line says it
    assert "1 pending" in report.summary_line()


def test_an_archive_still_empty_after_its_interval_is_silent(tmp_path: Path) -> None:
    stack = stack_for(environment(tmp_path), broken={"all-events -> s3-archive"})

    report = smoke(stack, timeout=200)  # dev's interval is 60 s: Firehose had time to write

    assert statuses(report)["all-events -> s3-archive"] == "silent"


def test_an_error_line_for_the_canary_is_a_failed_route_with_its_reason(tmp_path: Path) -> None:
    stack = stack_for(environment(tmp_path), failing={"analytics"})

    report = smoke(stack, timeout=10)

    failed = [r for r in report.routes if r.status == "failed"]
    assert {r.route for r in failed} == {"all-events -> analytics", "aws-service-events -> analytics"}
    assert failed[0].reason == "boom"
    assert not report.ok


def test_a_canary_putevents_refuses_fails_its_routes_without_waiting_for_them(tmp_path: Path) -> None:
    stack = stack_for(environment(tmp_path), refuse={"User Registered": "AccessDeniedException"})

    report = smoke(stack)

    refused = next(r for r in report.routes if r.route == "user-registration -> processor")
    assert refused.status == "failed" and "AccessDeniedException" in refused.reason
    assert stack.clock.now - START < timedelta(seconds=10)  # the others were seen; nothing waited for it


def test_a_throttled_canary_is_sent_again(tmp_path: Path) -> None:
    stack = stack_for(environment(tmp_path))
    put = stack.put_events
    calls: list[int] = []

    def throttled_once(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        calls.append(len(entries))
        if len(calls) == 1:
            return [{"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"} for _ in entries]
        return put(entries)

    stack.put_events = throttled_once  # type: ignore[method-assign]

    report = smoke(stack)

    assert report.ok and calls[0] == calls[1]


def test_a_bus_that_does_not_exist_is_nothing_deployed_exit_2(tmp_path: Path) -> None:
    from botocore.exceptions import ClientError

    stack = stack_for(environment(tmp_path), "aws")

    def missing(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        error = {"Error": {"Code": "ResourceNotFoundException", "Message": "Event bus x does not exist."}}
        raise ClientError(error, "PutEvents")

    stack.put_events = missing  # type: ignore[method-assign]

    with pytest.raises(OutputsMissingError) as refused:
        smoke(stack)

    assert refused.value.exit_code == 2 and "Event bus x does not exist" in refused.value.message


def test_an_express_workflow_that_cannot_be_listed_is_seen_by_its_outcome_in_the_event_store(
    tmp_path: Path,
) -> None:
    stack = stack_for(environment(tmp_path, "prod"), "aws", executions_listable=False)
    deliver = stack._deliver

    def with_outcome(event: dict[str, Any]) -> None:
        deliver(event)
        if event["detail-type"] == "Order Created" and any(
            m["rule"] == "order-fulfilment"
            for m in route_event(stack.config, event, SUFFIX_PLACEHOLDER)["matches"]
        ):
            order = event["detail"]["orderId"]
            outcome = {
                **event,
                "id": "outcome",
                "detail-type": "Order Accepted",
                "detail": {"orderId": order},
            }
            item = StoredEvent(
                "outcome",
                "ecommerce.orders",
                "Order Accepted",
                event["time"],
                outcome,
                f"Order Accepted#{order}",
            )
            stack.items.append((stack.clock.now + timedelta(seconds=3), item))

    stack._deliver = with_outcome  # type: ignore[method-assign]

    report = smoke(stack, timeout=400)

    workflow = next(r for r in report.routes if r.target == "order-workflow")
    assert workflow.status == "seen"
    assert workflow.evidence == "the execution's 'Order Accepted' event in the event store"


def test_an_express_workflow_without_an_event_store_is_skipped_as_unobservable(tmp_path: Path) -> None:
    config = environment(tmp_path, "prod", event_store={"enabled": False})
    stack = stack_for(config, "aws", executions_listable=False)

    report = smoke(stack, timeout=400)

    workflow = next(r for r in report.routes if r.target == "order-workflow")
    assert workflow.status == "skipped" and "ListExecutions" in workflow.reason


def test_the_json_document_carries_the_summary_and_every_route(tmp_path: Path) -> None:
    report = smoke(stack_for(environment(tmp_path)))

    document = json.loads(json.dumps(report.as_json()))

    assert document["ok"] is True and document["summary"] == "smoke: 7/7 routes seen"
    assert {r["status"] for r in document["routes"]} == {"seen"}
    assert all(r["canary_id"].startswith("canary-20261130t120000-ab12-") for r in document["routes"])


@pytest.mark.parametrize("seconds", [0, 0.5, 3601])
def test_a_timeout_outside_1s_to_1h_is_refused(tmp_path: Path, seconds: float) -> None:
    with pytest.raises(UsageError, match="--timeout must be from 1s to 60m"):
        smoke(stack_for(environment(tmp_path)), timeout=seconds)


def test_the_table_shows_reasons_verbatim_and_every_route(tmp_path: Path) -> None:
    from rich.console import Console

    from tooling.smoke.render import render_report

    report = smoke(stack_for(environment(tmp_path, "prod"), "aws"), timeout=400)
    console = Console(record=True, width=400, no_color=True)

    console.print(render_report(report))

    text = console.export_text()
    assert "([notifications] email)" in text  # not eaten as rich markup
    assert all(r.route in text for r in report.routes)
    assert "1.0 s" in text  # the latency column
