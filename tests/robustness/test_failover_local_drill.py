"""Issue 23, items 5 and 6 on the local target: environments/prod.toml ([failover] us-east-1 -> us-west-2)
applied locally gives two regions' buses of one name, an endpoint that routes by the health alarm,
replication that copies each custom event once to the other bus, and `tooling failover status|drill`; the
monitor shows the endpoint and both regions.

Each module deployment is a throwaway project copy (TOOLING_ROOT) with the real Lambda zip; the background
dispatcher is off, so the drill drains in-process and nothing runs behind a test's back."""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tooling import local
from tooling.cli import errors
from tooling.cli import failover as failover_cli
from tooling.cli.app import app
from tooling.config import HealthAlarm
from tooling.deploy import pipeline as deploy
from tooling.errors import UsageError
from tooling.failover.drill import one_drill
from tooling.local import health, replication
from tooling.local.engine import Engine
from tooling.local.regions import load_failover, secondary_db_path
from tooling.local.store import Store
from tooling.outputs import DeploymentOutputs, load_outputs
from tooling.workspace import Workspace

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PRIMARY, SECONDARY = "us-east-1", "us-west-2"
# The consumers deduplicate on the business key (issue 23 item 4) once lambda_src records processed_in:
# before that, replication's copies (new event ids) are stored twice and the drill rightly says so.
BUSINESS_KEY = "processed_in" in (REPO / "lambda_src" / "event_processors" / "event_store.py").read_text()


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def cli(root: Path, *args: str) -> Run:
    """The command in-process, its error printed as the console script prints it."""
    runner = CliRunner()
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            result = runner.invoke(
                app, list(args), env={"TOOLING_ROOT": str(root), "TOOLING_LOCAL_DISPATCH": "off"}
            )
    except KeyboardInterrupt as interrupt:  # click's runner lets it through, as a terminal would
        with contextlib.redirect_stderr(err):
            code = errors.handle(interrupt, debug=False)
        return Run(code, "", err.getvalue())
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        with contextlib.redirect_stderr(err):
            code = errors.handle(result.exception, debug=False)
        return Run(code, result.stdout, result.stderr + err.getvalue())
    return Run(result.exit_code, result.stdout, result.stderr)


@dataclass
class Deployed:
    root: Path
    workspace: Workspace
    outputs: DeploymentOutputs

    def store(self, region: str = PRIMARY) -> Store:
        if region == PRIMARY:
            return Store.open(self.workspace)
        return Store(secondary_db_path(self.workspace, region))

    def rows(self, region: str, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        store = self.store(region)
        try:
            return [dict(row) for row in store.query(sql, params)]
        finally:
            store.close()

    def set_alarm(self, state: str, *, hold: float = 0.0) -> None:
        """SetAlarmState; `hold` seconds ahead keeps it past the scaled evaluation (a test's slow steps)."""
        store = self.store()
        try:
            failover = load_failover(store)
            assert failover is not None
            health.set_alarm_state(store, failover, state, "test", now=time.time() + hold)
        finally:
            store.close()

    def overrides(self) -> list[dict[str, Any]]:
        return self.rows(PRIMARY, "SELECT name, state FROM alarm_overrides")

    def clear_alarm(self) -> None:
        store = self.store()
        try:
            with store.transaction() as conn:
                conn.execute("DELETE FROM alarm_overrides")
        finally:
            store.close()


def _deploy(root: Path) -> Iterator[Deployed]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLING_ROOT", str(root))
        patch.setenv("TOOLING_LOCAL_DISPATCH", "off")
        workspace = Workspace.for_env("prod")
        local.apply_local(deploy.prepare(workspace))
        yield Deployed(root, workspace, load_outputs(workspace))


@pytest.fixture(scope="module")
def prod(
    tmp_path_factory: pytest.TempPathFactory, copy_project: Callable[[Path], Path]
) -> Iterator[Deployed]:
    """environments/prod.toml as it is: replication on, consumers in both regions."""
    yield from _deploy(copy_project(tmp_path_factory.mktemp("failover") / "project"))


@pytest.fixture(scope="module")
def prod_unreplicated(
    tmp_path_factory: pytest.TempPathFactory, copy_project: Callable[[Path], Path]
) -> Iterator[Deployed]:
    """prod with `replication = false`: each event is processed only in the region that received it."""
    root = copy_project(tmp_path_factory.mktemp("failover-norep") / "project")
    toml = root / "environments" / "prod.toml"
    text = toml.read_text()
    assert "\nreplication = true" in text
    toml.write_text(text.replace("\nreplication = true", "\nreplication = false", 1))
    yield from _deploy(root)


def test_prod_applied_locally_has_an_endpoint_and_a_secondary_bus_of_the_same_name(prod: Deployed) -> None:
    failover = prod.outputs.failover

    assert failover is not None
    assert (failover.primary_region, failover.secondary_region) == (PRIMARY, SECONDARY)
    assert failover.secondary.event_bus_name == prod.outputs.event_bus_name
    assert failover.secondary.event_bus_arn == prod.outputs.event_bus_arn.replace(PRIMARY, SECONDARY)
    assert failover.endpoint_name == prod.outputs.event_bus_name.removesuffix("-bus") + "-endpoint"
    assert failover.health_alarm_name.endswith("-failover-health")
    assert failover.endpoint_url == f"https://{failover.endpoint_id}.endpoint.events.amazonaws.com"
    # The same routing table in the secondary, less the S3 archive's Firehose target (the primary's only).
    assert list(failover.secondary.rule_arns) == list(prod.outputs.rule_arns)
    secondary_targets = prod.rows(SECONDARY, "SELECT kind FROM targets")
    assert {row["kind"] for row in secondary_targets} >= {"processor", "batch-queue", "analytics"}
    assert "s3-archive" not in {row["kind"] for row in secondary_targets}
    environment = json.loads(
        prod.rows(SECONDARY, "SELECT environment FROM functions WHERE key = 'processor'")[0]["environment"]
    )
    assert environment["AWS_REGION"] == SECONDARY


def test_status_json_names_the_endpoint_the_alarm_and_the_receiving_region(prod: Deployed) -> None:
    run = cli(prod.root, "failover", "status", "--env", "prod", "--json")

    assert run.code == 0, run.stderr
    status = json.loads(run.stdout)
    assert prod.outputs.failover is not None
    assert status["endpoint_name"] == prod.outputs.failover.endpoint_name
    assert status["state"] == "ACTIVE"
    assert status["health_check"] == "Healthy"
    assert status["alarm_state"] == "OK"  # prod's alarm does not breach on missing data
    assert status["receiving_region"] == PRIMARY
    assert status["replication"] is True
    assert status["replication_lag_seconds"] == 0.0


def _archived(prod: Deployed, region: str, order_id: str) -> list[dict[str, Any]]:
    rows = prod.rows(region, "SELECT event_id, body FROM archive")
    found = [json.loads(row["body"]) for row in rows]
    return [event for event in found if event["detail"].get("orderId") == order_id]


def test_the_endpoint_routes_by_the_alarm_and_no_endpoint_aims_at_the_primary(prod: Deployed) -> None:
    def publish(order_id: str, *flags: str) -> None:
        detail = json.dumps({"orderId": order_id})
        # Order Updated: the order workflow (which publishes more events of the order) does not start.
        kind = ("--type", "Order Updated")
        run = cli(prod.root, "publish", "order", *kind, "--env", "prod", "--detail", detail, *flags)
        assert run.code == 0, run.stderr

    publish("routed-healthy")
    prod.set_alarm("ALARM", hold=60)
    try:
        publish("routed-failed-over")
        publish("routed-no-endpoint", "--no-endpoint")
    finally:
        prod.clear_alarm()

    assert [e["region"] for e in _archived(prod, PRIMARY, "routed-healthy")] == [PRIMARY]
    assert _archived(prod, SECONDARY, "routed-healthy") == []  # not replicated yet: nothing drained
    assert [e["region"] for e in _archived(prod, SECONDARY, "routed-failed-over")] == [SECONDARY]
    assert _archived(prod, PRIMARY, "routed-failed-over") == []
    assert [e["region"] for e in _archived(prod, PRIMARY, "routed-no-endpoint")] == [PRIMARY]


def test_replication_copies_each_event_once_keeping_its_region_with_a_new_id(prod: Deployed) -> None:
    bus = local.LocalBus(prod.workspace, prod.outputs, dispatch=False)
    entry = {
        "Source": "ecommerce.orders",
        "DetailType": "Order Updated",
        "Detail": json.dumps({"orderId": "copied"}),
    }
    [accepted] = bus.put_events([entry])
    stores = [prod.store(PRIMARY), prod.store(SECONDARY)]
    try:
        assert replication.pending(stores[0]) >= 1
        engines = [Engine(store) for store in stores]
        # Twice: the copy's own acceptance must not queue a copy back (no loop).
        moved = replication.forward_all(stores, engines, now=time.time() + 60)
        moved += replication.forward_all(stores, engines, now=time.time() + 60)
        assert [replication.pending(store) for store in stores] == [0, 0]
    finally:
        for store in stores:
            store.close()
        bus.close()

    assert moved >= 1
    [original] = _archived(prod, PRIMARY, "copied")
    [copy] = _archived(prod, SECONDARY, "copied")
    assert original["id"] == accepted["EventId"]
    assert copy["id"] != original["id"]
    assert copy["region"] == original["region"] == PRIMARY
    assert {k: v for k, v in copy.items() if k != "id"} == {k: v for k, v in original.items() if k != "id"}


def test_a_set_alarm_holds_until_the_next_scaled_evaluation_then_the_metric_decides(prod: Deployed) -> None:
    store = prod.store()
    try:
        failover = load_failover(store)
        assert failover is not None
        now = time.time()
        health.set_alarm_state(store, failover, "ALARM", "test", now=now)
        held = health.alarm_state(store, failover, now + 0.5)
        evaluated = health.alarm_state(store, failover, now + 1.5)  # 60 s period / 60 = 1 s locally
        breaching = HealthAlarm(treat_missing_data="breaching")
        quiet = now + 3600  # an hour without traffic
        with store.transaction() as conn:
            conn.execute("DELETE FROM alarm_overrides")
    finally:
        store.close()

    assert (held.state, held.healthy) == ("ALARM", False)
    assert (evaluated.state, evaluated.healthy) == ("OK", True)
    # AWS's template (missing data breaching) fails a quiet bus over; prod's choice (notBreaching) does not.
    assert health.evaluate(prod.store(), breaching, quiet)[0] == "ALARM"
    assert health.evaluate(prod.store(), failover.alarm, quiet)[0] == "OK"


def test_a_drill_on_prod_without_yes_is_refused_and_changes_nothing(prod: Deployed) -> None:
    run = cli(prod.root, "failover", "drill", "--env", "prod")

    assert run.code == 2
    assert run.stderr.splitlines() == [
        "error: environment 'prod' is protected: a drill sends its live traffic to the secondary region while "
        "it runs",
        "  hint: pass --yes to run the drill on it",
    ]
    assert run.stdout == ""
    assert prod.overrides() == []


def test_the_failover_commands_refuse_an_environment_without_an_endpoint(
    prod: Deployed, tmp_path: Path
) -> None:
    cached = json.loads(prod.workspace.outputs_path.read_text())
    cached["outputs"]["failover"] = None
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(cached))

    run = cli(prod.root, "failover", "status", "--env", "prod", "--outputs", str(outputs))

    assert run.code == 2
    assert (
        run.stderr.splitlines()[0]
        == "error: environment 'prod' has no global endpoint (its outputs have no failover)"
    )


def test_a_second_drill_is_refused_while_one_runs(prod: Deployed) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLING_ROOT", str(prod.root))
        with one_drill(Workspace.for_env("prod")):
            run = cli(prod.root, "failover", "drill", "--env", "prod", "--yes", "--events", "1")

    assert run.code == 2
    assert "error: a failover drill is already running on environment 'prod'" in run.stderr
    assert prod.overrides() == []


def test_monitor_shows_the_endpoint_and_both_regions(prod: Deployed) -> None:
    healthy = cli(prod.root, "monitor", "--env", "prod")
    prod.set_alarm("ALARM", hold=60)
    try:
        failed_over = cli(prod.root, "monitor", "--env", "prod", "--json")
    finally:
        prod.clear_alarm()

    assert healthy.code == 0, healthy.stderr
    lines = [line.rstrip() for line in healthy.stdout.splitlines()]
    assert "Global endpoint" in lines
    assert "endpoint  ACTIVE  receiving us-east-1 (primary)" in lines
    assert any(line.startswith("us-east-1  primary    yes") for line in lines)
    assert any(line.startswith("us-west-2  secondary  no") for line in lines)
    snapshot = json.loads(failed_over.stdout)
    assert snapshot["failover"]["endpoint"]["receiving_region"] == SECONDARY
    assert [(r["region"], r["receiving"]) for r in snapshot["failover"]["regions"]] == [
        (PRIMARY, False),
        (SECONDARY, True),
    ]
    problems = [(p["severity"], p["subject"]) for p in snapshot["health"]["problems"]]
    assert ("warning", "endpoint") in problems
    assert (
        "critical",
        f"alarm {prod.outputs.failover.health_alarm_name if prod.outputs.failover else ''}",
    ) in problems


def _drill(deployed: Deployed, events: int = 3) -> dict[str, Any]:
    run = cli(
        deployed.root,
        "failover",
        "drill",
        "--env",
        "prod",
        "--yes",
        "--json",
        "--events",
        str(events),
        "--timeout",
        "60",
    )
    report: dict[str, Any] = json.loads(run.stdout)
    report["exit"] = run.code
    return report


def test_the_drill_fails_over_and_back_and_every_event_is_processed_where_it_landed(
    prod_unreplicated: Deployed,
) -> None:
    report = _drill(prod_unreplicated)

    assert report["summary"] == "failover drill: primary 3, secondary 3, back 3, 0 lost, 0 duplicated effects"
    assert report["exit"] == 0 and report["ok"] is True
    assert [(p["phase"], p["expected_region"], p["in_region"]) for p in report["phases"]] == [
        ("primary", PRIMARY, 3),
        ("secondary", SECONDARY, 3),
        ("back", PRIMARY, 3),
    ]
    # Without replication only the secondary's consumers saw the secondary phase: they ran there.
    ran = prod_unreplicated.rows(
        SECONDARY, "SELECT COUNT(*) AS n FROM invocations WHERE function_key = 'batch-processor'"
    )
    assert ran[0]["n"] >= 1
    assert report["restored"] is True
    assert prod_unreplicated.overrides() == [
        {
            "name": prod_unreplicated.outputs.failover.health_alarm_name
            if prod_unreplicated.outputs.failover
            else "",
            "state": "OK",
        }
    ]


@pytest.mark.skipif(not BUSINESS_KEY, reason="needs the consumers' business-key dedupe (issue 23 item 4)")
def test_the_prod_drill_with_replication_has_no_duplicated_effects(prod: Deployed) -> None:
    report = _drill(prod)

    assert report["summary"] == "failover drill: primary 3, secondary 3, back 3, 0 lost, 0 duplicated effects"
    assert report["exit"] == 0
    assert report["phases"][1]["processed_in"].keys() <= {PRIMARY, SECONDARY}


def test_an_error_mid_drill_sets_the_alarm_back_to_ok(
    prod_unreplicated: Deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Breaking:
        """The endpoint's bus, failing once the drill has failed over."""

        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def put_events(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
            if self.inner.receiving_region() == SECONDARY:
                raise sqlite3.OperationalError("disk I/O error")
            result: list[dict[str, Any]] = self.inner.put_events(entries)
            return result

    real = failover_cli.bus_for
    monkeypatch.setattr(failover_cli, "bus_for", lambda *a, **k: Breaking(real(*a, **k)))

    run = cli(prod_unreplicated.root, "failover", "drill", "--env", "prod", "--yes", "--events", "2")

    assert run.code == 1
    assert "error: unexpected OperationalError: disk I/O error" in run.stderr
    assert "health alarm set back to OK" in run.stderr
    assert [o["state"] for o in prod_unreplicated.overrides()] == ["OK"]


def test_ctrl_c_mid_drill_sets_the_alarm_back_to_ok(
    prod_unreplicated: Deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = local.LocalFailoverBackend.stored

    def interrupted(self: local.LocalFailoverBackend, partitions: Any, since: str) -> Any:
        if self.status().receiving_region == SECONDARY:
            raise KeyboardInterrupt  # Ctrl-C while the drill waits for the secondary's events
        return real(self, partitions, since)

    monkeypatch.setattr(local.LocalFailoverBackend, "stored", interrupted)

    run = cli(prod_unreplicated.root, "failover", "drill", "--env", "prod", "--yes", "--events", "2")

    assert run.code == 130  # the CLI's "interrupted"
    assert run.stderr.rstrip().endswith("health alarm set back to OK")
    assert [o["state"] for o in prod_unreplicated.overrides()] == ["OK"]


def test_the_demo_of_prod_suggests_the_drill(prod: Deployed) -> None:
    from tooling.local.demo import next_steps

    steps = next_steps("prod", prod.outputs)

    assert steps[0] == "try next:"
    assert any("tooling failover drill --yes --env prod" in step for step in steps)


def test_a_region_aims_at_that_regions_bus_and_an_unknown_one_is_refused(prod: Deployed) -> None:
    entry = {
        "Source": "ecommerce.orders",
        "DetailType": "Order Updated",
        "Detail": json.dumps({"orderId": "aimed-west"}),
    }
    bus = local.LocalBus(prod.workspace, prod.outputs, dispatch=False, region=SECONDARY)
    try:
        bus.put_events([entry])
    finally:
        bus.close()

    assert [e["region"] for e in _archived(prod, SECONDARY, "aimed-west")] == [SECONDARY]
    assert _archived(prod, PRIMARY, "aimed-west") == []
    with pytest.raises(UsageError, match="has no bus in eu-west-1"):
        local.LocalBus(prod.workspace, prod.outputs, dispatch=False, region="eu-west-1")


def test_doctor_checks_the_secondary_regions_store(prod: Deployed) -> None:
    run = cli(prod.root, "doctor", "--env", "prod", "--json")

    assert run.code == 0, run.stderr
    found = {Path(f["path"]).name: f["status"] for f in json.loads(run.stdout)["checks"]}
    assert found["local.us-west-2.sqlite"] == "ok"


def test_destroy_removes_the_secondary_region_too(prod_unreplicated: Deployed) -> None:
    state = prod_unreplicated.workspace.state_dir
    assert (state / "local.us-west-2.sqlite").is_file()

    run = cli(prod_unreplicated.root, "destroy", "--env", "prod", "--target", "local", "--yes")

    assert run.code == 0, run.stderr
    assert sorted(p.name for p in state.glob("local*")) == []
