"""`tooling tail` on the local target: the store's accepted events from "now", matched with the pattern
engine; `--rule` uses the provisioned rule's pattern; the tail holds the environment's lock only while it
polls, so an environment destroyed and applied again under it is reopened and followed on."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tooling import local, targets
from tooling.cli import errors
from tooling.cli.app import app
from tooling.deploy import pipeline as deploy
from tooling.envlock import Mode, env_lock
from tooling.observe.tail import StoreTail
from tooling.outputs import load_outputs
from tooling.workspace import Workspace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shared_root(tmp_path_factory: pytest.TempPathFactory, copy_project: Callable[[Path], Path]) -> Path:
    """One applied environment for the tests that only publish: a tail shows what comes after its start."""
    root = copy_project(tmp_path_factory.mktemp("tail-local") / "project")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLING_ROOT", str(root))
        patch.setenv("TOOLING_LOCAL_DISPATCH", "off")
        local.apply_local(deploy.prepare(Workspace.for_env("dev")))
    return root


@pytest.fixture
def applied(shared_root: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("TOOLING_ROOT", str(shared_root))
    # Nothing to run: the tail reads what the bus accepted.
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    return Workspace.for_env("dev")


@pytest.fixture
def applied_alone(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """An environment of this test's own (it is destroyed and applied again)."""
    monkeypatch.setenv("TOOLING_LOCAL_DISPATCH", "off")
    workspace = Workspace.for_env("dev")
    local.apply_local(deploy.prepare(workspace))
    return workspace


def publish(workspace: Workspace, *entries: tuple[str, str, dict[str, Any]]) -> list[str]:
    bus = local.open_local_bus(workspace, load_outputs(workspace), dispatch=False)
    try:
        results = bus.put_events(
            [{"Source": s, "DetailType": t, "Detail": json.dumps(d)} for s, t, d in entries]
        )
    finally:
        bus.close()
    return [str(r["EventId"]) for r in results]


def order(amount: float) -> tuple[str, str, dict[str, Any]]:
    return ("ecommerce.orders", "Order Created", {"orderId": f"o-{amount}", "totalAmount": amount})


def user(user_id: str) -> tuple[str, str, dict[str, Any]]:
    return ("ecommerce.users", "User Registered", {"userId": user_id})


def on_receive(monkeypatch: pytest.MonkeyPatch, *steps: Callable[[], None]) -> None:
    """Run one step before each receive of the tail (a publish, a Ctrl-C, another command)."""
    pending = list(steps)
    real = StoreTail.receive

    def receive(self: StoreTail, wait: float) -> list[dict[str, Any]]:
        if pending:
            pending.pop(0)()
        return real(self, min(wait, 1.0))

    monkeypatch.setattr(StoreTail, "receive", receive)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`tooling ARGS` in this process, as tooling.cli.app.main runs it: (exit code, stdout, stderr)."""
    capsys.readouterr()
    try:
        code = app(list(args), standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
    except BaseException as exc:
        code = errors.handle(exc, debug=False)
    out, err = capsys.readouterr()
    return int(code or 0), out, err


def test_only_events_accepted_after_the_start_that_the_pattern_matches_are_printed(
    applied: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(applied, order(7), user("before"))  # accepted before the tail: never shown
    during: list[str] = []
    on_receive(monkeypatch, lambda: during.extend(publish(applied, user("u-1"), order(8), user("u-2"))))

    code, stdout, stderr = cli(
        capsys, "tail", "--pattern", '{"source": ["ecommerce.users"]}', "--count", "2", "--json"
    )

    assert code == 0, stderr
    printed = [json.loads(line) for line in stdout.splitlines()]
    assert [e["detail"]["userId"] for e in printed] == ["u-1", "u-2"]  # in the order the bus accepted them
    assert [e["id"] for e in printed] == [during[0], during[2]]
    assert "2 events seen" in stderr


def test_rule_option_prints_what_the_deployed_rule_receives(
    applied: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    on_receive(monkeypatch, lambda: publish(applied, order(10), order(1500), user("u"), order(999)))

    code, stdout, stderr = cli(capsys, "tail", "--rule", "high-value-orders", "--timeout", "2s", "--json")

    assert code == 0, stderr  # a timeout without --count is how the tail was asked to end
    assert [json.loads(line)["detail"]["totalAmount"] for line in stdout.splitlines()] == [1500]
    assert "timeout after 2s: 1 event seen" in stderr


def test_human_lines_are_one_per_event_with_its_time_source_type_id_and_detail(
    applied: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ids: list[str] = []
    on_receive(monkeypatch, lambda: ids.extend(publish(applied, order(1234.5))))

    code, stdout, stderr = cli(capsys, "tail", "--count", "1")

    assert code == 0, stderr
    [line] = stdout.splitlines()
    fields = re.fullmatch(r"(\S+Z) +(\S+) +(Order Created) +(\S+) +(\{.*\})", line)
    assert fields is not None, line
    assert fields[2] == "ecommerce.orders" and fields[4] == ids[0]
    assert json.loads(fields[5]) == {"orderId": "o-1234.5", "totalAmount": 1234.5}


def test_ctrl_c_stops_the_tail_with_exit_0_and_releases_the_environment(
    applied: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    on_receive(monkeypatch, lambda: publish(applied, order(1)), interrupt)

    code, stdout, stderr = cli(capsys, "tail", "--json")

    assert code == 0 and len(stdout.splitlines()) == 1 and "1 event seen" in stderr
    with env_lock(applied, Mode.EXCLUSIVE, command="apply", wait_timeout=2):  # nothing holds it any more
        pass


def test_timeout_before_count_exits_1_saying_how_many_were_seen(
    applied: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    on_receive(monkeypatch, lambda: publish(applied, order(1)))

    code, stdout, stderr = cli(capsys, "tail", "--count", "2", "--timeout", "1s", "--json")

    assert code == 1 and len(stdout.splitlines()) == 1
    assert "timeout after 1s: 1 of 2 events seen" in stderr


def test_an_environment_destroyed_and_applied_again_under_the_tail_is_followed_on(
    applied_alone: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def replace() -> None:  # were the tail holding the lock, this destroy would be refused after 2 s
        assert targets.destroy(applied_alone, "local", None, confirm=lambda _q: True, wait_timeout=2)
        local.apply_local(deploy.prepare(applied_alone))
        publish(applied_alone, user("after"))

    on_receive(monkeypatch, lambda: publish(applied_alone, user("before")), replace)

    code, stdout, stderr = cli(capsys, "tail", "--count", "2", "--json")

    assert code == 0, stderr
    assert [json.loads(line)["detail"]["userId"] for line in stdout.splitlines()] == ["before", "after"]
    assert "environment 'dev' was applied again or replaced: reopened" in stderr


def test_clean_has_nothing_to_do_on_the_local_target(
    applied: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, _ = cli(capsys, "tail", "--clean", "--json")

    assert code == 0 and json.loads(stdout) == {"target": "local", "removed": [], "kept": []}


def test_unknown_rule_is_refused_naming_the_rules_there_are(
    applied: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, stderr = cli(capsys, "tail", "--rule", "nope")

    assert code == 2 and stdout == ""
    assert stderr.startswith("error: no rule 'nope'") and "high-value-orders" in stderr
