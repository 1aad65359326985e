"""The pattern engine against AWS's own, aws/event-ruler, on the same rules and the same event texts.

Run: PYTHONPATH=. .venv/bin/python benchmarks/patterns_vs_event_ruler.py [--events 20000] [--seconds 3]
     [--sizes 5,100,1000] [--repeat 3] [--seed 25]

Events are e-commerce orders of about 936 bytes of compact JSON (an EventBridge envelope around an order with
a customer, three to five items, shipping and payment); rules are a seeded mix of what routing tables hold:
exact source/detail-type pairs, prefixes, numeric ranges, anything-but lists, exists tests and conditions on
fields of the `items` array. Both engines take each event as JSON text (parsing included, one thread):
`RuleSet.match_json` here, `Machine.rulesForJSONEvent` there. When Java and an event-ruler build are
available (tooling_testing/event_ruler.py builds one from the local snapshot), event-ruler's rate on the
same inputs is printed with the ratio, and the matches of both engines are compared on every event.
Figures are best-of-repeat events per second; the machine should be quiet.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from typing import Any

from tooling.patterns import RuleSet
from tooling_testing import event_ruler

SOURCES = [
    "ecommerce.orders",
    "ecommerce.payments",
    "ecommerce.shipping",
    "ecommerce.customers",
    "ecommerce.returns",
]
DETAIL_TYPES = ["OrderPlaced", "OrderUpdated", "OrderCancelled", "PaymentAuthorized", "PaymentFailed",
                "ShipmentCreated", "ShipmentDelivered", "CustomerUpdated", "ReturnRequested", "RefundIssued"]  # fmt: skip
STATUSES = ["PLACED", "CONFIRMED", "PAID", "SHIPPED", "DELIVERED", "CANCELLED", "FAILED", "REFUNDED"]
CHANNELS = ["web", "ios", "android", "store", "partner"]
TIERS = ["bronze", "silver", "gold", "platinum"]
COUNTRIES = ["US", "CA", "GB", "DE", "FR", "JP", "AU", "BR", "IN", "MX"]
CATEGORIES = ["electronics", "books", "apparel", "home", "toys", "grocery", "beauty", "sports"]
SHIPPING = ["standard", "express", "overnight", "pickup"]
PAYMENT = ["card", "paypal", "giftcard", "bank-transfer"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]


def make_event(n: int, rng: random.Random) -> str:
    """One order event as compact JSON text (about 936 bytes on average)."""
    items = [
        {
            "sku": f"SKU-{rng.randrange(1000, 9999)}-{rng.choice(['BLK', 'WHT', 'RED', 'XL', 'S'])}",
            "category": rng.choice(CATEGORIES),
            "quantity": rng.randrange(1, 6),
            "price": round(rng.uniform(2, 500), 2),
        }
        for _ in range(rng.randrange(3, 6))
    ]
    total = round(sum(item["quantity"] * item["price"] for item in items), 2)
    detail: dict[str, Any] = {
        "orderId": f"ord-{rng.randrange(10**9):09d}",
        "status": rng.choice(STATUSES),
        "channel": rng.choice(CHANNELS),
        "currency": "USD",
        "total": total,
        "itemCount": len(items),
        "customer": {
            "id": f"cust-{rng.randrange(10**6):06d}",
            "tier": rng.choice(TIERS),
            "country": rng.choice(COUNTRIES),
        },
        "items": items,
        "shipping": {"method": rng.choice(SHIPPING), "country": rng.choice(COUNTRIES)},
        "payment": {
            "method": rng.choice(PAYMENT),
            "status": rng.choice(["authorized", "captured", "declined"]),
        },
    }
    detail["metadata"] = {
        "traceId": f"1-{rng.getrandbits(32):08x}-{rng.getrandbits(96):024x}",
        "client": rng.choice(["web/4.2.1", "ios/17.4", "android/14.1", "pos/2.0"]),
    }
    if rng.random() < 0.3:
        detail["coupon"] = f"SAVE{rng.randrange(5, 50)}"
    if rng.random() < 0.2:
        detail["giftMessage"] = "Happy birthday!"
    event = {
        "version": "0",
        "id": f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-4{rng.getrandbits(12):03x}-"
        f"{rng.getrandbits(16):04x}-{rng.getrandbits(48):012x}",
        "detail-type": rng.choice(DETAIL_TYPES),
        "source": rng.choice(SOURCES),
        "account": "123456789012",
        "time": f"2026-03-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:"
        f"{rng.randrange(60):02d}Z",
        "region": rng.choice(REGIONS),
        "resources": [f"arn:aws:events:us-east-1:123456789012:order/{n}"],
        "detail": detail,
    }
    return json.dumps(event, separators=(",", ":"))


def make_rule(rng: random.Random) -> dict[str, Any]:
    """One rule of the mix (weights: exact 30%, prefix 15%, numeric 20%, anything-but 15%, exists 10%,
    items 10%)."""
    kind = rng.random()
    source = [rng.choice(SOURCES)]
    if kind < 0.30:
        return {"source": source, "detail-type": rng.sample(DETAIL_TYPES, rng.randrange(1, 3))}
    if kind < 0.45:
        return rng.choice(
            [
                {"source": [{"prefix": "ecommerce."}], "detail": {"orderId": [{"prefix": f"ord-{rng.randrange(10)}"}]}},
                {"detail": {"customer": {"id": [{"prefix": f"cust-{rng.randrange(100):02d}"}]}}},
                {"detail-type": [{"prefix": rng.choice(["Order", "Payment", "Shipment"])}],
                 "detail": {"channel": [rng.choice(CHANNELS)]}},
            ]
        )  # fmt: skip
    if kind < 0.65:
        low = rng.randrange(0, 2000)
        return rng.choice(
            [
                {"detail-type": [rng.choice(DETAIL_TYPES)], "detail": {"total": [{"numeric": [">", low]}]}},
                {"source": source, "detail": {"total": [{"numeric": [">=", low, "<", low + rng.randrange(50, 1000)]}]}},
                {"detail": {"itemCount": [{"numeric": [">=", rng.randrange(3, 6)]}],
                            "customer": {"tier": [rng.choice(TIERS)]}}},
            ]
        )  # fmt: skip
    if kind < 0.80:
        return rng.choice(
            [
                {"source": source, "detail": {"status": [{"anything-but": rng.sample(STATUSES, 2)}]}},
                {"detail": {"customer": {"country": [{"anything-but": rng.choice(COUNTRIES)}]},
                            "channel": [rng.choice(CHANNELS)]}},
                {"detail-type": [rng.choice(DETAIL_TYPES)], "region": [{"anything-but": {"prefix": "us-"}}]},
            ]
        )  # fmt: skip
    if kind < 0.90:
        return rng.choice(
            [
                {"source": source, "detail": {"coupon": [{"exists": True}]}},
                {"detail-type": [rng.choice(DETAIL_TYPES)], "detail": {"giftMessage": [{"exists": False}]}},
                {"detail": {"payment": {"status": ["declined"]}, "coupon": [{"exists": rng.random() < 0.5}]}},
            ]
        )  # fmt: skip
    return rng.choice(
        [
            {"detail": {"items": {"category": [rng.choice(CATEGORIES)], "quantity": [{"numeric": [">=", rng.randrange(2, 6)]}]}}},
            {"source": source, "detail": {"items": {"sku": [{"prefix": f"SKU-{rng.randrange(1, 10)}"}]}}},
            {"detail": {"items": {"category": [rng.choice(CATEGORIES)], "price": [{"numeric": [">", rng.randrange(50, 450)]}]}}},
        ]
    )  # fmt: skip


def make_rules(count: int, rng: random.Random) -> dict[str, str]:
    return {f"rule-{i:04d}": json.dumps(make_rule(rng)) for i in range(count)}


def ours_rate(ruleset: RuleSet, events: list[str], seconds: float) -> float:
    match = ruleset.match_json
    done = 0
    start = time.perf_counter()
    while True:
        for event in events:
            match(event)
        done += len(events)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20000, help="distinct events (default 20000)")
    parser.add_argument("--sizes", default="5,100,1000", help="rule counts (default 5,100,1000)")
    parser.add_argument("--seconds", type=float, default=3.0, help="minimum timing per run (default 3)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine and size; best is kept")
    parser.add_argument("--seed", type=int, default=25)
    parser.add_argument("--no-java", action="store_true", help="time this engine only")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    events = [make_event(n, rng) for n in range(args.events)]
    size = sum(len(e) for e in events) / len(events)
    java_reason = "--no-java" if args.no_java else event_ruler.available()
    print(f"{len(events)} events, {size:.0f} bytes on average; one thread, JSON text in, parsing included")
    if java_reason:
        print(f"event-ruler: not measured ({java_reason})")
    print(f"{'rules':>5}  {'this engine (ev/s)':>19}  {'event-ruler (ev/s)':>19}  {'ratio':>5}  matches")
    for count in [int(n) for n in args.sizes.split(",")]:
        rules = make_rules(count, random.Random(args.seed * 1000 + count))
        ruleset = RuleSet(rules)
        ours = [ruleset.match_json(e) for e in events]
        matched = sum(1 for m in ours if m)
        ours_best = max(ours_rate(ruleset, events, args.seconds) for _ in range(args.repeat))
        if java_reason:
            print(f"{count:5d}  {ours_best:19,.0f}  {'-':>19}  {'-':>5}  {matched} events matched a rule")
            continue
        theirs_best = 0.0
        differ = 0
        for _ in range(args.repeat):
            answers, rate = event_ruler.bench(rules, events, args.seconds)
            theirs_best = max(theirs_best, rate)
            differ = sum(a != b for a, b in zip(ours, answers, strict=True))
        verdict = "identical" if differ == 0 else f"{differ} of {len(events)} events differ"
        print(
            f"{count:5d}  {ours_best:19,.0f}  {theirs_best:19,.0f}  {ours_best / theirs_best:5.2f}  {verdict}"
        )


if __name__ == "__main__":
    main()
