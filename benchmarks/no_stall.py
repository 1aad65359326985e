"""No stall on the local target: 2,000 events drained with one poisoned event retrying in the background.

The poisoned event is an order the real processor rejects (no totalAmount: InvalidEventError), published
first. Lambda retries it (the function's async config, 2 retries) on a due time, with the local backoff
stretched to seconds so the retries fall inside the run. Figure: the time until every other event's
invocations are done, and the whole drain. Baseline, measured in the same run: the same 2,000 events without
the poisoned one. Goal: within 20% of the baseline (the poison adds its own three invocations, nothing else).

Run: .venv/bin/python benchmarks/no_stall.py [--events 2000] [--retry-seconds 1.0]
Uses temporary state folders and the existing build/lambda.zip; never touches .tooling/.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from tooling import local
from tooling.config import load_config
from tooling.deploy.package import build_package
from tooling.local import delivery
from tooling.local.store import Store
from tooling.publish.events import EventFactory
from tooling.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
BATCH = 10
POISON = {
    "Source": "ecommerce.orders",
    "DetailType": "Order Created",
    "Detail": json.dumps({"orderId": "o-poison", "customerId": "c-1"}),
}


def run(entries: list[dict[str, Any]], poisoned: bool) -> dict[str, float]:
    config = load_config(REPO / "environments" / "dev.toml")
    package = build_package(REPO / "lambda_src", REPO / "build" / "lambda.zip")
    with tempfile.TemporaryDirectory(prefix="bench-no-stall-") as tmp:
        workspace = Workspace(root=Path(tmp), env=config.environment)
        outputs = local.provision(workspace, config, package)
        bus = local.LocalBus(workspace, outputs, dispatch=False)
        batch = [POISON, *entries] if poisoned else entries
        poison_id = None
        for i in range(0, len(batch), BATCH):
            results = bus.put_events(batch[i : i + BATCH])
            if poisoned and i == 0:
                poison_id = results[0]["EventId"]
        bus.close()
        start = time.time()
        result = local.drain(workspace, timeout=600)
        store = Store.open(workspace)
        try:
            others_done = float(
                store.scalar(
                    "SELECT MAX(started_at + duration_ms / 1000) FROM invocations WHERE event_id IS NOT ?",
                    (poison_id,),
                )
            )
            poison_attempts = int(
                store.scalar(
                    "SELECT COUNT(*) FROM invocations WHERE event_id = ? AND function_key = 'processor'",
                    (poison_id,),
                )
                or 0
            )
            last_poison = store.scalar(
                "SELECT MAX(started_at) FROM invocations WHERE event_id = ? AND function_key = 'processor'",
                (poison_id,),
            )
        finally:
            store.close()
    return {
        "others_seconds": others_done - start,
        "drain_seconds": result.seconds,
        "invocations": result.invocations,
        "poison_attempts": poison_attempts,
        "poison_last_attempt_seconds": (float(last_poison) - start) if last_poison else 0.0,
        "complete": float(result.complete),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--retry-seconds", type=float, default=1.0, help="local backoff base (default 1 s)")
    args = parser.parse_args()
    delivery.RETRY_BASE_SECONDS = args.retry_seconds
    delivery.RETRY_MAX_SECONDS = 2 * args.retry_seconds
    entries = list(EventFactory(seed=7).mixed(args.events))
    print(
        f"{args.events} events (EventFactory seed 7), drained in-process; retry backoff {args.retry_seconds} s\n"
    )
    baseline = run(entries, poisoned=False)
    poisoned = run(entries, poisoned=True)
    print(
        f"baseline (no poison): {baseline['invocations']:.0f} invocations, the events done in "
        f"{baseline['others_seconds']:.2f} s, drain {baseline['drain_seconds']:.2f} s"
    )
    print(
        f"with one poisoned   : {poisoned['invocations']:.0f} invocations, the other events done in "
        f"{poisoned['others_seconds']:.2f} s, drain {poisoned['drain_seconds']:.2f} s; the poison tried "
        f"{poisoned['poison_attempts']:.0f} times, last at +{poisoned['poison_last_attempt_seconds']:.2f} s, "
        f"then its function's DLQ"
    )
    ratio = poisoned["others_seconds"] / baseline["others_seconds"]
    verdict = "within" if ratio <= 1.2 else "NOT within"
    print(f"ratio (other events' drain time, poisoned / baseline): {ratio:.2f}x ({verdict} the 1.20x goal)")


if __name__ == "__main__":
    main()
