"""The conformance corpus (tests/conformance/cases/*.jsonl): read, check its shape, run one case.

One JSON object per line, one file per category:

    {"id": "prefix-001", "source": "<AWS page URL#section, or event-ruler's README/source>",
     "pattern": {...} | "<pattern JSON text>", "event": {...} | "<event JSON text>", "match": true|false}
    {"id": "invalid-007", "source": "...", "pattern": ..., "error": "Event pattern is not valid. Reason: ..."}

plus an optional "note" (what the case shows) and "known_defect" (the short id of an issue-25 item-5 defect
the engine still has: the runner xfails those strictly, so they flip to failures the day the fix lands and
the marker must go). Patterns and events given as JSON text are read as EventBridge reads them (duplicate
keys, numbers out of double range), which a parsed dict cannot carry.

The cases were written from the EventBridge user guide and event-ruler's README and sources, never copied
from a recorded suite; each names the page and section it follows.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tooling.patterns import InvalidPatternError, RuleSet, compile_pattern

CASES_DIR = Path(__file__).resolve().parent / "cases"
MINIMUM_CASES = 250
PREFIX = "Event pattern is not valid. Reason: "
# Where a case may come from: AWS's documentation, event-ruler (AWS's engine), or the issue that recorded a
# difference found by differential testing against event-ruler.
SOURCES = ("https://docs.aws.amazon.com/", "https://github.com/aws/event-ruler/", "issue 25 item 5")
KNOWN_DEFECTS = {
    "cidr-network": "cidr ranges start at the written address, not the network address",
    "exists-false-array": "exists:false on an array of objects is decided across the event, not per element",
    "empty-key": "an empty key collapses paths",
    "number-range": "a number beyond double range crashes or matches",
    "number-precision": "numbers that are not exactly a double are accepted in numeric/anything-but",
    "ip-forms": "IPv4 leading zeros, IPv6 zones and embedded IPv4 are read differently",
    "messages": "a validation message differs from AWS's",
    "duplicate-keys": "duplicate keys in an event: only the last value is seen",
}


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    source: str
    pattern: Any
    event: Any
    match: bool | None
    error: str | None
    note: str
    known_defect: str | None


def load_cases(directory: Path = CASES_DIR) -> list[Case]:
    cases: list[Case] = []
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                cases.append(_case(path.stem, json.loads(line), f"{path.name}:{number}"))
    return cases


def _case(category: str, raw: dict[str, Any], where: str) -> Case:
    allowed = {"id", "source", "pattern", "event", "match", "error", "note", "known_defect"}
    unknown = set(raw) - allowed
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    if ("match" in raw) == ("error" in raw):
        raise ValueError(f"{where}: a case has either 'match' (with an 'event') or 'error'")
    if "match" in raw and ("event" not in raw or not isinstance(raw["match"], bool)):
        raise ValueError(f"{where}: 'match' must be true or false, next to an 'event'")
    if "error" in raw and not str(raw["error"]).startswith(PREFIX):
        raise ValueError(f"{where}: 'error' must be AWS's full message, starting {PREFIX!r}")
    if not str(raw.get("source", "")).startswith(SOURCES):
        raise ValueError(f"{where}: 'source' must cite an AWS page, event-ruler, or issue 25 item 5")
    defect = raw.get("known_defect")
    if defect is not None and defect not in KNOWN_DEFECTS:
        raise ValueError(f"{where}: unknown known_defect {defect!r}; use one of {sorted(KNOWN_DEFECTS)}")
    return Case(
        id=str(raw["id"]),
        category=category,
        source=str(raw["source"]),
        pattern=raw["pattern"],
        event=raw.get("event"),
        match=raw.get("match"),
        error=raw.get("error"),
        note=str(raw.get("note", "")),
        known_defect=defect,
    )


def counts(cases: list[Case]) -> Counter[str]:
    return Counter(case.category for case in cases)


def summary(cases: list[Case]) -> str:
    """`352 cases (12 known defects): anything_but 37, arrays 22, ...`"""
    by_category = ", ".join(f"{name} {count}" for name, count in sorted(counts(cases).items()))
    defects = sum(1 for case in cases if case.known_defect)
    return f"{len(cases)} cases ({defects} known defects): {by_category}"


def _event_matches(compiled: Any, event: Any) -> bool:
    """One event, JSON text read as AWS reads it when the engine can (matches_json), else parsed here."""
    if isinstance(event, str):
        matches_json = getattr(compiled, "matches_json", None)
        if matches_json is not None:
            return bool(matches_json(event))
        event = json.loads(event)
    return bool(compiled.matches(event))


def _ruleset_matches(pattern: Any, event: Any) -> bool:
    ruleset = RuleSet({"case": pattern})
    if isinstance(event, str):
        match_json = getattr(ruleset, "match_json", None)
        if match_json is not None:
            return list(match_json(event)) == ["case"]
        event = json.loads(event)
    return ruleset.match(event) == ["case"]


def outcome(case: Case) -> dict[str, Any]:
    """What the engine answers, in the case's own terms: {"error": message} or {"match": bool} (from both
    the single-pattern and the rule-set paths; {"disagree": ...} when those two differ)."""
    try:
        compiled = compile_pattern(case.pattern)
    except InvalidPatternError as exc:
        return {"error": exc.message}
    if case.event is None:
        return {"valid": True}
    single = _event_matches(compiled, case.event)
    indexed = _ruleset_matches(case.pattern, case.event)
    if single != indexed:
        return {"disagree": {"compile_pattern": single, "RuleSet": indexed}}
    return {"match": single}


def expected(case: Case) -> dict[str, Any]:
    return {"error": case.error} if case.error is not None else {"match": case.match}
