"""`tooling routes diff` end to end on the local target: environments/dev.toml applied, seeded traffic
published, the S3 archive written; then the routing table edited in a git checkout and compared with the
committed one (--base), with what is deployed (--deployed), over the S3 archive and the bus's archive."""

from __future__ import annotations

import gzip
import json
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tooling import local
from tooling.cli import errors
from tooling.cli.app import app
from tooling.deploy import pipeline as deploy
from tooling.publish.events import EventFactory
from tooling.workspace import Workspace

ENV_FILE = "environments/dev.toml"
WIDE = ('totalAmount = [{ numeric = [">", 1000] }]', 'totalAmount = [{ numeric = [">", 500] }]')
RENAME = ('name = "high-value-orders"', 'name = "big-orders"')


@dataclass
class Project:
    root: Path
    published: list[dict[str, Any]]  # the entries, in order

    def edit(self, *replacements: tuple[str, str]) -> None:
        path = self.root / ENV_FILE
        subprocess.run(["git", "checkout", "--", ENV_FILE], cwd=self.root, check=True)
        text = path.read_text()
        for old, new in replacements:
            assert old in text
            text = text.replace(old, new)
        path.write_text(text)

    def diff(self, *args: str) -> Result:
        return CliRunner().invoke(
            app,
            ["routes", "diff", *args],
            env={"TOOLING_ROOT": str(self.root), "TOOLING_LOCAL_DISPATCH": "off"},
        )

    def orders(self, low: float, high: float) -> list[dict[str, Any]]:
        details = [json.loads(e["Detail"]) for e in self.published if e["DetailType"] == "Order Created"]
        return [d for d in details if low < d["totalAmount"] <= high]


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def project(
    tmp_path_factory: pytest.TempPathFactory, copy_project: Callable[[Path], Path]
) -> Iterator[Project]:
    root = copy_project(tmp_path_factory.mktemp("routes") / "project")
    _git(root, "init", "-q")
    _git(root, "add", "environments")
    _git(root, "commit", "-qm", "the routing table as it is")
    entries = list(EventFactory(seed=11).mixed(400))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLING_ROOT", str(root))
        patch.setenv("TOOLING_LOCAL_DISPATCH", "off")
        workspace = Workspace.for_env("dev")
        outputs = local.apply_local(deploy.prepare(workspace))
        bus = local.open_local_bus(workspace, outputs, dispatch=False)
        try:
            for start in range(0, len(entries), 10):
                assert all("EventId" in r for r in bus.put_events(entries[start : start + 10]))
        finally:
            bus.close()  # type: ignore[attr-defined]
        local.flush_s3_archive(workspace, outputs, force=True)
        yield Project(root, entries)


def test_widening_to_500_over_the_s3_archive_shows_the_gained_orders_and_their_ids(project: Project) -> None:
    project.edit(WIDE)
    archived = {}
    for path in (project.root / ".tooling" / "dev" / "s3").rglob("*.gz"):
        for line in gzip.decompress(path.read_bytes()).splitlines():
            event = json.loads(line)
            archived[event["id"]] = event
    expected = project.orders(500, 1000)

    result = project.diff("--base", "HEAD", "--s3-archive", "--json", "--examples", "5")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["before"] == f"{ENV_FILE} at HEAD" and report["events"]["evaluated"] == len(archived) == 400
    [rule] = [r for r in report["rules"] if r["name"] == "high-value-orders"]
    assert (rule["gained"], rule["lost"]) == (len(expected), 0) and len(expected) > 5
    for example in rule["gained_examples"]:
        event = archived[example["id"]]
        assert event["detail-type"] == "Order Created" and 500 < event["detail"]["totalAmount"] <= 1000
        assert example["field"] == "detail.totalAmount" and example["value"] == event["detail"]["totalAmount"]
    assert len(rule["gained_examples"]) == 5


def test_the_text_report_names_the_gained_ids_and_fail_on_gained_exits_1(project: Project) -> None:
    project.edit(WIDE)

    result = project.diff("--base", "HEAD", "--bus-archive", "--fail-on", "gained")

    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    row = next(line for line in lines if line.startswith("high-value-orders"))
    assert row.split()[1:5] == [
        str(len(project.orders(1000, 1e12))),
        str(len(project.orders(500, 1e12))),
        f"+{len(project.orders(500, 1000))}",
        "0",
    ]
    assert sum("detail.totalAmount" in line and "matches" in line for line in lines) == 3


def test_a_rename_only_change_shows_zero_gained_and_lost_and_passes_fail_on_any(project: Project) -> None:
    project.edit(RENAME)

    result = project.diff("--base", "HEAD", "--s3-archive", "--fail-on", "any", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["gained"], report["lost"], report["payload_changes"]) == (0, 0, 0)
    [renamed] = [r for r in report["rules"] if r["status"] == "renamed"]
    assert (renamed["name"], renamed["previous_name"]) == ("big-orders", "high-value-orders")


def test_the_deployed_table_is_the_base_when_asked(project: Project) -> None:
    project.edit(WIDE)

    deployed = project.diff("--deployed", "--bus-archive", "--json")
    committed = project.diff("--base", "HEAD", "--bus-archive", "--json")

    assert deployed.exit_code == 0, deployed.output
    by_deployed, by_base = json.loads(deployed.stdout), json.loads(committed.stdout)
    assert by_deployed["before"].startswith("deployed on the local target (bus ecommerce-dev-")
    assert by_deployed["rules"] == by_base["rules"] and by_deployed["targets"] == by_base["targets"]


def test_the_bus_archive_and_the_s3_archive_agree_and_days_outside_select_nothing(project: Project) -> None:
    project.edit(WIDE)

    s3 = json.loads(project.diff("--base", "HEAD", "--s3-archive", "--json").stdout)
    bus = json.loads(project.diff("--base", "HEAD", "--bus-archive", "--json").stdout)
    none = json.loads(
        project.diff("--base", "HEAD", "--s3-archive", "--until", "2000-01-01", "--json").stdout
    )

    assert s3["rules"] == bus["rules"]
    assert none["events"]["evaluated"] == 0 and "0 object(s)" in none["events"]["source"]


def test_a_base_ref_that_does_not_exist_is_one_line_and_exit_2(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    result = project.diff("--base", "no-such-branch", "--bus-archive")

    assert result.exception is not None and errors.handle(result.exception, debug=False) == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith("error: --base no-such-branch: no such commit, branch or tag in ")
    assert "hint: fetch it first" in stderr and "Traceback" not in stderr
