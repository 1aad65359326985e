"""Publishing throughput: the recipe's publisher (one entry per PutEvents call, serial) against
`tooling publish batch` (batched, concurrent), same events, same moto server, same run.

Run: .venv/bin/python benchmarks/publish.py [--events 3000] [--concurrency 2] [--check 300]

A moto server (moto.server.ThreadedMotoServer) on 127.0.0.1 is the PutEvents endpoint; boto3 reaches it
through AWS_ENDPOINT_URL. By default it runs in a child process, as a remote endpoint would: in the same
process its request handling competes with the client for one GIL, which caps any concurrent client near
the server's single-core speed (--in-process measures that arrangement too). The speed runs use a bus
with no rules, so they measure ingestion, not moto's delivery. A separate, small
correctness check publishes to a bus whose rule targets an SQS queue and checks that every event arrived
exactly once (moto's SQS delivery slows as the queue grows, so that part is not a speed test).
Benchmarks print figures; they never fail on time.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

REGION = "us-east-1"
SEED = 2026
GOAL = 15.0


def _serve(conn: Connection) -> None:
    """Child process: run the moto server, report its address, stay up until told to stop."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    conn.send(server.get_host_and_port())
    conn.recv()
    server.stop()


def start_moto(in_process: bool) -> tuple[str, int, Callable[[], None]]:
    """(host, port, stop) of a moto server on 127.0.0.1."""
    if in_process:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        return host, port, server.stop
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(child,), daemon=True)
    process.start()
    host, port = parent.recv()

    def stop() -> None:
        parent.send("stop")
        process.join(timeout=10)

    return str(host), int(port), stop


def _environment(endpoint: str, root: Path) -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "benchmark",
            "AWS_SECRET_ACCESS_KEY": "benchmark",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": endpoint,
            "TOOLING_ROOT": str(root),  # no environments/ here: publisher settings are the defaults
        }
    )
    os.environ.pop("AWS_PROFILE", None)


def _outputs_file(root: Path, bus_name: str, account: str) -> Path:
    path = root / f"{bus_name}.outputs.json"
    values: dict[str, Any] = {
        "region": REGION,
        "event_bus_name": bus_name,
        "event_bus_arn": f"arn:aws:events:{REGION}:{account}:event-bus/{bus_name}",
        "archive_name": f"{bus_name}-archive",
        "rule_arns": {},
        "batch_queue_url": "",
        "batch_queue_arn": "",
        "dead_letter_queue_urls": {},
        "notifications_topic_arn": "",
        "function_names": {},
        "log_group_names": {},
    }
    path.write_text(json.dumps({k: {"value": v} for k, v in values.items()}))
    return path


def recipe_way(bus_name: str, entries: list[dict[str, Any]]) -> tuple[float, float, int]:
    """What the recipe's event_publisher.py does: a default boto3 client, then one PutEvents call per
    event, one after the other. Returns (seconds with client creation, seconds publishing, failed)."""
    import boto3

    failed = 0
    started = time.perf_counter()
    events_client = boto3.client("events")
    publishing = time.perf_counter()
    for entry in entries:
        response = events_client.put_events(Entries=[{**entry, "EventBusName": bus_name}])
        failed += response["FailedEntryCount"]  # the recipe ignores this; we count it to be fair
    finished = time.perf_counter()
    return finished - started, finished - publishing, failed


def tooling_way(outputs: Path, count: int, concurrency: int, seed: int) -> tuple[float, dict[str, Any]]:
    """`tooling publish batch --json` in this process. Returns (seconds for the whole command, its summary);
    the summary's own seconds cover publishing (event generation included, client creation not)."""
    from tooling.cli.app import app

    args = ["publish", "batch", "--count", str(count), "--seed", str(seed), "--concurrency", str(concurrency)]
    stdout = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(stdout):
        code = app([*args, "--outputs", str(outputs), "--json"], standalone_mode=False)
    seconds = time.perf_counter() - started
    if code not in (None, 0):
        print(f"tooling publish batch exited {code}", file=sys.stderr)
    return seconds, json.loads(stdout.getvalue())


def correctness_check(events_client: Any, sqs: Any, count: int, concurrency: int) -> None:
    from tooling.publish.events import SOURCES, EventFactory
    from tooling.publish.http_bus import HttpBus
    from tooling.publish.publisher import PublishSettings, publish

    bus_name = "bench-routed"
    events_client.create_event_bus(Name=bus_name)
    queue_url = sqs.create_queue(QueueName="bench-routed-queue")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    pattern = json.dumps({"source": sorted(SOURCES.values())})
    events_client.put_rule(Name="all-events", EventBusName=bus_name, EventPattern=pattern)
    events_client.put_targets(
        Rule="all-events", EventBusName=bus_name, Targets=[{"Id": "q", "Arn": queue_arn}]
    )

    sent = list(EventFactory(seed=SEED + 1).mixed(count))
    started = time.perf_counter()
    # The engine `tooling publish` ships with: signed PutEvents over keep-alive HTTP, parsed by moto's server.
    summary = publish(HttpBus(bus_name, REGION), sent, PublishSettings(concurrency=concurrency), total=count)
    seconds = time.perf_counter() - started

    received: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        received += [json.loads(m["Body"]) for m in batch]
    arrived = Counter(str(e["detail"]["idempotencyKey"]) for e in received)
    expected = Counter(str(json.loads(e["Detail"])["idempotencyKey"]) for e in sent)
    duplicates = sum(1 for n in arrived.values() if n > 1)
    missing = len(expected - arrived)
    exact = arrived == expected
    by_key = {json.loads(e["Detail"])["idempotencyKey"]: e for e in sent}
    fields_match = all(
        e["source"] == by_key[e["detail"]["idempotencyKey"]]["Source"]
        and e["detail-type"] == by_key[e["detail"]["idempotencyKey"]]["DetailType"]
        for e in received
    )
    verdict = "OK: each arrived exactly once" if exact and fields_match else "MISMATCH"
    print(
        f"correctness: {summary.published}/{count} accepted in {seconds:.2f} s (with delivery to SQS), "
        f"{len(received)} received, {missing} missing, {duplicates} duplicated, "
        f"source/detail-type match: {fields_match} -> {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=3000, help="events each way in total (>= 3000)")
    parser.add_argument("--rounds", type=int, default=3, help="alternate the two ways this many times")
    parser.add_argument("--concurrency", type=int, default=2, help="publisher threads (the issue measured 2)")
    parser.add_argument("--check", type=int, default=300, help="events in the rule -> SQS correctness check")
    parser.add_argument("--in-process", action="store_true", help="run moto in this process (shares the GIL)")
    args = parser.parse_args()

    import boto3

    from tooling.publish.events import EventFactory

    host, port, stop = start_moto(args.in_process)
    where = "in this process" if args.in_process else "in a child process"
    per_round = -(-args.events // args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _environment(f"http://{host}:{port}", root)
        events_client = boto3.client("events", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        for bus in ("bench-recipe", "bench-tooling"):
            events_client.create_event_bus(Name=bus)
        outputs = _outputs_file(root, "bench-tooling", "123456789012")
        print(
            f"moto server on {host}:{port} ({where}), {os.cpu_count()} CPU(s), no rules on the bus; "
            f"{per_round * args.rounds} events each way in {args.rounds} alternating rounds"
        )

        recipe_total = recipe_publishing = tooling_total = tooling_publishing = 0.0
        recipe_events = tooling_events = failed = 0
        for round_number in range(args.rounds):
            # The same events both ways: the batch command regenerates them from the same seed and mix.
            seed = SEED + round_number
            entries = list(EventFactory(seed=seed).mixed(per_round))
            total, publishing, recipe_failed = recipe_way("bench-recipe", entries)
            recipe_total += total
            recipe_publishing += publishing
            recipe_events += per_round - recipe_failed
            total, summary = tooling_way(outputs, per_round, args.concurrency, seed)
            tooling_total += total
            tooling_publishing += summary["seconds"]
            tooling_events += summary["published"]
            failed += recipe_failed + summary["failed"]
            print(
                f"  round {round_number + 1}: recipe {per_round / publishing:5.0f} events/s, "
                f"tooling {summary['events_per_second']:5.0f} events/s publishing "
                f"({summary['published'] / total:.0f} end to end)"
            )

        print(
            f"recipe (1 entry per call, serial):             "
            f"{recipe_events / recipe_publishing:6.0f} events/s "
            f"publishing, {recipe_events / recipe_total:6.0f} end to end ({recipe_events} events)"
        )
        print(
            f"tooling publish batch ({args.concurrency} threads, 10 per call): "
            f"{tooling_events / tooling_publishing:6.0f} events/s "
            f"publishing, {tooling_events / tooling_total:6.0f} end to end ({tooling_events} events)"
        )
        ratio = (tooling_events / tooling_publishing) / (recipe_events / recipe_publishing)
        ratio_end_to_end = (tooling_events / tooling_total) / (recipe_events / recipe_total)
        verdict = "meets" if ratio >= GOAL else "below"
        print(
            f"ratio: {ratio:.1f}x publishing ({verdict} the goal of {GOAL:.0f}x), "
            f"{ratio_end_to_end:.1f}x end to end; {failed} events failed in all"
        )

        correctness_check(events_client, sqs, args.check, args.concurrency)
    stop()


if __name__ == "__main__":
    main()
