"""A chunk of events through both routing tables: what runs in each worker process.

`LineMatcher.match` is the one per-event call into the pattern engine: the RuleSet's JSON-text entry
(`match_json`, which parses with orjson and sees duplicate keys as AWS does) when the engine has it, else
orjson.loads + `RuleSet.match` of the event pruned to the paths some pattern names (prune.py). Everything
else per event is a dictionary increment: events are counted by the set of patterns they match, and what such
a set means for each rule and target (plan.Effects) is worked out once per distinct set. Only events whose
set changes something are looked at again: the first few of each rule's and target's gains and losses are
kept as examples, and those a changed input transformer applies to are transformed on both sides.
"""

from __future__ import annotations

import heapq
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from tooling.patterns import RuleSet
from tooling.patterns.transform import apply_input_transformer
from tooling.routes.chunks import Chunk, gunzip
from tooling.routes.plan import DiffPlan, Effect, Effects, TransformCheck
from tooling.routes.prune import prune, referenced

Key = tuple[str, ...]  # the names (pattern indexes) of the matching patterns, in pattern order
Slot = tuple[str, str, int]  # ("gained"|"lost", "rule"|"target", index): where an example is kept
PAYLOAD_SAMPLES = 2
TIME_FIELD = b'"time":"'
DETAIL_FIELD = b'"detail":'
ISO_SECONDS = 20  # 2026-11-30T12:00:00Z, the form EventBridge writes


class NotAnEvent(ValueError):
    pass


@dataclass(frozen=True)
class LineError:
    """A line that is not an event (or an object that is not gzip): the run stops and names it."""

    label: str
    line: int | None
    reason: str

    def where(self, relabel: Callable[[str, int], str] | None = None) -> str:
        if self.line is None:
            return self.label
        return relabel(self.label, self.line) if relabel is not None else f"{self.label} line {self.line}"


class LineMatcher:
    """The compiled patterns, and the one call that matches an event's JSON text against them."""

    def __init__(self, patterns: list[str]) -> None:
        self.ruleset = RuleSet({str(index): pattern for index, pattern in enumerate(patterns)})
        # The engine's JSON entry when it has one (tooling.patterns gains RuleSet.match_json); bound once.
        self._match_json = getattr(self.ruleset, "match_json", None)
        self._tree = referenced([orjson.loads(pattern) for pattern in patterns])

    def match(self, line: bytes) -> tuple[Key, dict[str, Any] | None]:
        """The matching patterns' names, and the parsed event when parsing it was needed (else None).
        ValueError (NotAnEvent, orjson's JSONDecodeError) when the line is not a JSON object."""
        if self._match_json is not None:
            if not line.lstrip().startswith(b"{"):
                raise NotAnEvent("not a JSON object")
            return tuple(self._match_json(line)), None
        event = orjson.loads(line)
        if not isinstance(event, dict):
            raise NotAnEvent("not a JSON object")
        tested = event if self._tree is None else prune(event, self._tree)
        return tuple(self.ruleset.match(tested)), event


def scan_time(line: bytes) -> str | None:
    """The envelope's `time` without parsing the event: the first `"time":"` before `"detail":` (the
    envelope's order; a `time` inside detail never comes first). None when absent or in another form."""
    at = line.find(TIME_FIELD)
    if at < 0:
        return None
    detail = line.find(DETAIL_FIELD)
    if 0 <= detail < at:
        return _parsed_time(line)
    start = at + len(TIME_FIELD)
    value = line[start : start + ISO_SECONDS]
    if (
        len(value) == ISO_SECONDS
        and value[19:20] == b"Z"
        and line[start + ISO_SECONDS : start + ISO_SECONDS + 1] == b'"'
    ):
        return value.decode()
    return _parsed_time(line)


def _parsed_time(line: bytes) -> str | None:
    event = orjson.loads(line)
    value = event.get("time") if isinstance(event, dict) else None
    return value if isinstance(value, str) else None


@dataclass
class PayloadTally:
    compared: int = 0
    changed: int = 0
    samples: list[tuple[str, str, str]] = field(default_factory=list)  # (event id, before, after)


@dataclass
class Tally:
    """One chunk's (or, merged, the whole run's) counts."""

    events: int = 0
    first_time: str | None = None
    last_time: str | None = None
    counts: dict[Key, int] = field(default_factory=dict)
    examples: dict[Slot, list[bytes]] = field(default_factory=dict)  # the first events of each slot
    payloads: dict[int, PayloadTally] = field(default_factory=dict)
    error: LineError | None = None

    def add_time(self, first: str | None, last: str | None) -> None:
        if first is not None and (self.first_time is None or first < self.first_time):
            self.first_time = first
        if last is not None and (self.last_time is None or last > self.last_time):
            self.last_time = last

    def merge(self, other: Tally, examples: int) -> None:
        self.events += other.events
        self.add_time(other.first_time, other.last_time)
        for key, count in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + count
        for slot, lines in other.examples.items():
            kept = self.examples.setdefault(slot, [])
            kept += lines[: examples - len(kept)]
        for index, payload in other.payloads.items():
            mine = self.payloads.setdefault(index, PayloadTally())
            mine.compared += payload.compared
            mine.changed += payload.changed
            mine.samples += payload.samples[: PAYLOAD_SAMPLES - len(mine.samples)]


class Scanner:
    """What a worker holds: the compiled patterns and the plan; one per process."""

    def __init__(self, plan: DiffPlan) -> None:
        self.plan = plan
        self.matcher = LineMatcher(plan.patterns)
        self._effect = Effects(plan)
        self._effects: dict[Key, Effect] = {}

    def effect_of(self, key: Key) -> Effect:
        found = self._effects.get(key)
        if found is None:
            found = self._effects[key] = self._effect(frozenset(int(name) for name in key))
        return found

    def scan(self, chunk: Chunk) -> Tally:
        tally = Tally()
        try:
            data = gunzip(chunk.data) if chunk.gzip else chunk.data
        except (zlib.error, EOFError) as exc:  # the object is what is wrong, named with its key
            tally.error = LineError(chunk.label, None, f"not gzip JSON lines ({exc})")
            return tally
        counts = tally.counts
        match = self.matcher.match
        effects = self._effects
        first = last = None
        events = 0
        examples = self.plan.examples
        slots = tally.examples
        for number, line in enumerate(data.split(b"\n")):
            if not line or line.isspace():
                continue
            try:
                key, event = match(line)
                when = event.get("time") if event is not None else scan_time(line)
            except ValueError as exc:
                tally.error = LineError(
                    chunk.label, chunk.first_line + number, f"not an event ({_reason(exc)})"
                )
                return tally
            events += 1
            counts[key] = counts.get(key, 0) + 1
            if isinstance(when, str):
                if first is None or when < first:
                    first = when
                if last is None or when > last:
                    last = when
            found = effects.get(key) or self.effect_of(key)
            for slot in found.slots:
                kept = slots.get(slot)
                if kept is None:
                    kept = slots[slot] = []
                if len(kept) < examples:
                    kept.append(line)
            if found.checks:
                self._compare_payloads(
                    found.checks, event if event is not None else orjson.loads(line), tally
                )
        tally.events = events
        tally.add_time(first, last)
        return tally

    def _compare_payloads(self, checks: tuple[int, ...], event: dict[str, Any], tally: Tally) -> None:
        for index in checks:
            check = self.plan.checks[index]
            before, after = _payload(check, event, "before"), _payload(check, event, "after")
            payload = tally.payloads.setdefault(index, PayloadTally())
            payload.compared += 1
            if before != after:
                payload.changed += 1
                if len(payload.samples) < PAYLOAD_SAMPLES:
                    payload.samples.append((str(event.get("id", "")), before, after))


def _payload(check: TransformCheck, event: dict[str, Any], side: str) -> str:
    transformer = check.before if side == "before" else check.after
    return apply_input_transformer(
        event,
        None if transformer is None else transformer.paths,
        None if transformer is None else transformer.input_template,
        rule_arn=check.before_arn if side == "before" else check.after_arn,
        rule_name=check.before_name if side == "before" else check.after_name,
        ingestion_time=str(event.get("time", "")),
    )


def _reason(exc: ValueError) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]


# -- a uniform sample ---------------------------------------------------------------------------------------


@dataclass
class SampleTally:
    """A chunk's share of a uniform sample: every event drew a seeded random priority and the `size`
    smallest are kept (the k-smallest-priorities form of reservoir sampling: each event is equally likely to
    be in the final sample, whatever the chunks and workers). Merged by keeping the `size` smallest again."""

    events: int = 0
    first_time: str | None = None
    last_time: str | None = None
    kept: list[tuple[float, int, int, bytes]] = field(default_factory=list)  # (priority, chunk, line, text)
    error: LineError | None = None


def sample_chunk(chunk: Chunk, number: int, size: int, seed: int) -> SampleTally:
    tally = SampleTally()
    try:
        data = gunzip(chunk.data) if chunk.gzip else chunk.data
    except (zlib.error, EOFError) as exc:  # see Scanner.scan
        tally.error = LineError(chunk.label, None, f"not gzip JSON lines ({exc})")
        return tally
    # The chunk's own generator: the same seed gives the same sample however the chunks are spread.
    draw = random.Random(f"{seed}:{number}").random
    heap: list[tuple[float, int, int, bytes]] = []  # max-heap by negated priority
    first = last = None
    events = 0
    for line_number, line in enumerate(data.split(b"\n")):
        if not line or line.isspace():
            continue
        events += 1
        try:
            when = scan_time(line)
        except ValueError as exc:
            tally.error = LineError(
                chunk.label, chunk.first_line + line_number, f"not an event ({_reason(exc)})"
            )
            return tally
        if when is not None:
            if first is None or when < first:
                first = when
            if last is None or when > last:
                last = when
        priority = draw()
        if len(heap) < size:
            heapq.heappush(heap, (-priority, number, line_number, line))
        elif -heap[0][0] > priority:
            heapq.heapreplace(heap, (-priority, number, line_number, line))
    tally.events = events
    tally.first_time, tally.last_time = first, last
    tally.kept = [(-p, n, ln, text) for p, n, ln, text in heap]
    return tally
