"""`tooling tail` on the AWS side, against moto: the temporary rule and queue (policy, encryption, expiry
tags) are created, receive what crosses the bus, and are removed on exit, on Ctrl-C (in the loop and
during creation) and on error; `--clean` removes expired leftovers and keeps a running tail's.

moto delivers an EventBridge -> SQS target synchronously inside put_events, so an event published from the
tail's receive (the hook below) is in the queue before the long poll. moto checks no queue policy: the
policy is evaluated with the project's evaluator of AWS's rules (tooling/access/evaluator.py) instead."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tooling.access.evaluator import Policy, Principal, Request, evaluate
from tooling.cli import errors
from tooling.cli.app import app
from tooling.errors import AwsError
from tooling.observe import aws_tail
from tooling.observe.aws_tail import EXPIRES_TAG, LEASE, OWNER_TAG, RENEW_EVERY, AwsTail
from tooling.outputs import parse_outputs_document

REGION = "us-east-1"
ACCOUNT = "123456789012"
PREFIX = "ecommerce-dev-abc123"
BUS = f"{PREFIX}-bus"
BUS_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{BUS}"
HIGH_VALUE = {
    "source": ["ecommerce.orders"],
    "detail-type": ["Order Created"],
    "detail": {"totalAmount": [{"numeric": [">", 1000]}]},
}
TAIL_PREFIX = f"{PREFIX}-tail-"


@dataclass
class Aws:
    events: Any
    sqs: Any
    outputs_file: Path
    outputs: Any
    capsys: pytest.CaptureFixture[str]

    def put(self, *details: tuple[str, str, dict[str, Any]]) -> list[str]:
        answer = self.events.put_events(
            Entries=[
                {"Source": s, "DetailType": t, "Detail": json.dumps(d), "EventBusName": BUS}
                for s, t, d in details
            ]
        )
        return [entry["EventId"] for entry in answer["Entries"]]

    def tail_rules(self) -> list[str]:
        return [r["Name"] for r in self.events.list_rules(NamePrefix=TAIL_PREFIX, EventBusName=BUS)["Rules"]]

    def tail_queues(self) -> list[str]:
        urls = self.sqs.list_queues(QueueNamePrefix=TAIL_PREFIX).get("QueueUrls", [])
        return [url.rsplit("/", 1)[-1] for url in urls]

    def cli(self, *args: str) -> tuple[int, str, str]:
        """`tooling tail ARGS --outputs FILE` in this process, as tooling.cli.app.main runs it."""
        self.capsys.readouterr()
        try:
            code = app(["tail", *args, "--outputs", str(self.outputs_file)], standalone_mode=False)
        except SystemExit as exc:
            code = exc.code
        except BaseException as exc:
            code = errors.handle(exc, debug=False)
        out, err = self.capsys.readouterr()
        return int(code or 0), out, err


@pytest.fixture
def aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Aws]:
    monkeypatch.setenv("TOOLING_ROOT", str(tmp_path))  # the environment's lock file lands here
    with mock_aws():
        events = boto3.client("events", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        events.create_event_bus(Name=BUS)
        rule_arn = events.put_rule(
            Name=f"{PREFIX}-high-value-orders", EventBusName=BUS, EventPattern=json.dumps(HIGH_VALUE)
        )["RuleArn"]
        document = {
            "region": REGION,
            "event_bus_name": BUS,
            "event_bus_arn": BUS_ARN,
            "archive_name": f"{PREFIX}-archive",
            "rule_arns": {"high-value-orders": rule_arn},
            "batch_queue_url": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{PREFIX}-batch",
            "batch_queue_arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{PREFIX}-batch",
            "dead_letter_queue_urls": {},
            "notifications_topic_arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:{PREFIX}-notifications",
            "function_names": {},
            "log_group_names": {},
        }
        path = tmp_path / "outputs.json"
        path.write_text(json.dumps(document))
        outputs = parse_outputs_document(document, environment="dev", origin=str(path))
        yield Aws(events, sqs, path, outputs, capsys)


def on_receive(monkeypatch: pytest.MonkeyPatch, *steps: Callable[[AwsTail], None]) -> list[AwsTail]:
    """Run one step before each receive of the tail (publishing, interrupting); the tails seen are
    returned so a test can look at what was created while it ran."""
    pending = list(steps)
    seen: list[AwsTail] = []
    real = AwsTail.receive

    def receive(self: AwsTail, wait: float) -> list[dict[str, Any]]:
        seen.append(self)
        if pending:
            pending.pop(0)(self)
        return real(self, min(wait, 1.0))

    monkeypatch.setattr(AwsTail, "receive", receive)
    return seen


def tags_of_rule(aws: Aws, name: str) -> dict[str, str]:
    arn = aws.events.describe_rule(Name=name, EventBusName=BUS)["Arn"]
    return {t["Key"]: t["Value"] for t in aws.events.list_tags_for_resource(ResourceARN=arn)["Tags"]}


def order(amount: float) -> tuple[str, str, dict[str, Any]]:
    return ("ecommerce.orders", "Order Created", {"orderId": f"o-{amount}", "totalAmount": amount})


# -- the temporary rule and queue ------------------------------------------------------------------------


def test_open_creates_the_rule_and_queue_scoped_encrypted_and_tagged_and_close_removes_them(aws: Aws) -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    tail = AwsTail(aws.outputs, HIGH_VALUE, now=lambda: now, token="0badcafe")

    tail.open()

    name = f"{TAIL_PREFIX}0badcafe"
    assert aws.tail_rules() == [name] and aws.tail_queues() == [name]
    rule = aws.events.describe_rule(Name=name, EventBusName=BUS)
    assert json.loads(rule["EventPattern"]) == HIGH_VALUE and rule["State"] == "ENABLED"
    [target] = aws.events.list_targets_by_rule(Rule=name, EventBusName=BUS)["Targets"]
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    assert target["Arn"] == queue_arn
    url = aws.sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attributes = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    # SSE-SQS, not the stack's key: EventBridge needs no key-policy grant to send (aws_tail's docstring).
    assert attributes["SqsManagedSseEnabled"] == "true" and "KmsMasterKeyId" not in attributes
    expires = (now + LEASE).strftime("%Y-%m-%dT%H:%M:%SZ")
    for tags in (tags_of_rule(aws, name), aws.sqs.list_queue_tags(QueueUrl=url)["Tags"]):
        assert tags[EXPIRES_TAG] == expires and " pid " in tags[OWNER_TAG]

    policy = Policy("tail queue policy", json.loads(attributes["Policy"]))
    rule_arn = rule["Arn"]

    def send(principal: Principal, context: dict[str, Any]) -> bool:
        request = Request(principal, "sqs:SendMessage", queue_arn, context)
        return evaluate(request, resource_account=ACCOUNT, resource=policy).allowed

    events = Principal.service("events.amazonaws.com")
    assert send(events, {"aws:SourceArn": rule_arn, "aws:SecureTransport": True})
    # Negative twins: another rule of the bus, plain HTTP, another service.
    other_rule = aws.outputs.rule_arns["high-value-orders"]
    assert not send(events, {"aws:SourceArn": other_rule, "aws:SecureTransport": True})
    assert not send(events, {"aws:SourceArn": rule_arn, "aws:SecureTransport": False})
    assert not send(
        Principal.service("sns.amazonaws.com"), {"aws:SourceArn": rule_arn, "aws:SecureTransport": True}
    )

    assert tail.close() == [f"rule {name}", f"queue {name}"]
    assert aws.tail_rules() == [] and aws.tail_queues() == []
    assert tail.close() == []  # a second close has nothing left to do


def test_events_published_while_tailing_are_printed_once_each_as_json_lines_and_nothing_is_left(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    published: list[str] = []
    on_receive(monkeypatch, lambda _tail: published.extend(aws.put(order(1500), order(10), order(2500))))

    code, stdout, stderr = aws.cli("--pattern", json.dumps(HIGH_VALUE), "--count", "2", "--json")

    assert code == 0, stderr
    printed = [json.loads(line) for line in stdout.splitlines()]
    assert sorted(e["detail"]["totalAmount"] for e in printed) == [1500, 2500]
    assert {e["id"] for e in printed} == {published[0], published[2]}
    assert "2 events seen" in stderr and "removed rule" in stderr
    assert aws.tail_rules() == [] and aws.tail_queues() == []


def test_human_lines_hold_time_source_type_id_and_detail_whole_on_one_line(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_detail = {"orderId": "o-" + "x" * 150, "totalAmount": 5}
    ids: list[str] = []
    on_receive(
        monkeypatch, lambda _t: ids.extend(aws.put(("ecommerce.orders", "Order Created", long_detail)))
    )

    code, stdout, stderr = aws.cli("--count", "1")

    assert code == 0, stderr
    [line] = stdout.splitlines()  # into a pipe: never wrapped, however long
    assert "ecommerce.orders" in line and "Order Created" in line and ids[0] in line
    assert json.dumps(long_detail, separators=(",", ":")) in line


def test_rule_option_tails_with_the_deployed_rules_pattern(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    patterns: list[dict[str, Any]] = []

    def publish(tail: AwsTail) -> None:
        rule = aws.events.describe_rule(Name=tail.name, EventBusName=BUS)
        patterns.append(json.loads(rule["EventPattern"]))
        aws.put(order(10), order(1200))

    on_receive(monkeypatch, publish)

    code, stdout, stderr = aws.cli("--rule", "high-value-orders", "--count", "1", "--json")

    assert code == 0, stderr
    assert patterns == [HIGH_VALUE]
    [event] = [json.loads(line) for line in stdout.splitlines()]
    assert event["detail"]["totalAmount"] == 1200


def test_ctrl_c_in_the_loop_removes_the_rule_and_queue_and_exits_0(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(_tail: AwsTail) -> None:
        raise KeyboardInterrupt

    seen = on_receive(monkeypatch, lambda _t: aws.put(order(5)), interrupt)

    code, stdout, stderr = aws.cli("--json")

    assert code == 0, stderr
    assert len(stdout.splitlines()) == 1 and "1 event seen" in stderr
    assert f"removed rule {seen[0].name} and queue {seen[0].name}" in stderr
    assert aws.tail_rules() == [] and aws.tail_queues() == []


def test_ctrl_c_while_the_rule_is_being_created_removes_what_was_made(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_client = aws_tail.client

    class Interrupting:
        """The events client, with a Ctrl-C arriving once AWS made the rule but before its answer."""

        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self._inner, name)

        def put_rule(self, **kwargs: Any) -> Any:
            self._inner.put_rule(**kwargs)
            raise KeyboardInterrupt

    def client(service: str, region: str) -> Any:
        made = real_client(service, region)
        return Interrupting(made) if service == "events" else made

    monkeypatch.setattr(aws_tail, "client", client)

    code, stdout, _ = aws.cli("--count", "1")

    assert code == 130 and stdout == ""  # typer's exit code for Ctrl-C
    assert aws.tail_rules() == [] and aws.tail_queues() == []


def test_an_error_in_the_loop_removes_the_rule_and_queue(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(_tail: AwsTail) -> None:
        raise AwsError("the queue went away", hint="run tail again")

    on_receive(monkeypatch, fail)

    code, _, stderr = aws.cli("--count", "1")

    assert code == 1 and "the queue went away" in stderr
    assert aws.tail_rules() == [] and aws.tail_queues() == []


def test_timeout_before_count_says_how_many_were_seen_and_exits_1(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_receive(monkeypatch, lambda _t: aws.put(order(5)))

    code, stdout, stderr = aws.cli("--count", "3", "--timeout", "1s", "--json")

    assert code == 1
    assert len(stdout.splitlines()) == 1
    assert "timeout after 1s: 1 of 3 events seen" in stderr
    assert aws.tail_rules() == [] and aws.tail_queues() == []


def test_a_running_tail_renews_its_expiry(aws: Aws) -> None:
    moments = [datetime(2026, 12, 1, 12, 0, tzinfo=UTC)]
    ticks = [0.0]
    tail = AwsTail(aws.outputs, HIGH_VALUE, now=lambda: moments[0], clock=lambda: ticks[0], token="00000001")
    tail.open()
    try:
        moments[0] += RENEW_EVERY
        ticks[0] += RENEW_EVERY.total_seconds()
        tail.receive(0)
        renewed = (moments[0] + LEASE).strftime("%Y-%m-%dT%H:%M:%SZ")
        url = aws.sqs.get_queue_url(QueueName=tail.name)["QueueUrl"]
        assert tags_of_rule(aws, tail.name)[EXPIRES_TAG] == renewed
        assert aws.sqs.list_queue_tags(QueueUrl=url)["Tags"][EXPIRES_TAG] == renewed
    finally:
        tail.close()


# -- leftovers --------------------------------------------------------------------------------------------


def leftover(aws: Aws, token: str, made_at: datetime) -> str:
    """What a tail killed with SIGKILL leaves: opened, never closed."""
    tail = AwsTail(aws.outputs, HIGH_VALUE, now=lambda: made_at, token=token)
    tail.open()
    return tail.name


def test_clean_removes_an_expired_leftover_and_keeps_an_unexpired_one(aws: Aws) -> None:
    now = datetime.now(UTC)
    running = leftover(aws, "a11ve002", now)
    expired = leftover(aws, "dead0001", now - LEASE - timedelta(minutes=1))  # made last: not swept yet
    # A rule that has the prefix but no expiry tag is not a tail's: never touched.
    aws.events.put_rule(Name=f"{TAIL_PREFIX}handmade", EventBusName=BUS, EventPattern=json.dumps(HIGH_VALUE))

    code, stdout, stderr = aws.cli("--clean", "--json")

    assert code == 0, stderr
    report = json.loads(stdout)
    assert sorted(r.split(" (")[0] for r in report["removed"]) == [f"queue {expired}", f"rule {expired}"]
    assert sorted(k.split(" (")[0] for k in report["kept"]) == [f"queue {running}", f"rule {running}"]
    assert sorted(aws.tail_rules()) == sorted([running, f"{TAIL_PREFIX}handmade"])
    assert aws.tail_queues() == [running]


def test_every_tail_start_sweeps_expired_leftovers_and_says_so(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    expired = leftover(aws, "dead0003", datetime.now(UTC) - timedelta(hours=2))
    on_receive(monkeypatch, lambda _t: aws.put(order(5)))

    code, _, stderr = aws.cli("--count", "1")

    assert code == 0, stderr
    assert f"removed expired rule {expired}" in stderr and f"removed expired queue {expired}" in stderr
    assert aws.tail_rules() == [] and aws.tail_queues() == []


def test_clean_takes_no_tail_options(aws: Aws) -> None:
    code, _, stderr = aws.cli("--clean", "--count", "1")
    assert code == 2 and "--clean only removes leftovers" in stderr


# -- refused input: one line, exit 2, nothing created ------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--pattern", '{"detail": {"totalAmount": [{"numeric": [">", "a"]}]}}'],
            "Event pattern is not valid",
        ),
        (["--pattern", "[1, 2]"], "--pattern must be a JSON object, not list"),
        (["--pattern", "{nope"], "--pattern is not valid JSON"),
        (["--pattern", "{}", "--rule", "high-value-orders"], "--pattern and --rule both choose the events"),
        (["--rule", "no-such-rule"], "no rule 'no-such-rule'"),
        (["--timeout", "soon"], "bad duration 'soon'"),
    ],
)
def test_bad_input_is_refused_with_exit_2_and_creates_nothing(
    aws: Aws, args: list[str], message: str
) -> None:
    code, stdout, stderr = aws.cli(*args)

    assert code == 2 and message in stderr and stdout == ""
    assert aws.tail_rules() == [] and aws.tail_queues() == []


def test_a_first_ctrl_c_during_the_removal_is_only_noted_and_the_removal_completes(
    aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tail = AwsTail(aws.outputs, HIGH_VALUE, token="0000c0de")
    tail.open()
    real_remove_rule = aws_tail.remove_rule

    def remove_rule(events: Any, bus: str, name: str) -> bool:
        signal.raise_signal(signal.SIGINT)  # the user presses Ctrl-C once, mid-removal
        return real_remove_rule(events, bus, name)

    monkeypatch.setattr(aws_tail, "remove_rule", remove_rule)

    removed = tail.close()

    assert removed == [f"rule {tail.name}", f"queue {tail.name}"]
    assert aws.tail_rules() == [] and aws.tail_queues() == []
    assert "Ctrl-C again to leave them" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the usual Ctrl-C again
