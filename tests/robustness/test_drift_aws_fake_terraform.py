"""Issue 24 item 4 on AWS, the CLI path: `tooling drift --target aws` runs `terraform plan
-detailed-exitcode` through the driver (the tfvars `tooling plan` writes, a plan file of its own, removed
afterwards, the reviewed plan.tfplan untouched), reads `terraform show -json` of it and reports; exit 0
without drift, 2 with, 1 when terraform fails. A fake terraform on PATH records the command lines and answers
with a plan recorded against a moto server (data/drift_plan_moto.json); tests/e2e/test_drift_plan_moto.py
runs the real one.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

RECORDED = Path(__file__).parent / "data" / "drift_plan_moto.json"
NO_DRIFT = {"format_version": "1.2", "terraform_version": "1.11.4", "resource_drift": []}

FAKE = r"""#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_TF_LOG"], "a") as fh:
    fh.write(json.dumps(args) + "\n")
if args[:1] == ["version"]:
    print(json.dumps({{"terraform_version": "1.11.4"}}))
elif args[:1] == ["plan"]:
    if os.environ.get("FAKE_TF_FAIL"):
        print("\x1b[31m╷\x1b[0m\n\x1b[31m│\x1b[0m \x1b[1m\x1b[31mError: \x1b[0m\x1b[1mreading SQS Queue: "
              "AccessDenied\x1b[0m\n\x1b[31m╵\x1b[0m", file=sys.stderr)
        sys.exit(1)
    out = next(a.split("=", 1)[1] for a in args if a.startswith("-out="))
    open(out, "w").write("saved refresh-only plan")
    sys.exit(int(os.environ["FAKE_TF_PLAN_CODE"]))
elif args[:2] == ["show", "-json"] or (args[:1] == ["show"] and "-json" in args):
    print(open(os.environ["FAKE_TF_PLAN_JSON"]).read())
"""


@pytest.fixture
def fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project_copy: Path) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "terraform"
    exe.write_text(FAKE.format(python=sys.executable))
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_TF_LOG", str(tmp_path / "argv.jsonl"))
    monkeypatch.setenv("FAKE_TF_PLAN_JSON", str(RECORDED))
    monkeypatch.setenv("FAKE_TF_PLAN_CODE", "2")
    monkeypatch.delenv("TERRAFORM_BINARY", raising=False)
    return tmp_path / "argv.jsonl"


def _tooling(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tooling", *args], capture_output=True, text=True, check=False, timeout=120
    )


def _commands(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_drift_is_a_plan_of_its_own_and_exits_2_with_the_report(
    fake_terraform: Path, project_copy: Path
) -> None:
    state = project_copy / ".tooling" / "dev"
    state.mkdir(parents=True)
    (state / "plan.tfplan").write_text("the plan reviewers approved")

    result = _tooling("drift", "--env", "dev", "--target", "aws", "--json")

    assert result.returncode == 2, result.stderr
    document = json.loads(result.stdout)
    assert document["drift"] is True and document["target"] == "aws"
    assert [r["address"] for r in document["resources"]] == [
        'aws_cloudwatch_event_rule.this["order-events"]', "aws_sqs_queue.batch[0]", "aws_sqs_queue.gone",
    ]  # fmt: skip
    commands = _commands(fake_terraform)
    assert [c[0] for c in commands] == ["version", "init", "workspace", "plan", "show"]
    plan = commands[3]
    assert {"-detailed-exitcode", "-input=false"} <= set(plan) and "-destroy" not in plan
    assert f"-var-file={state / 'terraform.tfvars.json'}" in plan
    assert f"-out={state / 'drift.tfplan'}" in plan
    assert commands[4][-1] == str(state / "drift.tfplan")
    assert not (state / "drift.tfplan").exists()  # it holds the state's values: removed once read
    assert (state / "plan.tfplan").read_text() == "the plan reviewers approved"


def test_no_drift_exits_0_and_says_so(
    fake_terraform: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "none.json").write_text(json.dumps(NO_DRIFT))
    monkeypatch.setenv("FAKE_TF_PLAN_JSON", str(tmp_path / "none.json"))
    monkeypatch.setenv("FAKE_TF_PLAN_CODE", "0")

    result = _tooling("drift", "--env", "dev", "--target", "aws")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "drift: none in dev (aws)\n"


def test_a_configuration_ahead_of_the_account_is_noted_but_is_not_drift(
    fake_terraform: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    function = 'module.primary.module.processors[0].aws_lambda_function.this["processor"]'
    change = {"actions": ["update"], "before": {"timeout": 30}, "after": {"timeout": 60}}
    (tmp_path / "pending.json").write_text(
        json.dumps(
            {**NO_DRIFT, "resource_changes": [{"address": function, "mode": "managed", "change": change}]}
        )
    )
    monkeypatch.setenv("FAKE_TF_PLAN_JSON", str(tmp_path / "pending.json"))

    result = _tooling("drift", "--env", "dev", "--target", "aws")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "drift: none in dev (aws)\n"
    assert "note: the plan also changes 1 resource for another reason than drift" in result.stderr


def test_the_human_report_is_a_table_on_stdout_and_terraforms_output_stays_on_stderr(
    fake_terraform: Path,
) -> None:
    result = _tooling("drift", "--env", "dev", "--target", "aws")

    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert lines[-1] == "drift: 3 resources in dev (aws): 2 attributes changed, 1 deleted"
    rows = [line.split() for line in lines]
    assert ["aws_sqs_queue.batch[0]", "visibility_timeout_seconds", "60", "45"] in rows
    assert ["aws_sqs_queue.gone", "(resource)", "exists", "deleted"] in rows
    assert "terraform_version" not in result.stdout  # what the fake terraform printed went to stderr


def test_a_terraform_failure_exits_1_with_terraforms_reason_and_no_report(
    fake_terraform: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_TF_FAIL", "1")

    result = _tooling("drift", "--env", "dev", "--target", "aws", "--json")

    assert result.returncode == 1
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: terraform plan failed (exit 1): Error: reading SQS Queue: AccessDenied"]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--target", "nowhere"), "error: "),
        (("--env", "../etc"), "error: "),
    ],
)
def test_bad_input_exits_2_with_an_error_line_and_no_report(
    fake_terraform: Path, args: tuple[str, ...], message: str
) -> None:
    result = _tooling("drift", *(("--env", "dev") if "--env" not in args else ()), *args, "--json")

    assert result.returncode == 2
    assert result.stdout == ""  # a report on stdout is drift; exit 2 without one is bad input
    assert result.stderr.startswith(message) and "Traceback" not in result.stderr
    assert not fake_terraform.exists() or "plan" not in [c[0] for c in _commands(fake_terraform)]
