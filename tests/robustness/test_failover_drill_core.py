"""Issue 23, item 5: the failover drill's logic (tooling/failover/drill.py) against a fake target: what it
counts per phase, lost and duplicated effects, waiting for the endpoint to switch (setting the alarm again
meanwhile), and that the health alarm is set back to OK on every way out (a failed phase, an error, Ctrl-C).
A fake clock advances only when the drill sleeps, so nothing here waits."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from tooling.errors import ToolingError, UsageError
from tooling.failover.backend import StoredItem, stored_item
from tooling.failover.drill import DrillReport, drill, refuse_unconfirmed
from tooling.observe.failover import EndpointStatus
from tooling.publish.bus import Entry, Result

PRIMARY, SECONDARY = "us-east-1", "us-west-2"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class FakeTarget:
    """The endpoint, its alarm and the event store. The endpoint follows the alarm after `switch_after`
    polls of status (never when None); CloudWatch puts an alarm set by hand back to OK after `hold` s."""

    poll_seconds = 1.0
    reassert_seconds = 3.0

    def __init__(self, clock: Clock, *, switch_after: int | None = 0, hold: float = 1e9) -> None:
        self.clock = clock
        self.alarm = "OK"
        self.alarm_set_at = 0.0
        self.hold = hold
        self.switch_after = switch_after
        self.polls_in_alarm = 0
        self.alarm_calls: list[str] = []
        self.items: list[StoredItem] = []

    def alarm_state(self) -> str:
        if self.alarm != "OK" and self.clock() - self.alarm_set_at >= self.hold:
            return "OK"  # the alarm's next evaluation: back to what its metric says
        return self.alarm

    def receiving(self) -> str:
        if self.alarm_state() == "ALARM" and self.switch_after is not None:
            return SECONDARY if self.polls_in_alarm > self.switch_after else PRIMARY
        return PRIMARY

    def status(self) -> EndpointStatus:
        if self.alarm_state() == "ALARM":
            self.polls_in_alarm += 1
        else:
            self.polls_in_alarm = 0
        receiving = self.receiving()
        return EndpointStatus(
            endpoint_name="shop-prod-abc123-endpoint",
            endpoint_id="abcde.xyz",
            endpoint_url="https://abcde.xyz.endpoint.events.amazonaws.com",
            state="ACTIVE",
            primary_region=PRIMARY,
            secondary_region=SECONDARY,
            health_check_id="hc-1",
            health_check="Healthy" if receiving == PRIMARY else "Unhealthy",
            alarm_name="shop-prod-abc123-failover-health",
            alarm_state=self.alarm_state(),
            receiving_region=receiving,
            replication=True,
        )

    def set_alarm(self, state: str, reason: str) -> None:
        self.alarm_calls.append(state)
        self.alarm = state
        self.alarm_set_at = self.clock()

    def stored(self, partitions: Sequence[str], since: str) -> list[StoredItem]:
        return list(self.items)

    def settle(self) -> None:
        return None

    def idle(self) -> bool:
        return True

    def close(self) -> None:
        return None


class ConsumingBus:
    """The endpoint's bus plus the consumers: each accepted event is stored with the region that received
    it. `drop` and `twice` pick events (by their position over the whole drill) to lose or store twice;
    `fail_at` raises that exception when the event at that position is put."""

    def __init__(
        self,
        target: FakeTarget,
        *,
        drop: Sequence[int] = (),
        twice: Sequence[int] = (),
        fail_at: tuple[int, BaseException] | None = None,
    ) -> None:
        self.target = target
        self.drop, self.twice, self.fail_at = set(drop), set(twice), fail_at
        self.position = 0

    def put_events(self, entries: list[Entry]) -> list[Result]:
        results: list[Result] = []
        for entry in entries:
            if self.fail_at is not None and self.fail_at[0] == self.position:
                raise self.fail_at[1]
            region = self.target.receiving()
            key = json.loads(entry["Detail"])["idempotencyKey"]
            item = StoredItem(key=key, region=region, processed_in=region, sort_key=f"t#{key}")
            if self.position not in self.drop:
                self.target.items += [item, item] if self.position in self.twice else [item]
            results.append({"EventId": f"id-{self.position}"})
            self.position += 1
        return results


def run(target: FakeTarget, bus: ConsumingBus, clock: Clock, events: int = 3) -> DrillReport:
    return drill(
        target,
        bus,
        environment="prod",
        target="aws",
        events=events,
        timeout=20.0,
        clock=clock,
        sleep=clock.sleep,
    )


def test_a_drill_that_fails_over_and_back_prints_the_contract_line() -> None:
    clock = Clock()
    target = FakeTarget(clock, switch_after=2)

    report = run(target, ConsumingBus(target), clock)

    assert (
        report.summary_line()
        == "failover drill: primary 3, secondary 3, back 3, 0 lost, 0 duplicated effects"
    )
    assert report.ok
    assert [(p.phase, p.expected_region, p.in_region) for p in report.phases] == [
        ("primary", PRIMARY, 3),
        ("secondary", SECONDARY, 3),
        ("back", PRIMARY, 3),
    ]
    assert report.phases[1].processed_in == {SECONDARY: 3}
    assert report.failover_seconds == 2.0  # two polls of one second before the endpoint switched
    assert target.alarm_calls[0] == "ALARM" and target.alarm_calls[-1] == "OK"
    assert target.alarm == "OK"


def test_a_lost_event_and_a_duplicated_effect_are_counted_and_fail_the_drill() -> None:
    clock = Clock()
    target = FakeTarget(clock)

    report = run(target, ConsumingBus(target, drop=[4], twice=[7]), clock)

    assert (
        report.summary_line()
        == "failover drill: primary 3, secondary 2, back 3, 1 lost, 1 duplicated effects"
    )
    assert not report.ok
    assert report.problems == ["secondary: 1 event(s) not stored within 20 s"]
    assert target.alarm == "OK"


def test_the_alarm_is_set_back_to_ok_when_publishing_fails_in_the_secondary_phase() -> None:
    clock = Clock()
    target = FakeTarget(clock)
    bus = ConsumingBus(target, fail_at=(4, RuntimeError("connection reset")))

    with pytest.raises(RuntimeError, match="connection reset"):
        run(target, bus, clock)

    assert target.alarm_calls[0] == "ALARM"
    assert target.alarm_calls[-1] == "OK"
    assert target.alarm_state() == "OK"


class InterruptedTarget(FakeTarget):
    """Ctrl-C while the drill waits for the secondary's events (SIGINT lands in the main thread)."""

    def stored(self, partitions: Sequence[str], since: str) -> list[StoredItem]:
        if self.alarm == "ALARM":
            raise KeyboardInterrupt
        return super().stored(partitions, since)


def test_ctrl_c_while_failed_over_sets_the_alarm_back_to_ok() -> None:
    clock = Clock()
    target = InterruptedTarget(clock)

    with pytest.raises(KeyboardInterrupt):
        run(target, ConsumingBus(target), clock)

    assert target.alarm_calls[0] == "ALARM"
    assert target.alarm_calls[-1] == "OK"
    assert target.alarm_state() == "OK"


def test_an_endpoint_that_never_switches_ends_the_drill_with_the_alarm_restored() -> None:
    clock = Clock()
    target = FakeTarget(clock, switch_after=None)

    report = run(target, ConsumingBus(target), clock)

    assert not report.ok
    assert [p.phase for p in report.phases] == ["primary"]
    assert report.failover_seconds is None
    assert report.problems == [
        "the endpoint did not send to us-west-2 within 20 s (health check Healthy, alarm ALARM)"
    ]
    assert report.summary_line().startswith("failover drill: primary 3, secondary 0, back 0")
    assert target.alarm_calls[-1] == "OK"


def test_the_alarm_is_set_again_while_the_drill_needs_it() -> None:
    # CloudWatch returns an alarm set by SetAlarmState to its metric's state at its next evaluation (here
    # after 4 s); the endpoint takes 6 polls to switch; the drill sets ALARM again every 3 s.
    clock = Clock()
    target = FakeTarget(clock, switch_after=6, hold=4.0)

    report = run(target, ConsumingBus(target), clock)

    assert report.ok, report.problems
    assert target.alarm_calls.count("ALARM") >= 3
    assert target.alarm_calls[-1] == "OK"


def test_a_drill_does_not_start_on_an_endpoint_that_already_failed_over() -> None:
    clock = Clock()
    target = FakeTarget(clock)
    target.alarm = "ALARM"
    target.polls_in_alarm = 5

    with pytest.raises(ToolingError, match="already sends to us-west-2"):
        run(target, ConsumingBus(target), clock)

    assert target.alarm_calls == []


def test_prod_needs_yes_and_other_environments_do_not() -> None:
    with pytest.raises(UsageError) as refused:
        refuse_unconfirmed("prod", yes=False)

    assert refused.value.exit_code == 2
    assert refused.value.hint == "pass --yes to run the drill on it"
    refuse_unconfirmed("prod", yes=True)
    refuse_unconfirmed("dev", yes=False)


def test_an_item_reads_its_region_from_the_attribute_else_from_the_stored_event() -> None:
    event = {"region": PRIMARY, "detail": {"idempotencyKey": "k-1"}}
    with_attributes = {
        "sk": "t#k-1",
        "event": json.dumps(event),
        "region": SECONDARY,
        "processed_in": SECONDARY,
    }
    without = {"sk": "t#id-9", "event": json.dumps(event)}
    workflow_outcome = {"sk": "t#x", "event": json.dumps({"region": PRIMARY, "detail": {"orderId": "o-1"}})}

    assert stored_item(with_attributes) == StoredItem("k-1", SECONDARY, SECONDARY, "t#k-1")
    assert stored_item(without) == StoredItem("k-1", PRIMARY, None, "t#id-9")
    assert stored_item(workflow_outcome) is None
