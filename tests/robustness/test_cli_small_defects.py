"""The smaller defects of issue 22, each through the command a user runs (a subprocess, stdin not a
terminal, as in CI or a pipe):

- `dlq purge` without a terminal said "interrupted" (exit 130, as for Ctrl-C); now, as `destroy`, one
  `error:` line naming --yes, exit 2, nothing purged;
- `test-pattern --cases` stopped at a malformed line; now every line is answered;
- `outputs --refresh` on a local deployment gave a Terraform hint; now it says where local outputs come from;
- "nothing applied yet": the standard `error:` line + hint, exit 2, as the README now says;
- `publish payment` printed the payment's orderId, never its paymentId."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tooling.publish.events import EventFactory, EventKind
from tooling.publish.schemas import business_id

pytestmark = pytest.mark.slow


def tooling(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tooling", *args],
        capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL, cwd=root, timeout=120,
        env={**os.environ, "TOOLING_ROOT": str(root), "TOOLING_LOCAL_DISPATCH": "off", **env},
    )  # fmt: skip


@dataclass
class Deployed:
    root: Path

    def dlq_depth(self, name: str) -> int:
        listed = json.loads(tooling(self.root, "dlq", "list", "--json").stdout)
        return int(next(d["depth"] for d in listed if d["name"] == name))


@pytest.fixture(scope="module")
def deployed(
    tmp_path_factory: pytest.TempPathFactory, copy_project: Callable[[Path], Path]
) -> Iterator[Deployed]:
    """A local deployment whose processor DLQ holds one message (sent directly, as SQS SendMessage)."""
    root = copy_project(tmp_path_factory.mktemp("small") / "project")
    applied = tooling(root, "apply", "--target", "local")
    assert applied.returncode == 0, applied.stderr
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLING_ROOT", str(root))
        from tooling import local
        from tooling.outputs import load_outputs
        from tooling.workspace import Workspace

        workspace = Workspace.for_env("dev")
        queues = local.local_queues(workspace)
        try:
            queues.send(load_outputs(workspace).dead_letter_queue_urls["processor"], '{"detail": {}}')
        finally:
            queues.store.close()
    yield Deployed(root)


def _refused(proc: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "interrupted" not in proc.stderr
    first, hint = proc.stderr.splitlines()
    return first, hint


def test_dlq_purge_without_a_terminal_is_refused_naming_yes_and_purges_nothing(deployed: Deployed) -> None:
    assert deployed.dlq_depth("processor") == 1

    first, hint = _refused(tooling(deployed.root, "dlq", "purge", "processor"))

    assert first == 'error: cannot ask "Delete the 1 message(s) of DLQ processor?": stdin is not a terminal'
    assert hint == "  hint: pass --yes to go ahead without asking"
    assert deployed.dlq_depth("processor") == 1


def test_destroy_without_a_terminal_is_refused_the_same_way_and_keeps_the_environment(
    deployed: Deployed,
) -> None:
    first, hint = _refused(tooling(deployed.root, "destroy", "--target", "local"))

    assert first.startswith('error: cannot ask "Destroy the local dev environment')
    assert first.endswith(": stdin is not a terminal")
    assert hint.startswith("  hint: pass --yes")
    assert (deployed.root / ".tooling" / "dev" / "local.sqlite").is_file()
    assert deployed.dlq_depth("processor") == 1


def test_outputs_refresh_on_a_local_deployment_says_where_local_outputs_come_from(deployed: Deployed) -> None:
    first, hint = _refused(tooling(deployed.root, "outputs", "--refresh"))

    assert "deployed to the local target" in first and "terraform" not in hint.lower().replace(
        "terraform's", ""
    )
    assert (
        hint == "  hint: local outputs come from `tooling apply --target local`; `tooling outputs` shows them"
    )
    # The cached outputs are untouched: `tooling outputs` still shows the local deployment.
    assert json.loads(tooling(deployed.root, "outputs", "--json").stdout)["target"] == "local"


def test_publish_payment_prints_the_payments_id(deployed: Deployed) -> None:
    plain = tooling(deployed.root, "publish", "payment")
    as_json = tooling(deployed.root, "publish", "payment", "--json")

    assert plain.returncode == 0 and as_json.returncode == 0
    assert "paymentId " in plain.stdout and "orderId" not in plain.stdout
    result = json.loads(as_json.stdout)
    assert "paymentId" in result and "orderId" not in result


def test_the_business_id_of_each_kind_is_its_own() -> None:
    factory = EventFactory(seed=1)
    keys: dict[EventKind, str] = {
        "order": "orderId",
        "user": "userId",
        "payment": "paymentId",
        "inventory": "productId",
    }
    for kind, key in keys.items():
        entry = factory.entry(kind)
        assert business_id(entry) == (key, json.loads(entry["Detail"])[key])


def test_test_pattern_cases_answers_every_line_even_after_a_malformed_one(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        '{"pattern": {"source": ["a"]}, "event": {"source": "a"}}\n'
        "{not json\n"
        '["a list", "not a case"]\n'
        '{"pattern": {"source": ["a"]}, "event": {"source": "b"}}\n'
        '{"pattern": ' + "[" * 200 + "]" * 200 + ', "event": {}}\n'
        '{"pattern": {"source": ["b"]}, "event": {"source": "b"}}\n'
    )

    proc = tooling(tmp_path, "test-pattern", "--cases", str(cases))

    assert proc.returncode == 2  # some lines were not valid cases: the README's exit code
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(results) == 6
    assert results[0] == {"match": True} and results[3] == {"match": False} and results[5] == {"match": True}
    assert results[1]["error"].startswith("line 2: not valid JSON")
    assert results[2]["error"].startswith('line 3: expected an object with "pattern" and "event"')
    assert results[4]["error"].startswith("line 5: ") and "nested more than" in results[4]["error"]
    assert proc.stderr.strip() == "3 case(s) invalid"


def test_nothing_applied_yet_is_an_error_line_and_a_hint_with_exit_2(tmp_path: Path) -> None:
    proc = tooling(tmp_path, "monitor")

    first, hint = _refused(proc)
    assert first == "error: nothing applied yet for environment 'dev' (no .tooling/dev/outputs.json)"
    assert hint.startswith("  hint: run `make apply` (AWS) or `tooling apply --target local`")
