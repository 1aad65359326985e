"""One e2e run: the project's own commands, real Terraform and the real provider, against moto.

For an environment: copy the project to a scratch root (the user's .tooling/ and build/ stay untouched),
point every service terraform/ and the tooling use at one moto server, then
`tooling plan` -> `tooling apply --target aws -y` -> `tooling plan` (must be empty) -> `tooling drift` after
two changes made out of band (drift_step.py: exactly those reported, then undone) -> `tooling outputs`
-> `tooling monitor` -> `tooling publish batch --count N` (the batch queue must then hold N, or, with the batch
consumer, none: moto's event source mapping hands each message to the function and deletes it; moto
runs no function code without Docker, so the event store stays empty there and is checked for its key and
the mapping for its settings instead) -> `tooling publish file --bus default` of an AWS service event (the
custom bus's archive must grow by one) -> `tooling s3-archive ls` (the S3 archive holds every published event;
the bucket is then emptied) -> `tooling smoke` (smoke_step.py) -> `tooling destroy -y` (list calls must then
find nothing of the stack). Every command runs as a user runs it, in a child process; its output goes to a log file under the scratch root. The stack's roles carry the
bootstrap's permissions boundary, and every AWS call of plan, apply, the re-plan and destroy is recorded and
held to the environment's CI deploy and plan roles (role_calls.py).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

from tooling.config import EndpointService, load_config
from tooling.deploy.terraform import find_binary
from tooling.errors import TerraformError, ToolingError, UnavailableError
from tooling.publish.aws_samples import aws_service_event
from tooling.workspace import Workspace
from tooling_testing.checks import role_calls
from tooling_testing.checks.inspection import (
    archive_event_count,
    archive_records,
    consumer_problems,
    dashboard_problems,
    dashboards,
    empty_bucket,
    leftovers,
    queue_depth,
)
from tooling_testing.emulator.server import functions_running, moto_server, run_group
from tooling_testing.harness import compat, drift_step, faults, provider
from tooling_testing.harness.smoke_step import run_smoke_step

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Variables that would send a child to a real account or profile instead of the emulator.
DROPPED = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE")
COPIED = ("terraform", "lambda_src", "schemas", "environments", "pyproject.toml")
IGNORED = shutil.ignore_patterns(
    ".terraform", "terraform.tfstate.d", "backend_override.tf", "*.tfstate*", "__pycache__", "*.pyc"
)
Progress = Callable[[str], None]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class EnvResult:
    env: str
    planned: int = 0
    applied: int | None = None
    replan_changes: int | None = None
    monitor_health: str | None = None
    published: int | None = None
    batch_queue: int | None = None
    # [forwarding]: events put on the default bus that reached the custom bus (its archive); None when off.
    forwarded: int | None = None
    # Records in the S3 event archive's objects after the publish (None when [s3_archive] is off), and
    # the objects `tooling s3-archive ls` listed.
    archived: int | None = None
    archive_listed: int | None = None
    archive_objects: int | None = None
    # [batch_processor] enabled: the batch queue has a consumer, so it must be drained, not hold N.
    consumer: bool = False
    consumer_problems: list[str] = field(default_factory=list)
    # `tooling access` after the apply: hops allowed of hops, twins denied of twins, and its summary line.
    access_allowed: int | None = None
    access_hops: int | None = None
    access_twins_denied: int | None = None
    access_twins: int | None = None
    access_failures: list[str] = field(default_factory=list)
    # The injected faults (faults.py): one line each, and how many were caught (DENY reported, dead-lettered,
    # drift planned, restored by `tooling apply`).
    faults: list[str] = field(default_factory=list)
    faults_caught: int | None = None
    # [failover]: `tooling failover drill`'s summary line (the contract's shape) and whether it passed; None
    # when the outputs hold no failover.
    failover_drill: str | None = None
    failover_drill_ok: bool | None = None
    # `tooling smoke` after the publish (smoke_step.py): its summary line and whether it passed.
    smoke: str | None = None
    smoke_ok: bool | None = None
    # `tooling drift` after changes made out of band (drift_step.py): its part of the line, passed, problems.
    drift: str | None = None
    drift_ok: bool | None = None
    drift_problems: list[str] = field(default_factory=list)
    destroyed: int | None = None
    # The CI roles of terraform/bootstrap against the recorded calls (role_calls.py): its summary line, and
    # each call denied (or mutating call the plan role would allow).
    ci_roles: str | None = None
    ci_roles_failures: list[str] = field(default_factory=list)
    dashboard_problems: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    provider_version: str = ""
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [f"planned {self.planned}"]
        if self.applied is not None:
            parts = [
                f"applied {self.applied}/{self.planned}",
                f"re-plan {self.replan_changes} changes",
                f"monitor {self.monitor_health}",
                f"published {self.published}",
                f"batch queue {self.batch_queue}" + (" (consumed)" if self.consumer else ""),
                *([] if self.forwarded is None else [f"forwarded {self.forwarded}/1"]),
                *(
                    []
                    if self.archived is None
                    else [f"s3 archive {self.archived} in {self.archive_objects} objects"]
                ),
                *(
                    ["consumer " + ("ok" if not self.consumer_problems else "INVALID")]
                    if self.consumer
                    else []
                ),
                *(
                    []
                    if self.access_hops is None
                    else [
                        f"access {self.access_allowed}/{self.access_hops} allowed, "
                        f"{self.access_twins_denied}/{self.access_twins} twins denied, "
                        f"faults {self.faults_caught}/{len(faults.FAULTS)} caught"
                    ]
                ),
                *([] if self.drift is None else [self.drift]),
                *([] if self.failover_drill is None else [self.failover_drill]),
                *([] if self.smoke is None else [self.smoke]),
                f"destroyed {self.destroyed}",
                f"left {len(self.left)}",
                f"dashboard {'ok' if not self.dashboard_problems else 'INVALID'}",
                *([] if self.ci_roles is None else [self.ci_roles]),
            ]
        return f"e2e {self.env}: {', '.join(parts)}; provider hashicorp/aws {self.provider_version} ({self.seconds:.0f} s)"

    @property
    def ok(self) -> bool:
        if self.applied is None:
            return self.planned > 0
        return (
            self.applied == self.planned
            and self.replan_changes == 0
            and self.batch_queue == (0 if self.consumer else self.published)
            and not self.consumer_problems
            and self.forwarded in (None, 1)
            and (
                self.archived is None
                or (self.archived == self.published and self.archive_listed == self.archive_objects)
            )
            and self.destroyed == self.applied
            and not self.left
            and self.access_hops is not None
            and not self.access_failures
            and self.faults_caught == len(faults.FAULTS)
            and self.drift_ok is True
            and self.failover_drill_ok is not False
            and self.smoke_ok is not False
            and not self.dashboard_problems
            and self.ci_roles is not None
            and not self.ci_roles_failures
        )

    def as_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "ok": self.ok, "summary": self.summary()}


class Run:
    """One environment's e2e run in a scratch copy of the project."""

    def __init__(
        self,
        project: Path,
        env: str,
        scratch: Path,
        progress: Progress,
        calls: role_calls.CallLog | None = None,
    ) -> None:
        self.project, self.env, self.scratch, self.progress = project, env, scratch, progress
        self.calls = calls
        self.root = scratch / env
        self.logs = scratch / "logs"
        self.workspace = Workspace.for_env(env, root=self.root)
        self.result = EnvResult(env)
        self.child_env: dict[str, str] = {}
        self.regions: list[str] = []

    # -- set-up ---------------------------------------------------------------------------------------------

    def prepare(self, endpoint: str, terraform: str, tf_env: dict[str, str]) -> None:
        for name in COPIED:
            source = self.project / name
            if source.is_dir():
                shutil.copytree(source, self.root / name, ignore=IGNORED)
            elif source.is_file():
                self.root.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, self.root / name)
        # The zip, its fingerprint and the dependency cache: an unchanged zip is not rebuilt, nor downloaded.
        if (self.project / "build").is_dir():
            shutil.copytree(self.project / "build", self.root / "build")
        config = self.e2e_config(endpoint)
        if self.calls:  # every role of the stack within the bootstrap's boundary, as CI deploys it
            boundary = self.calls.prepare(self.root, self.env, config, endpoint, terraform, tf_env)
            path = self.root / "environments" / f"{self.env}.toml"
            config = role_calls.set_boundary(path, config, boundary)
        self.regions = [
            config["region"],
            *([config["failover"]["secondary_region"]] if "failover" in config else []),
        ]
        self.child_env = {k: v for k, v in os.environ.items() if k not in DROPPED}
        self.child_env.update(CREDENTIALS)
        self.child_env.update(tf_env)
        self.child_env.update(
            TOOLING_ROOT=str(self.root), AWS_ENDPOINT_URL=endpoint, AWS_DEFAULT_REGION=config["region"],
            TERRAFORM_BINARY=terraform,
        )  # fmt: skip
        self.result.removed = self.load_with_installed_provider(terraform)

    def e2e_config(self, endpoint: str) -> dict[str, Any]:
        """The environment file with every endpoint on the emulator and local state (no S3 backend)."""
        try:
            import tomli_w
        except ImportError:
            raise UnavailableError(
                "tomli-w is not installed (the e2e run writes its environment file with it)",
                hint="install the dev extra: make install (or pip install -e '.[dev]')",
            ) from None

        path = self.root / "environments" / f"{self.env}.toml"
        load_config(path)  # the user's file must be valid before anything is derived from it
        data = tomllib.loads(path.read_text())
        section = data.setdefault("terraform", {})
        section.pop("backend", None)
        section["endpoints"] = {service: endpoint for service in get_args(EndpointService)}
        path.write_text(tomli_w.dumps(data))
        return data

    def load_with_installed_provider(self, terraform: str) -> list[str]:
        """init, read the installed provider's schema, drop the arguments it does not know and cap the values a
        5.x provider refuses (compat.narrow_values); report them."""
        tf_dir = self.workspace.terraform_dir
        env = {**self.child_env, "TF_DATA_DIR": str(self.workspace.state_dir / "terraform-data")}
        self.workspace.ensure()
        self.terraform(terraform, ["init", "-backend=false", "-input=false"], env, "init")
        schema = json.loads(self.terraform(terraform, ["providers", "schema", "-json"], env, "schema"))
        versions = json.loads(self.terraform(terraform, ["version", "-json"], env, "version"))
        self.result.provider_version = versions.get("provider_selections", {}).get(compat.PROVIDER, "?")
        removals = compat.unknown_arguments(tf_dir, schema)
        compat.remove_arguments(tf_dir, removals)
        caps = compat.narrow_values(tf_dir, self.result.provider_version)
        return [r.line() for r in removals] + [c.line() for c in caps]

    def terraform(self, binary: str, args: list[str], env: dict[str, str], step: str) -> str:
        log = self.logs / f"{self.env}-{step}.log"
        with log.open("w") as err:
            code, out = run_group([binary, *args], cwd=self.workspace.terraform_dir, env=env, stderr=err)
        if code != 0:
            raise ToolingError(
                f"e2e {self.env}: terraform {' '.join(args)} failed: {_last_error(log.read_text() + out)}",
                hint=f"log: {log}",
            )
        return out

    # -- the project's commands -----------------------------------------------------------------------------

    def tooling(self, step: str, *args: str) -> str:
        """Run `tooling ARGS --env ENV` as a user does; return its stdout; fail with its error line."""
        code, stdout = self.tooling_code(step, *args)
        if code != 0:
            log = self.logs / f"{self.env}-{step}.log"
            raise ToolingError(
                f"e2e {self.env}: `tooling {' '.join(args)}` failed: {_last_error(log.read_text())}",
                hint=f"log: {log}",
            )
        return stdout

    def tooling_code(self, step: str, *args: str) -> tuple[int, str]:
        """Run `tooling ARGS --env ENV`; return its exit code and stdout (the log keeps both streams)."""
        log = self.logs / f"{self.env}-{step}.log"
        started = time.monotonic()
        with log.open("w") as err:
            code, stdout = run_group(
                [sys.executable, "-m", "tooling", *args, "--env", self.env], cwd=self.root,
                env=self.calls.env_for(self.env, step, self.child_env) if self.calls else self.child_env, stderr=err,
            )  # fmt: skip
        with log.open("a") as out:
            out.write(stdout)
        self.progress(f"e2e {self.env}: tooling {' '.join(args)} ({time.monotonic() - started:.0f} s)")
        return code, stdout

    def state_count(self, terraform: str) -> int:
        """Managed resource instances in the environment's state (data sources excluded)."""
        env = {
            **self.child_env,
            "TF_DATA_DIR": str(self.workspace.state_dir / "terraform-data"),
            "TF_WORKSPACE": self.env,
        }
        listed = self.terraform(terraform, ["state", "list"], env, "state-list").split()
        return sum(1 for address in listed if not _is_data_source(address))

    def forward_one(self, outputs: dict[str, Any], endpoint: str) -> int:
        """Put one EC2 state-change event on the default bus (`tooling publish file --bus default`) and
        count what reached the custom bus through the forwarding rule: its archive's growth. moto, unlike
        AWS, takes an aws.* source from PutEvents, which lets the harness stand in for EC2."""
        sample = self.root / "ec2-state-change.json"
        account = outputs["event_bus_arn"].split(":")[4]
        event = aws_service_event(
            "ec2-state-change", region=outputs["region"], account=account, now=datetime.now(UTC), seed=14
        )
        sample.write_text(json.dumps(event))
        before = archive_event_count(outputs["archive_name"], outputs["region"], endpoint)
        self.tooling("forward", "publish", "file", str(sample), "--bus", "default", "--json")
        return archive_event_count(outputs["archive_name"], outputs["region"], endpoint) - before

    def run(self, terraform: str, *, apply: bool, count: int) -> EnvResult:
        started = time.monotonic()
        plan = json.loads(self.tooling("plan", "plan", "--json"))
        self.result.planned = int(plan["add"])
        if apply:
            outputs = json.loads(self.tooling("apply", "apply", "--target", "aws", "-y", "--json"))["outputs"]
            self.result.applied = self.state_count(terraform)
            prefix = outputs["event_bus_name"].removesuffix("-bus")
            endpoint = self.child_env["AWS_ENDPOINT_URL"]
            for name, body in dashboards(prefix, outputs["region"], endpoint).items():
                self.result.dashboard_problems += [f"{name}: {p}" for p in dashboard_problems(body)]
            replan = json.loads(self.tooling("replan", "plan", "--json"))
            self.result.replan_changes = int(replan["add"]) + int(replan["change"]) + int(replan["destroy"])
            log = self.logs / f"{self.env}-drift.log"
            self.result.drift, self.result.drift_ok, self.result.drift_problems = drift_step.drift_step(
                self.tooling_code, outputs, endpoint, log
            )
            cached = json.loads(self.tooling("outputs", "outputs", "--json"))
            if cached["outputs"] != outputs or cached["target"] != "aws":
                raise ToolingError(
                    f"e2e {self.env}: `tooling outputs --json` differs from what apply printed"
                )
            snapshot = json.loads(self.tooling("monitor", "monitor", "--json"))
            self.result.monitor_health = snapshot["health"]["status"]
            summary = json.loads(self.tooling("publish", "publish", "batch", "--count", str(count), "--json"))
            self.result.published = int(summary["published"])
            self.result.batch_queue = queue_depth(outputs["batch_queue_url"], outputs["region"], endpoint)
            if outputs.get("forwarding_rule_arn"):
                self.result.forwarded = self.forward_one(outputs, endpoint)
            bucket = outputs.get("s3_archive_bucket_name", "")
            if bucket:
                objects, self.result.archived = archive_records(bucket, outputs["region"], endpoint)
                self.result.archive_objects = objects
                listing = json.loads(self.tooling("archive", "s3-archive", "ls", "--json"))
                self.result.archive_listed = len(
                    [o for o in listing["objects"] if not o["key"].startswith("errors/")]
                )
                # A user empties the archive before `tooling destroy` too (README, "Destroying").
                empty_bucket(bucket, outputs["region"], endpoint)
            self.result.smoke, self.result.smoke_ok = run_smoke_step(self, endpoint)
            self.progress(f"e2e {self.env}: {self.result.smoke}")
            config = load_config(self.root / "environments" / f"{self.env}.toml")
            self.result.consumer = config.batch_processor.enabled
            if self.result.consumer:
                self.result.consumer_problems = consumer_problems(
                    outputs["batch_queue_arn"], outputs["event_store_table_name"],
                    config.batch_processor.batch_size, config.batch_processor.batching_window_seconds,
                    outputs["region"], endpoint,
                )  # fmt: skip
            self.check_access(outputs, endpoint)
            self.failover_drill(outputs, endpoint)
            if bucket:  # the faults' (and the drill's) events reached the archive too
                empty_bucket(bucket, outputs["region"], endpoint)
            before = self.result.applied
            self.tooling("destroy", "destroy", "-y")
            self.result.destroyed = before - self.state_count(terraform)
            self.result.left = leftovers(prefix, self.regions, endpoint)
            if self.calls:  # the CI roles against every call the steps above made
                roles = self.calls.check(self.env, self.logs, prefix)
                self.result.ci_roles = roles.summary()
                self.result.ci_roles_failures = [
                    *roles.deploy_denied,
                    *roles.plan_denied,
                    *roles.mutating_allowed,
                ]
        self.result.seconds = time.monotonic() - started
        return self.result

    def failover_drill(self, outputs: dict[str, Any], endpoint: str) -> None:
        """`tooling failover drill --yes --json` when the outputs hold a global endpoint: its summary line goes
        into the environment's line. The emulator runs the consumers' code meanwhile (function_runner.py):
        the drill counts their event store items; every other step keeps moto's recorded invocations."""
        if not outputs.get("failover"):
            return
        with functions_running(endpoint):
            code, stdout = self.tooling_code("failover-drill", "failover", "drill", "--yes", "--json")
        if (
            code not in (0, 1) or not stdout.strip()
        ):  # 1: the drill ran and a check failed (the JSON says which)
            log = self.logs / f"{self.env}-failover-drill.log"
            raise ToolingError(f"e2e {self.env}: `tooling failover drill` failed: {_last_error(log.read_text())}",
                               hint=f"log: {log}")  # fmt: skip
        self.result.failover_drill, self.result.failover_drill_ok = drill_summary(json.loads(stdout))
        self.progress(f"e2e {self.env}: {self.result.failover_drill}")

    def access(self, step: str) -> dict[str, Any]:
        """`tooling access --json` (exit 1 when a hop fails: the document says which)."""
        code, stdout = self.tooling_code(step, "access", "--json")
        if code not in (0, 1) or not stdout.strip():
            log = self.logs / f"{self.env}-{step}.log"
            raise ToolingError(f"e2e {self.env}: `tooling access` failed: {_last_error(log.read_text())}",
                               hint=f"log: {log}")  # fmt: skip
        document: dict[str, Any] = json.loads(stdout)
        return document

    def check_access(self, outputs: dict[str, Any], endpoint: str) -> None:
        """The matrix of the deployed stack, then each fault of faults.py: injected, reported, dead-lettered,
        seen as drift and restored by `tooling apply`."""
        matrix = self.access("access")
        hops = [h for h in matrix["hops"] if h["expect"] == "ALLOW"]
        twins = [h for h in matrix["hops"] if h["expect"] == "DENY"]
        self.result.access_hops, self.result.access_twins = len(hops), len(twins)
        self.result.access_allowed = sum(h["decision"] == "ALLOW" for h in hops)
        self.result.access_twins_denied = sum(h["decision"] == "DENY" for h in twins)
        self.result.access_failures = [
            f"{h['hop']}: {h['decision']} ({h['reason']})" for h in matrix["hops"] if not h["ok"]
        ]
        if self.result.access_failures:
            return  # faults are proven against a clean matrix only
        caught = 0
        for number, fault in enumerate(faults.FAULTS, 1):
            line, ok = self.inject(number, fault, outputs, endpoint)
            self.result.faults.append(line)
            self.progress(f"e2e {self.env}: fault {number}: {line}")
            caught += ok
        self.result.faults_caught = caught

    def inject(
        self, number: int, fault: faults.Fault, outputs: dict[str, Any], endpoint: str
    ) -> tuple[str, bool]:
        region = outputs["region"]
        dlq_url = outputs["dead_letter_queue_urls"][fault.dead_letter_queue]
        faults.drain(dlq_url, region, endpoint)
        fault.inject(outputs, endpoint)
        broken = self.access(f"fault{number}-access")
        failed = [h["hop"] for h in broken["hops"] if not h["ok"]]
        # The hop denied (a twin the broken policy now names may be allowed as well: reported too).
        reported = any(h["hop"] == fault.hop and h["decision"] == "DENY" for h in broken["hops"])
        self.tooling(f"fault{number}-publish", "publish", "order", "--amount", str(fault.amount), "--json")
        landed = faults.dead_lettered(fault, outputs, faults.drain(dlq_url, region, endpoint))
        self.tooling(f"fault{number}-apply", "apply", "--target", "aws", "-y", "--json")
        plan = _PLANNED.search(_ANSI.sub("", (self.logs / f"{self.env}-fault{number}-apply.log").read_text()))
        drift = plan is not None and any(int(n) for n in plan.groups())
        restored = self.access(f"fault{number}-restored")["ok"] is True
        ok = reported and landed and drift and restored
        line = (
            f"{fault.name}: access {'DENY ' + fault.hop if reported else 'reported ' + str(failed)}, "
            f"{'dead-lettered' if landed else 'NOT dead-lettered'} ({fault.dead_letter_queue} DLQ), "
            f"drift {plan.group(0) if plan else 'not planned'}, {'restored' if restored else 'NOT restored'}"
        )
        return line, ok


_PLANNED = re.compile(r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy")
# The failover contract's drill line (docs/commands.md, "Regional failover: drill"; the local drill prints the same).
_DRILL_LINE = re.compile(
    r"^failover drill: primary (\d+), secondary (\d+), back (\d+), (\d+) lost, (\d+) duplicated effects$"
)


def drill_summary(document: dict[str, Any]) -> tuple[str, bool]:
    """(the summary line, passed) of `tooling failover drill --json`: passed when the drill says ok and its
    line shows traffic in all three phases, nothing lost and no duplicated effect."""
    line = document.get("summary")
    match = _DRILL_LINE.match(line) if isinstance(line, str) else None
    if match is None:
        raise ToolingError(
            f"`tooling failover drill --json` gave no summary line of the form `failover drill: primary N, "
            f"secondary N, back N, N lost, N duplicated effects` (summary: {line!r})",
            hint="the drill's JSON must carry that line under `summary`",
        )
    primary, secondary, back, lost, duplicated = (int(n) for n in match.groups())
    passed = document.get("ok") is True and min(primary, secondary, back) > 0 and lost == duplicated == 0
    return match.group(0), passed


def _is_data_source(address: str) -> bool:
    return address.startswith("data.") or ".data." in address


def _last_error(text: str) -> str:
    """The line that says what went wrong: terraform's first `Error:`, else the tooling's `error:` line."""
    lines = [_ANSI.sub("", line).strip("│╷╵ \t") for line in text.splitlines()]
    lines = [line for line in lines if line]
    terraform = [line for line in lines if line.startswith("Error:")]
    tooling = [line for line in lines if line.startswith("error:")]
    line = (terraform[:1] or tooling[-1:] or lines[-1:] or ["no output"])[0]
    return line if len(line) <= 300 else line[:300] + "…"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def require_terraform() -> str:
    """A terraform >= 1.7 (terraform.MIN_VERSION), or UnavailableError (a machine without one skips the e2e run)."""
    try:
        return find_binary()[0]
    except TerraformError as exc:
        raise UnavailableError(exc.message, hint=exc.hint) from None


def run_e2e(
    project: Path, envs: list[str], *, apply: bool = True, count: int = 100, port: int = 0,
    keep: bool = False, progress: Progress = lambda line: print(line, file=sys.stderr),
) -> list[EnvResult]:  # fmt: skip
    """Run every environment against one moto server; the scratch root is removed unless kept or failed."""
    for env in envs:
        Workspace.for_env(env, root=project)  # a bad name fails here, before anything starts
    terraform = require_terraform()
    previous = signal.signal(signal.SIGTERM, _interrupt)  # a CI runner's SIGTERM unwinds like Ctrl-C
    scratch = Path(tempfile.mkdtemp(prefix="tooling-e2e-"))
    (scratch / "logs").mkdir()
    results: list[EnvResult] = []
    failed = True
    try:
        tf_env, source = provider.cli_config_env(scratch)
        progress(f"e2e: terraform {terraform}; hashicorp/aws from {source}")
        calls = role_calls.CallLog(scratch / "logs" / "calls.jsonl")
        with moto_server(scratch / "logs" / "moto.log", port=port, calls=calls.path) as endpoint:
            progress(f"e2e: moto server on {endpoint} (log {scratch / 'logs' / 'moto.log'})")
            for env in envs:
                run = Run(project, env, scratch, progress, calls)
                run.prepare(endpoint, terraform, tf_env)
                for removed in run.result.removed:
                    progress(f"e2e {env}: removed for hashicorp/aws {run.result.provider_version}: {removed}")
                results.append(run.run(terraform, apply=apply, count=count))
        failed = not all(r.ok for r in results)
        return results
    finally:
        signal.signal(signal.SIGTERM, previous)
        if keep or failed:
            progress(f"e2e: scratch root kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
