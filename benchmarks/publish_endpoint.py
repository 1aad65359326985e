"""Publisher CPU and throughput against a PutEvents endpoint that answers at once, so the publisher is the limit.

Run: .venv/bin/python benchmarks/publish_endpoint.py [--events 20000] [--recipe-events 2000] [--rounds 2]

The endpoint is tooling_testing.sink in its own process (its CPU is not the client's). Every publisher runs
as a whole process, as a user runs it (interpreter start, imports and client creation included), and is
measured from outside: wall time, and CPU from resource.getrusage(RUSAGE_CHILDREN) of its process tree.
Rows:
  recipe        the recipe's event_publisher.py way: boto3, one entry per PutEvents call, serial
  plain loop    ten lines: boto3 put_events with 10 entries per call, one thread (the baseline)
  tooling publish batch --count N   with --engine boto3 --processes 1, with --processes 1, and as shipped
All generate the same realistic events (EventFactory). Ratios are to the plain loop measured in the same run;
the machine is shared, so absolute figures are noisy and ratios are the result. Then an in-process breakdown
of one process's CPU per event by stage, which is where the profile said the time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REGION = "us-east-1"
BUS = "bench"
SEED = 7
GOAL_RATIO = 3.0
GOAL_CPU_US = 100.0

# Both scripts print "<failed> <seconds>": seconds from after imports and client creation to the end, the
# span `tooling publish --json` reports as its own "seconds" (event generation included in all three).
RECIPE = """
import sys, time, boto3
from tooling.publish.events import EventFactory
count, bus = int(sys.argv[1]), sys.argv[2]
client = boto3.client("events")
started, failed = time.perf_counter(), 0
for entry in EventFactory(seed=7).mixed(count):
    failed += client.put_events(Entries=[{**entry, "EventBusName": bus}])["FailedEntryCount"]
print(failed, time.perf_counter() - started)
"""

PLAIN_LOOP = """
import sys, time, boto3
from tooling.publish.events import EventFactory
count, bus = int(sys.argv[1]), sys.argv[2]
client = boto3.client("events")
started, failed = time.perf_counter(), 0
entries = [{**e, "EventBusName": bus} for e in EventFactory(seed=7).mixed(count)]
for i in range(0, count, 10):
    failed += client.put_events(Entries=entries[i : i + 10])["FailedEntryCount"]
print(failed, time.perf_counter() - started)
"""


@dataclass
class Row:
    name: str
    events: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    failed: int = 0
    publishing_seconds: float = 0.0  # the tool's own `seconds` (publishing only), when it reports them

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    @property
    def publishing(self) -> float:
        return self.events / self.publishing_seconds if self.publishing_seconds else 0.0

    @property
    def cpu_us(self) -> float:
        return self.cpu / self.events * 1e6 if self.events else 0.0


def start_sink() -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tooling_testing.sink"], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("PORT "):
        raise SystemExit(f"the sink did not start: {line!r}")
    return process, int(line.split()[1])


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the process tree, stdout) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} ... failed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, done.stdout


def outputs_file(root: Path) -> Path:
    values = {
        "region": REGION,
        "event_bus_name": BUS,
        "event_bus_arn": f"arn:aws:events:{REGION}:123456789012:event-bus/{BUS}",
        "archive_name": f"{BUS}-archive",
        "rule_arns": {},
        "batch_queue_url": "",
        "batch_queue_arn": "",
        "dead_letter_queue_urls": {},
        "notifications_topic_arn": "",
        "function_names": {},
        "log_group_names": {},
    }
    path = root / "outputs.json"
    path.write_text(json.dumps({key: {"value": value} for key, value in values.items()}))
    return path


def breakdown(count: int) -> None:
    """One process's CPU per event by stage, measured in this process against the same sink."""
    from tooling.publish.events import EventFactory
    from tooling.publish.http_bus import HttpBus, request_body
    from tooling.publish.publisher import Publisher, PublishSettings

    class Accepting:
        def put_events(self, entries: list[dict[str, object]]) -> list[dict[str, str]]:
            return [{"EventId": "x"}] * len(entries)

    def cpu(work: object) -> float:
        started = time.process_time()
        assert callable(work)
        work()
        return (time.process_time() - started) / count * 1e6

    entries: list[dict[str, object]] = []
    generate = cpu(lambda: entries.extend(EventFactory(seed=SEED).mixed(count)))
    batches = [entries[i : i + 10] for i in range(0, count, 10)]
    bus = HttpBus(BUS, REGION)
    body = request_body(BUS, batches[0])
    _, headers = bus.signed_request(body)
    stages = {
        "generate events (EventFactory)": generate,
        "batching, threads, accounting (Publisher, bus that accepts)": cpu(
            lambda: Publisher(Accepting(), PublishSettings()).run(entries, total=count)
        ),
        "PutEvents body (json)": cpu(lambda: [request_body(BUS, b) for b in batches]),
        "SigV4 (botocore SigV4Auth)": cpu(lambda: [bus.signed_request(body) for _ in batches]),
        "HTTP round trip (one write, kept-alive connection)": cpu(
            lambda: [bus._post(body, headers) for _ in batches]
        ),
    }
    import boto3

    client = boto3.client("events", region_name=REGION)
    request = [{**e, "EventBusName": BUS} for e in batches[0]]
    stages["for comparison: boto3 put_events, whole call"] = cpu(
        lambda: [client.put_events(Entries=request) for _ in batches]
    )
    print(f"where one process's CPU goes, µs per event ({count} events, 10 per call):")
    for name, value in stages.items():
        print(f"  {name:<62} {value:6.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20000, help="events per run of the batch rows")
    parser.add_argument("--recipe-events", type=int, default=2000, help="events per run of the recipe row")
    parser.add_argument("--rounds", type=int, default=2, help="runs of every row, interleaved")
    args = parser.parse_args()

    sink, port = start_sink()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            env = {
                **os.environ,
                "AWS_ACCESS_KEY_ID": "benchmark",
                "AWS_SECRET_ACCESS_KEY": "benchmark",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                "TOOLING_ROOT": str(root),  # no environments/ here: publisher settings are the defaults
                "NO_COLOR": "1",
            }
            env.pop("AWS_PROFILE", None)
            os.environ.update({k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")})
            os.environ.update({k: env[k] for k in ("AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL")})
            outputs = outputs_file(root)
            tooling = [str(Path(sys.executable).parent / "tooling")]  # the console script a user runs
            batch = [*tooling, "publish", "batch", "--count", str(args.events), "--seed", str(SEED)]
            batch += ["--outputs", str(outputs), "--json"]
            runs: list[tuple[Row, list[str], int]] = [
                (Row("recipe: boto3, 1 entry per call"), [sys.executable, "-c", RECIPE], args.recipe_events),
                (
                    Row("plain loop: boto3, 10 per call, 1 thread"),
                    [sys.executable, "-c", PLAIN_LOOP],
                    args.events,
                ),
                (
                    Row("tooling publish batch --engine boto3 --processes 1"),
                    [*batch, "--engine", "boto3", "--processes", "1"],
                    args.events,
                ),
                (Row("tooling publish batch --processes 1"), [*batch, "--processes", "1"], args.events),
                (Row("tooling publish batch (http engine, 1 process per CPU)"), batch, args.events),
            ]
            print(
                f"PutEvents sink on 127.0.0.1:{port} (own process), {os.cpu_count()} CPU(s); "
                f"{args.rounds} interleaved round(s); whole processes, CPU of each process tree"
            )
            for _ in range(args.rounds):
                for row, argv, count in runs:
                    if argv[1] == "-c":
                        argv = [*argv, str(count), BUS]
                    seconds, cpu, out = measure(argv, env)
                    row.events += count
                    row.seconds += seconds
                    row.cpu += cpu
                    if argv[0] == sys.executable:
                        failed, publishing = out.split()
                        row.failed += int(failed)
                        row.publishing_seconds += float(publishing)
                    else:
                        summary = json.loads(out)
                        row.failed += summary["failed"]
                        row.publishing_seconds += summary["seconds"]
            baseline = runs[1][0]
            print(
                f"{'publisher (whole process)':<56} {'events/s':>9} {'ratio':>6} {'CPU µs/event':>13} "
                f"{'after startup: events/s':>24} {'ratio':>6}"
            )
            for row, _, _ in runs:
                print(
                    f"{row.name:<56} {row.rate:9.0f} {row.rate / baseline.rate:5.1f}x {row.cpu_us:13.0f} "
                    f"{row.publishing:24.0f} {row.publishing / baseline.publishing:5.1f}x"
                )
            shipped = runs[-1][0]
            failed = sum(row.failed for row, _, _ in runs)
            ratio = shipped.rate / baseline.rate
            after_startup = shipped.publishing / baseline.publishing
            run = shipped.seconds / args.rounds
            fixed = (shipped.seconds - shipped.publishing_seconds) / args.rounds
            print(
                f"shipped publisher: {ratio:.1f}x the plain loop whole process, {after_startup:.1f}x after "
                f"startup (goal {GOAL_RATIO:.0f}x: {'met' if ratio >= GOAL_RATIO else 'not met'} / "
                f"{'met' if after_startup >= GOAL_RATIO else 'not met'}), {shipped.cpu_us:.0f} µs CPU per event "
                f"(goal {GOAL_CPU_US:.0f}: {'met' if shipped.cpu_us <= GOAL_CPU_US else 'not met'}); "
                f"{failed} event(s) failed in all; start-up and exit {fixed:.2f} s of each {run:.2f} s run"
            )
            breakdown(min(args.events, 10000))
    finally:
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    main()
