"""Pattern matching throughput: tooling.patterns.RuleSet against moto's matcher, same rules, same events.

Run: .venv/bin/python benchmarks/patterns.py [--events 2000] [--seconds 1.0]

The rule mix is the common case of a routing table: exact source and detail-type values, some prefixes,
some numeric conditions and a few rules that cannot be indexed (anything-but). moto
(moto.events.models.EventPattern) checks every rule in turn; the RuleSet looks rules up by field values.
Both engines see the same events in the same run; their answers are compared before timing.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from typing import Any

from moto.events.models import EventPattern

from tooling.patterns import RuleSet

SOURCES = [f"ecommerce.service{i}" for i in range(10)]


def make_rules(count: int, rng: random.Random) -> dict[str, dict[str, Any]]:
    rules: dict[str, dict[str, Any]] = {}
    for i in range(count):
        source = SOURCES[i % len(SOURCES)]
        kind = rng.random()
        if kind < 0.6:
            pattern: dict[str, Any] = {
                "source": [source],
                "detail-type": [f"Event Type {i}", f"Event Alias {i}"],
            }
        elif kind < 0.8:
            pattern = {"source": [source], "detail": {"sku": [{"prefix": f"SKU-{i}-"}]}}
        elif kind < 0.95:
            pattern = {
                "detail-type": [f"Event Type {i}"],
                "detail": {"amount": [{"numeric": [">", i % 500]}]},
            }
        else:
            pattern = {"source": [{"anything-but": source}], "detail": {"status": ["failed"]}}
        rules[f"rule-{i}"] = pattern
    return rules


def make_events(count: int, rules: int, rng: random.Random) -> list[dict[str, Any]]:
    events = []
    for n in range(count):
        i = rng.randrange(max(rules, 1) * 2)  # about half the events hit no specific rule
        events.append(
            {
                "version": "0",
                "id": f"00000000-0000-0000-0000-{n:012d}",
                "detail-type": f"Event Type {i}",
                "source": SOURCES[i % len(SOURCES)],
                "account": "123456789012",
                "time": "2026-11-26T12:00:00Z",
                "region": "us-east-1",
                "resources": [],
                "detail": {
                    "sku": f"SKU-{i}-{rng.randrange(1000)}",
                    "amount": rng.randrange(1000),
                    "status": rng.choice(["ok", "failed"]),
                    "customer": {"id": f"c-{rng.randrange(10_000)}", "tier": "gold"},
                },
            }
        )
    return events


def throughput(run: Callable[[dict[str, Any]], Any], events: list[dict[str, Any]], seconds: float) -> float:
    """Events per second, looping over the events for at least `seconds`."""
    done = 0
    start = time.perf_counter()
    while True:
        for event in events:
            run(event)
        done += len(events)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2000, help="distinct events per rule count")
    parser.add_argument("--seconds", type=float, default=1.0, help="minimum timing per engine and rule count")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    print("rules  tooling.patterns (events/s)  moto EventPattern (events/s)  ratio")
    for count in (1, 10, 100, 1000):
        rng = random.Random(args.seed)
        rules = make_rules(count, rng)
        events = make_events(args.events, count, rng)
        ruleset = RuleSet(rules)
        moto_rules = [(name, EventPattern.load(json.dumps(p))) for name, p in rules.items()]

        def moto_match(
            event: dict[str, Any], moto_rules: list[tuple[str, EventPattern]] = moto_rules
        ) -> list[str]:
            return [name for name, pattern in moto_rules if pattern.matches_event(event)]  # type: ignore[arg-type]  # moto types events as its own TypedDict

        disagreements = sum(ruleset.match(e) != moto_match(e) for e in events[:200])
        ours = throughput(ruleset.match, events, args.seconds)
        # moto is slow with many rules: fewer events keep the run short, the rate is what counts.
        theirs = throughput(moto_match, events[: max(20, 20_000 // count)], args.seconds)
        note = f"  ({disagreements} of 200 answers differ)" if disagreements else ""
        print(f"{count:5d}  {ours:27,.0f}  {theirs:28,.0f}  {ours / theirs:5.1f}x{note}")


if __name__ == "__main__":
    main()
