"""`tooling routes diff`'s core: two routing tables over the same events, per rule and per target.

The events are archive-shaped and seeded (tooling/routes/sample_events.py); every expected figure is
recomputed here from the events themselves, not taken from the diff."""

from __future__ import annotations

import gzip
import tomllib
from pathlib import Path
from typing import Any

import orjson
import pytest

from tooling.config import parse_config
from tooling.errors import UsageError
from tooling.routes import chunks, scan
from tooling.routes.chunks import Chunk
from tooling.routes.model import Routes, routes_from_config
from tooling.routes.report import DiffReport
from tooling.routes.run import DiffOptions, EventInput, diff_routes
from tooling.routes.sample_events import archived_events

REPO = Path(__file__).resolve().parents[2]
DEV = (REPO / "environments" / "dev.toml").read_text()
WIDE = DEV.replace('totalAmount = [{ numeric = [">", 1000] }]', 'totalAmount = [{ numeric = [">", 500] }]')
RENAMED = DEV.replace('name = "high-value-orders"', 'name = "big-orders"')
EVENTS = list(archived_events(3000, seed=25, days=7))


def routes(text: str, origin: str = "x") -> Routes:
    return routes_from_config(parse_config(tomllib.loads(text), origin), origin)


def lines(events: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(e) + b"\n" for e in events)


def diff(before: str, after: str, events: list[dict[str, Any]] = EVENTS, **options: Any) -> DiffReport:
    source = EventInput([Chunk("events.jsonl", lines(events))], "events.jsonl")
    return diff_routes(routes(before, "before"), routes(after, "after"), source, DiffOptions(**options))


def rule(report: DiffReport, name: str) -> Any:
    return next(r for r in report.rules if r.name == name)


def target(report: DiffReport, name: str) -> Any:
    return next(t for t in report.targets if t.target == name)


def is_new_order(event: dict[str, Any], above: float) -> bool:
    return (
        event["source"] == "ecommerce.orders"
        and event["detail-type"] == "Order Created"
        and event["detail"]["totalAmount"] > above
    )


def test_widening_high_value_orders_to_500_gains_exactly_the_orders_between_500_and_1000() -> None:
    widened = {e["id"]: e for e in EVENTS if is_new_order(e, 500) and not is_new_order(e, 1000)}

    report = diff(DEV, WIDE)

    changed = rule(report, "high-value-orders")
    assert changed.status == "changed"
    assert (changed.gained, changed.lost) == (len(widened), 0) and len(widened) > 10
    assert changed.matched_after - changed.matched_before == len(widened)
    assert [e.field for e in changed.gained_examples] == ["detail.totalAmount"] * 3
    for example in changed.gained_examples:
        assert example.id in widened and example.value == widened[example.id]["detail"]["totalAmount"]
        assert example.before == [{"numeric": [">", 1000]}] and example.after == [{"numeric": [">", 500]}]
    assert (target(report, "notifications").gained, target(report, "notifications").lost) == (len(widened), 0)
    assert [r.name for r in report.rules if r.gained or r.lost] == ["high-value-orders"]
    assert report.failed("gained") and not report.failed("lost") and report.failed("any")


def test_a_rename_only_change_gains_and_loses_nothing() -> None:
    report = diff(DEV, RENAMED)

    renamed = rule(report, "big-orders")
    assert (renamed.status, renamed.previous_name) == ("renamed", "high-value-orders")
    assert renamed.matched_before == renamed.matched_after == sum(is_new_order(e, 1000) for e in EVENTS)
    assert (report.gained, report.lost, report.payload_changes) == (0, 0, 0)
    assert all(t.gained == t.lost == 0 for t in report.targets)
    assert not report.failed("any")


def test_a_rename_whose_template_prints_the_rule_name_changes_every_payload() -> None:
    prints_name = DEV.replace(
        "input_template = '\"High-value order <orderId>",
        "input_template = '\"<aws.events.rule-name>: order <orderId>",
    )

    report = diff(prints_name, prints_name.replace('name = "high-value-orders"', 'name = "big-orders"'))

    renamed = rule(report, "big-orders")
    assert renamed.status == "renamed" and (renamed.gained, renamed.lost) == (0, 0)
    [change] = renamed.payload_changes
    assert change.target == "notifications" and change.compared == change.changed == renamed.matched_after
    sample = change.samples[0]
    assert sample.before.startswith('"ecommerce-dev-xxxxxx-high-value-orders: order ')
    assert sample.after.startswith('"ecommerce-dev-xxxxxx-big-orders: order ')


def test_a_changed_transformer_shows_how_many_payloads_change_and_a_sample() -> None:
    euros = DEV.replace(": <amount> <currency>", ": <amount> EUR")
    non_eur = [e for e in EVENTS if is_new_order(e, 1000) and e["detail"]["currency"] != "EUR"]

    report = diff(DEV, euros)

    [change] = rule(report, "high-value-orders").payload_changes
    assert change.compared == sum(is_new_order(e, 1000) for e in EVENTS)
    assert change.changed == len(non_eur) > 0
    sample = change.samples[0]
    event = next(e for e in non_eur if e["id"] == sample.id)
    assert sample.before.endswith(f' {event["detail"]["currency"]}"') and sample.after.endswith(' EUR"')
    assert report.failed("any") and not report.failed("lost")


def test_removing_a_rule_loses_its_events_and_names_the_target_left_with_nothing() -> None:
    start = DEV.index('[[rules]]\nname = "user-registration"')
    end = DEV.index("[[rules]]", start + 1)
    without = DEV[:start] + DEV[end:]
    users = [e for e in EVENTS if e["source"] == "ecommerce.users"]

    report = diff(DEV, without.replace('target = "processor"', 'target = "notifier"', 1))

    removed = rule(report, "user-registration")
    assert (removed.status, removed.lost, removed.matched_after) == ("removed", len(users), 0)
    assert [e.reason for e in removed.lost_examples] == ["rule removed"] * 3
    processor = target(report, "processor")
    assert processor.received_after == 0 and processor.lost == processor.received_before > 0
    assert "processor" in report.silent_targets  # fed before, by no rule now
    assert report.failed("lost")


def test_a_target_the_new_table_still_names_but_that_receives_nothing_is_reported() -> None:
    starved = DEV.replace('detail-type = ["User Registered"]', 'detail-type = ["User Deleted"]')

    report = diff(DEV, starved)

    assert report.silent_targets == []  # processor still gets the order events
    only_users = starved.replace(
        'pattern = { source = ["ecommerce.orders"], detail-type = ["Order Created", "Order Updated", "Order Cancelled"] }',
        'pattern = { source = ["ecommerce.orders"], detail-type = ["Order Shipped"] }',
    )
    assert "processor" in diff(DEV, only_users).silent_targets


def test_disabling_a_rule_loses_its_events_with_that_reason() -> None:
    disabled = DEV.replace('name = "order-events"\n', 'name = "order-events"\nenabled = false\n')

    report = diff(DEV, disabled)

    changed = rule(report, "order-events")
    assert changed.matched_after == 0 and changed.lost == changed.matched_before > 0
    assert {e.reason for e in changed.lost_examples} == {"rule disabled"}


def test_rates_per_day_follow_the_events_time_span() -> None:
    report = diff(DEV, WIDE)

    gained = rule(report, "high-value-orders").gained
    span = report.events.span_days
    assert span is not None and 6.9 < span <= 7
    assert rule(report, "high-value-orders").gained_per_day == pytest.approx(gained / span, rel=0.01)


def test_under_an_hour_of_events_gives_no_daily_rate() -> None:
    report = diff(DEV, WIDE, events=EVENTS[:10])

    assert report.events.span_days is not None and report.events.span_days < 1 / 24
    assert all(r.gained_per_day is None for r in report.rules)


def test_a_sample_is_uniform_seeded_and_scales_the_rates() -> None:
    first = diff(DEV, WIDE, sample=500, seed=3)
    again = diff(DEV, WIDE, sample=500, seed=3)
    other = diff(DEV, WIDE, sample=500, seed=4)

    assert (first.events.read, first.events.evaluated, first.events.sample_seed) == (3000, 500, 3)
    assert first == again and first != other
    assert rule(first, "all-events").matched_before == 500
    # The rate is scaled from the sample to everything read (3000 / 500 = 6x).
    gained = rule(first, "high-value-orders").gained
    assert rule(first, "high-value-orders").gained_per_day == pytest.approx(
        gained * 6 / first.events.span_days,
        rel=0.01,  # type: ignore[operator]
    )


def test_a_sample_larger_than_the_events_is_all_of_them() -> None:
    report = diff(DEV, WIDE, sample=10_000)

    assert report.events.evaluated == report.events.read == 3000
    assert rule(report, "high-value-orders").gained == rule(diff(DEV, WIDE), "high-value-orders").gained


def test_worker_processes_give_the_same_report_as_one_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl.gz"
    path.write_bytes(gzip.compress(lines(EVENTS)))
    monkeypatch.setattr(chunks, "CHUNK_BYTES", 100_000)  # a dozen chunks

    def run(workers: int) -> DiffReport:
        source = EventInput(chunks.file_chunks([str(path)]), "events")
        return diff_routes(routes(DEV), routes(WIDE), source, DiffOptions(workers=workers))

    assert len(list(chunks.file_chunks([str(path)]))) > 10
    assert run(2) == run(1)


def test_a_line_that_is_not_an_event_is_named_by_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(lines(EVENTS[:5]) + b"\n" + b'{"id": "x", truncated\n')
    source = EventInput(chunks.file_chunks([str(path)]), "events")

    with pytest.raises(UsageError, match=rf"^{path} line 7: not an event") as raised:
        diff_routes(routes(DEV), routes(WIDE), source, DiffOptions(workers=1))

    assert raised.value.hint and "one EventBridge event" in raised.value.hint


def test_a_line_of_a_sample_that_is_not_an_event_is_named_by_its_own_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(lines(EVENTS[:5]) + b"[1, 2]\n")
    source = EventInput(chunks.file_chunks([str(path)]), "events")

    with pytest.raises(UsageError, match=rf"^{path} line 6: not an event \(not a JSON object\)"):
        diff_routes(routes(DEV), routes(WIDE), source, DiffOptions(workers=1, sample=100))


def test_the_match_call_takes_the_engines_json_entry_when_it_has_one(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bytes] = []

    class JsonRuleSet(scan.RuleSet):
        def match_json(self, data: bytes) -> list[str]:
            seen.append(data)
            return self.match(orjson.loads(data))

    expected = diff(DEV, WIDE)
    monkeypatch.setattr(scan, "RuleSet", JsonRuleSet)

    report = diff(DEV, WIDE)

    assert len(seen) == len(EVENTS)
    assert report == expected  # times come from the text (scan_time) instead of the parsed event


def test_scan_time_reads_the_envelope_time_not_one_inside_detail() -> None:
    envelope = b'{"id":"1","time":"2026-11-01T00:00:00Z","detail":{"time":"1999-01-01T00:00:00Z"}}'
    reordered = b'{"detail":{"time":"1999-01-01T00:00:00Z"},"time":"2026-11-02T00:00:00Z"}'
    other_form = b'{"time":"2026-11-03T00:00:00.123Z","detail":{}}'

    assert scan.scan_time(envelope) == "2026-11-01T00:00:00Z"
    assert scan.scan_time(reordered) == "2026-11-02T00:00:00Z"
    assert scan.scan_time(other_form) == "2026-11-03T00:00:00.123Z"
    assert scan.scan_time(b'{"id":"1"}') is None
