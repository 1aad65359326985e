"""Local target throughput, end to end: publish -> validate -> archive -> route -> SQS/SNS stored and Lambda
invocations queued (one SQLite transaction per PutEvents call), for the default routing table
(environments/dev.toml) and for 100 rules; then the dispatcher draining the queued invocations on warm
workers. Baseline, measured in the same run: moto's EventBridge (mock_aws, in memory, no durability) with
the same rules and events, every target an SQS queue (moto delivers to SQS).

Run: .venv/bin/python benchmarks/local.py [--events 2000] [--baseline-events 100]
Uses a temporary state folder and the existing build/lambda.zip; never touches .tooling/.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from tooling import local
from tooling.config import Config, load_config, parse_config
from tooling.deploy.package import build_package
from tooling.publish.events import EventFactory
from tooling.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
BATCH = 10


def hundred_rules(base: Config, rng: random.Random) -> Config:
    data = base.model_dump(mode="json")
    kinds = [("ecommerce.orders", "Order Created"), ("ecommerce.orders", "Order Updated"),
             ("ecommerce.users", "User Registered"), ("ecommerce.payments", "Payment Processed"),
             ("ecommerce.inventory", "Stock Updated")]  # fmt: skip
    rules = []
    for i in range(100):
        source, detail_type = kinds[i % len(kinds)]
        roll = rng.random()
        if roll < 0.5:
            pattern: dict[str, Any] = {"source": [source], "detail-type": [detail_type]}
        elif roll < 0.8:
            pattern = {"source": [source], "detail": {"currency": [rng.choice(["USD", "EUR", "GBP"])]}}
        else:
            pattern = {
                "source": ["ecommerce.orders"],
                "detail": {"totalAmount": [{"numeric": [">", 50 * i]}]},
            }
        target = "batch-queue" if i % 10 < 8 else ("analytics" if i % 10 == 8 else "notifications")
        rules.append({"name": f"r{i:03d}", "pattern": pattern, "targets": [{"target": target}]})
    data["rules"] = rules
    return parse_config(data)


def provision(root: Path, config: Config) -> tuple[Workspace, Any]:
    workspace = Workspace(root=root, env=config.environment)
    package = build_package(REPO / "lambda_src", REPO / "build" / "lambda.zip")
    return workspace, local.provision(workspace, config, package)


def local_publish(config: Config, entries: list[dict[str, Any]], tmp: Path) -> tuple[float, dict[str, int]]:
    workspace, outputs = provision(tmp, config)
    bus = local.LocalBus(workspace, outputs, dispatch=False)
    start = time.perf_counter()
    for i in range(0, len(entries), BATCH):
        bus.put_events(entries[i : i + BATCH])
    seconds = time.perf_counter() - start
    store = bus.store
    counts = {
        "archived": int(store.scalar("SELECT COUNT(*) FROM archive")),
        "sqs_messages": int(store.scalar("SELECT COUNT(*) FROM messages")),
        "sns_notifications": int(store.scalar("SELECT COUNT(*) FROM notifications")),
        "invocations_queued": int(store.scalar("SELECT COUNT(*) FROM deliveries")),
    }
    bus.close()
    return seconds, counts


def moto_publish(config: Config, entries: list[dict[str, Any]]) -> float:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    import boto3
    from moto import mock_aws

    with mock_aws():
        events = boto3.client("events", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue_arn = sqs.get_queue_attributes(
            QueueUrl=sqs.create_queue(QueueName="bench")["QueueUrl"], AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        events.create_event_bus(Name="bench")
        for rule in config.rules:
            events.put_rule(Name=rule.name, EventBusName="bench", EventPattern=json.dumps(rule.pattern))
            targets = [{"Id": t.target_id, "Arn": queue_arn} for t in rule.targets]
            events.put_targets(Rule=rule.name, EventBusName="bench", Targets=targets)
        start = time.perf_counter()
        for i in range(0, len(entries), BATCH):
            events.put_events(Entries=[{**e, "EventBusName": "bench"} for e in entries[i : i + BATCH]])
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--baseline-events", type=int, default=100)
    args = parser.parse_args()
    base = load_config(REPO / "environments" / "dev.toml")
    configs = {"default routing table": base, "100 rules": hundred_rules(base, random.Random(7))}
    entries = list(EventFactory(seed=7).mixed(args.events))
    print(f"{args.events} events (EventFactory seed 7), PutEvents batches of {BATCH}, one caller thread\n")
    for label, config in configs.items():
        with tempfile.TemporaryDirectory(prefix="bench-local-") as tmp:
            seconds, counts = local_publish(config, entries, Path(tmp))
        rate = args.events / seconds
        moto_seconds = moto_publish(config, entries[: args.baseline_events])
        moto_rate = args.baseline_events / moto_seconds
        print(f"{label} ({len(config.rules)} rules)")
        print(
            f"  local target : {rate:8.0f} events/s  ({seconds:.2f} s; "
            + ", ".join(f"{k} {v}" for k, v in counts.items())
            + ")"
        )
        print(
            f"  moto baseline: {moto_rate:8.0f} events/s  ({args.baseline_events} events, {moto_seconds:.2f} s)"
        )
        print(f"  ratio local / moto: {rate / moto_rate:.1f}x\n")
    # The second half of the pipeline: queued invocations run on the warm workers.
    with tempfile.TemporaryDirectory(prefix="bench-local-") as tmp:
        workspace, outputs = provision(Path(tmp), base)
        bus = local.LocalBus(workspace, outputs, dispatch=False)
        for i in range(0, len(entries), BATCH):
            bus.put_events(entries[i : i + BATCH])
        bus.close()
        result = local.drain(workspace, timeout=600)
    print(
        f"drain (default routing table): {result.invocations} Lambda invocations in {result.seconds:.2f} s = "
        f"{result.invocations / result.seconds:.0f} invocations/s including 3 cold starts; complete={result.complete}"
    )


if __name__ == "__main__":
    main()
