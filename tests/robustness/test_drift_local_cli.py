"""Issue 24 item 4 on the local target: `tooling drift` compares the store with what the last `tooling
apply --target local` recorded, and reports what changed behind its back in the AWS report's shape.

Each module deployment is a throwaway project copy (TOOLING_ROOT) with the real Lambda zip; the background
dispatcher is off. Changes are made to the store directly, as someone editing local.sqlite by hand would."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tooling import local
from tooling.cli import errors
from tooling.cli.app import app
from tooling.deploy import pipeline as deploy
from tooling.local.drift import APPLIED_KEY
from tooling.local.regions import secondary_db_path
from tooling.local.store import Store
from tooling.workspace import Workspace


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def cli(root: Path, *args: str) -> Run:
    """The command in-process, its error printed as the console script prints it."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        result = CliRunner().invoke(
            app, list(args), env={"TOOLING_ROOT": str(root), "TOOLING_LOCAL_DISPATCH": "off"}
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            code = errors.handle(result.exception, debug=False)
            return Run(code, result.stdout, result.stderr + err.getvalue())
    return Run(result.exit_code, result.stdout, result.stderr + err.getvalue())


@dataclass
class Deployed:
    root: Path
    workspace: Workspace

    def apply(self) -> None:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("TOOLING_ROOT", str(self.root))
            patch.setenv("TOOLING_LOCAL_DISPATCH", "off")
            local.apply_local(deploy.prepare(self.workspace))

    def sql(self, statement: str, params: tuple[object, ...] = (), path: Path | None = None) -> None:
        store = Store(path) if path else Store.open(self.workspace)
        try:
            with store.transaction() as conn:
                conn.execute(statement, params)
        finally:
            store.close()


def _deployed(root: Path, env: str) -> Iterator[Deployed]:
    deployed = Deployed(root, Workspace.for_env(env, root=root))
    deployed.apply()
    yield deployed


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory, copy_project: Callable[[Path], Path]) -> Iterator[Deployed]:
    yield from _deployed(copy_project(tmp_path_factory.mktemp("drift-dev") / "project"), "dev")


@pytest.fixture
def applied(dev: Deployed) -> Iterator[Deployed]:
    """dev as applied; applied again afterwards, so a test's changes never reach the next one."""
    yield dev
    dev.apply()


def _batch_queue(deployed: Deployed) -> str:
    store = Store.open(deployed.workspace)
    try:
        return str(store.scalar("SELECT name FROM queues WHERE role = 'batch'"))
    finally:
        store.close()


def test_right_after_an_apply_nothing_has_drifted(applied: Deployed) -> None:
    run = cli(applied.root, "drift", "--env", "dev", "--json")

    assert run.code == 0, run.stderr
    document = json.loads(run.stdout)
    assert (document["drift"], document["exit_code"], document["resources"]) == (False, 0, [])
    assert document["summary"] == "drift: none in dev (local)"


def test_changes_behind_the_applys_back_are_reported_exactly(applied: Deployed) -> None:
    queue = _batch_queue(applied)
    applied.sql("UPDATE rules SET state = 'DISABLED' WHERE key = 'order-events'")
    applied.sql("UPDATE queues SET visibility_timeout = 45 WHERE name = ?", (queue,))
    applied.sql("DELETE FROM targets WHERE rule_key = 'all-events' AND target_id = 'analytics'")

    run = cli(applied.root, "drift", "--env", "dev", "--json")

    assert run.code == 2, run.stderr
    document = json.loads(run.stdout)
    assert document["drift"] is True and document["exit_code"] == 2
    assert document["resources"] == [
        {"address": f'queue["{queue}"]', "action": "update",
         "changes": [{"attribute": "visibility_timeout", "state": 60, "real": 45}]},
        {"address": 'rule["order-events"]', "action": "update",
         "changes": [{"attribute": "state", "state": "ENABLED", "real": "DISABLED"}]},
        {"address": 'target["all-events/analytics"]', "action": "delete", "changes": []},
    ]  # fmt: skip
    assert document["summary"] == "drift: 3 resources in dev (local): 2 attributes changed, 1 deleted"


def test_the_table_into_a_pipe_has_one_whole_line_per_drifted_attribute(applied: Deployed) -> None:
    applied.sql("UPDATE rules SET state = 'DISABLED' WHERE key = 'order-events'")
    pattern = json.dumps({"source": ["by-hand"], "detail-type": ["x" * 200]})
    applied.sql("UPDATE rules SET pattern = ? WHERE key = 'all-events'", (pattern,))

    run = cli(applied.root, "drift", "--env", "dev")

    assert run.code == 2
    lines = run.stdout.splitlines()
    assert lines[-1] == "drift: 2 resources in dev (local): 3 attributes changed"
    rows = [line.split() for line in lines if line.lstrip().startswith("rule[")]
    assert ['rule["order-events"]', "state", "ENABLED", "DISABLED"] in rows
    assert {row[1] for row in rows} == {"state", "pattern.source", 'pattern["detail-type"]'}
    assert all(len(line) < 400 for line in lines)  # a long value is cut in the table (--json has it whole)


def test_an_apply_restores_what_drifted(applied: Deployed) -> None:
    applied.sql("UPDATE rules SET state = 'DISABLED' WHERE key = 'order-events'")
    assert cli(applied.root, "drift", "--env", "dev", "--json").code == 2

    applied.apply()

    assert cli(applied.root, "drift", "--env", "dev", "--json").code == 0


def test_an_edited_environment_file_is_not_drift(applied: Deployed) -> None:
    """A change of the configuration is what the next apply makes (as `tooling plan` shows on AWS)."""
    toml = applied.root / "environments" / "dev.toml"
    original = toml.read_text()
    try:
        toml.write_text(original.replace("timeout_seconds = ", "timeout_seconds = 1", 1))
        run = cli(applied.root, "drift", "--env", "dev", "--json")
    finally:
        toml.write_text(original)

    assert run.code == 0, run.stdout + run.stderr


def test_a_store_applied_before_drift_was_recorded_is_refused_with_the_way_out(applied: Deployed) -> None:
    applied.sql("DELETE FROM meta WHERE key = ?", (APPLIED_KEY,))

    run = cli(applied.root, "drift", "--env", "dev", "--json")

    assert run.code == 2 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert lines[0] == (
        "error: the local target of dev was applied before drift was recorded: nothing says what it provisioned"
    )
    assert "tooling apply --env dev --target local" in lines[1]


def test_nothing_applied_locally_is_one_error_line(
    tmp_path: Path, copy_project: Callable[[Path], Path]
) -> None:
    root = copy_project(tmp_path / "project")

    run = cli(root, "drift", "--env", "dev", "--target", "local")

    assert run.code != 0 and run.stdout == ""
    assert run.stderr.startswith("error: the local target has no state at ")
    assert "Traceback" not in run.stderr


@pytest.mark.slow
def test_the_secondary_region_drifts_too(tmp_path: Path, copy_project: Callable[[Path], Path]) -> None:
    prod = next(_deployed(copy_project(tmp_path / "project"), "prod"))
    secondary = secondary_db_path(prod.workspace, "us-west-2")
    prod.sql("UPDATE rules SET state = 'DISABLED' WHERE key = 'order-events'", path=secondary)

    changed = json.loads(cli(prod.root, "drift", "--env", "prod", "--json").stdout)
    for path in secondary.parent.glob(secondary.name + "*"):
        path.unlink()
    gone = json.loads(cli(prod.root, "drift", "--env", "prod", "--json").stdout)

    assert [(r["address"], r["changes"]) for r in changed["resources"]] == [
        (
            'region["us-west-2"].rule["order-events"]',
            [{"attribute": "state", "state": "ENABLED", "real": "DISABLED"}],
        )
    ]
    assert gone["resources"] == [{"address": 'region["us-west-2"]', "action": "delete", "changes": []}]
