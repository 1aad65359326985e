"""`make demo`: the whole architecture on this machine. Applies environments/<env>.toml to the local target
(from a clean local state, so the figures are reproducible), publishes a mixed batch of events (seeded)
plus one high-value order, waits until every Lambda invocation has run, and prints the monitor with the
per-rule matches, per-target deliveries, the SNS notification of the high-value order and the queue depths.

Run: tooling demo [--env dev] [--count 200] [--seed 7] [--wait-timeout 60]   (what `make demo` does)
Exit status 1 when the run is not healthy (anything in a DLQ, a failed invocation, a missing notification).
"""

from __future__ import annotations

import time
from datetime import timedelta

from rich.console import Console

from tooling import local
from tooling.deploy import pipeline as deploy
from tooling.envlock import DEFAULT_WAIT_TIMEOUT, Mode, env_lock
from tooling.errors import ToolingError
from tooling.local.summary import fit
from tooling.observe.monitor import build_snapshot
from tooling.observe.render import render
from tooling.outputs import DeploymentOutputs, load_outputs
from tooling.publish.events import EventFactory
from tooling.publish.publisher import PublishSettings, publish
from tooling.workspace import Workspace

HIGH_VALUE_ORDER_ID = "demo-high-value-order"


def run(env: str, count: int, seed: int, console: Console, wait_timeout: float = DEFAULT_WAIT_TIMEOUT) -> int:
    """The whole demo under the environment's lock EXCLUSIVE, held from the first step to the last (a
    second demo, an apply or a destroy waits up to `wait_timeout` seconds, then refuses); what it calls takes
    the lock re-entrantly, and it drains in-process, so no background dispatcher runs meanwhile."""
    workspace = Workspace.for_env(env)
    with env_lock(workspace, Mode.EXCLUSIVE, command="demo", wait_timeout=wait_timeout):
        return _run(workspace, count, seed, console)


def _run(workspace: Workspace, count: int, seed: int, console: Console) -> int:
    env = workspace.env
    if workspace.outputs_path.is_file() and load_outputs(workspace).target == "aws":
        raise ToolingError(
            f"environment {env!r} is deployed to AWS; the demo would replace its outputs.json",
            hint="run the demo with another environment file, or `tooling destroy` the AWS deployment first",
        )
    begin = time.monotonic()
    console.rule(f"1/4 apply environments/{env}.toml to the local target")
    local.destroy(workspace)  # a clean slate: the same seed then gives the same figures
    prepared = deploy.prepare(workspace)
    outputs = local.apply_local(prepared)
    console.print(
        f"bus {outputs.event_bus_name}: {len(outputs.rule_arns)} rules, "
        f"zip sha256 {prepared.package.sha256[:12]}..."
    )

    console.rule(f"2/4 publish {count} mixed events (seed {seed}) and one high-value order")
    factory = EventFactory(seed=seed)
    entries = [
        *factory.mixed(count),
        factory.entry("order", "Order Created", amount=2500, overrides={"orderId": HIGH_VALUE_ORDER_ID}),
    ]
    bus = local.open_local_bus(workspace, outputs, dispatch=False)
    sent = publish(bus, entries, PublishSettings(concurrency=4))
    if sent.interrupted:  # the publisher took Ctrl-C to stop cleanly; the demo ends there, as in any stage
        raise KeyboardInterrupt
    console.print(f"published {sent.published}, failed {sent.failed}, {sent.events_per_second:.0f} events/s")

    console.rule("3/4 process: Lambda invocations on the warm workers")
    drained = local.drain(workspace, timeout=120)
    console.print(
        f"{drained.invocations} invocations in {drained.seconds:.1f} s, {drained.failed_attempts} failed, "
        f"{drained.pending} still pending"
    )

    if outputs.s3_archive_stream_name:
        # Firehose would write these buffers once their interval passes; the demo does not wait for it.
        flushed = local.flush_s3_archive(workspace, outputs, force=True)
        folder = (workspace.state_dir / "s3" / outputs.s3_archive_bucket_name).relative_to(workspace.root)
        console.print(
            f"S3 archive: {flushed.records} records in {flushed.objects} gzip object(s) under\n  {folder}/\n"
            "  (buffers written at the demo's end, not after buffer_interval_seconds)",
            markup=False,
            highlight=False,
        )

    console.rule("4/4 monitor")
    store = local.local_event_store(workspace, outputs) if outputs.event_store_table_name else None
    snapshot = build_snapshot(
        local.local_monitor_source(workspace, outputs), outputs, timedelta(hours=1), event_store=store
    )
    console.print(render(snapshot))
    summary = local.summary(workspace, outputs)
    console.print("\n".join(summary.lines()), markup=False, highlight=False)
    high_value = [text for text in summary.notifications if HIGH_VALUE_ORDER_ID in text]
    console.print(
        f"\nSNS notification of the high-value order:\n  {fit(high_value[0]) if high_value else 'MISSING'}",
        markup=False,
        highlight=False,
    )
    console.print(f"demo finished in {time.monotonic() - begin:.1f} s: {snapshot.health.verdict}")
    console.print("\n".join(next_steps(env, outputs)), markup=False, highlight=False)
    archived = summary.s3_archive
    archive_ok = archived is None or (
        archived.delivered_records == archived.incoming_records and archived.failed_deliveries == 0
    )
    ok = sent.ok and drained.complete and snapshot.health.status == "OK" and bool(high_value) and archive_ok
    return 0 if ok else 1


def next_steps(env: str, outputs: DeploymentOutputs) -> list[str]:
    """The demo's last lines: three commands to try on what it left running (each exists; see --help)."""
    flag = "" if env == "dev" else f" --env {env}"
    steps = [
        (f"tooling publish order --amount 2500{flag}", "a high-value order: the notifier's SNS"),
        (f"tooling monitor --watch{flag}", "the live view (Ctrl-C to stop)"),
    ]
    if outputs.failover is not None:
        steps.append((f"tooling failover drill --yes{flag}", "fail over to the secondary and back"))
    elif outputs.s3_archive_bucket_name:
        steps.append((f"tooling s3-archive cat --latest{flag}", "what the Firehose stream wrote"))
    elif outputs.event_store_table_name:
        steps.append((f"tooling events query --source ecommerce.orders{flag}", "the event store"))
    else:
        steps.append((f"tooling logs --function notifier{flag}", "the notifier's log"))
    width = max(len(command) for command, _ in steps)
    return ["try next:", *(fit(f"  {command:<{width}}  {what}") for command, what in steps)]
