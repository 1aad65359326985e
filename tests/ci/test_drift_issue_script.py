""".github/scripts/drift_issue.py, offline: the drift job's report rendered (redacted) for the issue and the
summary page, and the issue job's decisions against a fake `gh` that keeps issues in memory: one issue per
environment, opened on drift, updated while it lasts (a comment only when what drifted changes), closed when
it is gone, left alone when the check failed or the exit code contradicts the report."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from workflow_yaml import REPO

SCRIPT = REPO / ".github" / "scripts" / "drift_issue.py"
RUN = "https://github.com/acme/eventbridge-platform/actions/runs/42"
WEBHOOK = "https://hooks.example.com/services/T000/B000/s3cr3tp4th"
RULE = 'module.primary.module.routing.aws_cloudwatch_event_rule.this["order-events"]'


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("drift_issue", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["drift_issue"] = module  # its dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


def _report(*changes: tuple[str, str, Any, Any], deleted: tuple[str, ...] = ()) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for address, attribute, state, real in changes:
        resources.append({"address": address, "action": "update",
                          "changes": [{"attribute": attribute, "state": state, "real": real}]})  # fmt: skip
    resources += [{"address": a, "action": "delete", "changes": []} for a in deleted]
    count = len(resources)
    return {
        "environment": "prod", "target": "aws", "drift": bool(count), "exit_code": 2 if count else 0,
        "summary": f"drift: {count} resources in prod (aws)" if count else "drift: none in prod (aws)",
        "resources": resources,
    }  # fmt: skip


class FakeGh:
    """`gh issue list|create|edit|comment|close` and `gh label create` over an in-memory repository."""

    def __init__(self, issues: list[dict[str, Any]] | None = None) -> None:
        self.issues = issues or []
        self.calls: list[list[str]] = []
        self.comments: dict[int, list[str]] = {}

    def __call__(self, args: list[str], stdin: str | None) -> str:
        self.calls.append(args)
        verb = args[:2]
        if verb == ["issue", "list"]:
            label = args[args.index("--label") + 1]
            return json.dumps([i for i in self.issues if i["state"] == "open" and label in i["labels"]])
        if verb == ["issue", "create"]:
            number = 100 + len(self.issues)
            self.issues.append({"number": number, "title": args[args.index("--title") + 1], "body": stdin,
                                "labels": [args[args.index("--label") + 1]], "state": "open"})  # fmt: skip
            return f"https://github.com/acme/eventbridge-platform/issues/{number}\n"
        issue = next((i for i in self.issues if str(i["number"]) == args[2]), None) if len(args) > 2 else None
        if verb == ["issue", "edit"] and issue:
            issue["body"] = stdin
        elif verb == ["issue", "comment"] and issue:
            self.comments.setdefault(issue["number"], []).append(str(stdin))
        elif verb == ["issue", "close"] and issue:
            issue["state"] = "closed"
        return ""

    def verbs(self) -> list[str]:
        return [" ".join(c[:2]) for c in self.calls]


def _rendered(
    script: ModuleType, tmp_path: Path, report: dict[str, Any] | str, code: int, env: str = "prod"
) -> Path:
    drift_json = tmp_path / "drift.json"
    drift_json.write_text(report if isinstance(report, str) else json.dumps(report))
    out = tmp_path / f"out-{code}-{len(list(tmp_path.iterdir()))}"
    log = tmp_path / "drift.log"
    log.write_text(
        "Error: reading SQS Queue: AccessDenied\nAWS_SECRET_ACCESS_KEY=abcdEFGHijklMNOPqrstUVWXyz0123456789abcd\n"
    )
    script.render(env, drift_json, code, out, log, RUN)
    return out


def test_drift_opens_one_labelled_issue_with_the_table(script: ModuleType, tmp_path: Path) -> None:
    gh = FakeGh()
    out = _rendered(script, tmp_path, _report((RULE, "state", "ENABLED", "DISABLED")), 2)

    done = script.sync(out, gh)

    assert done == "drift in prod: opened https://github.com/acme/eventbridge-platform/issues/100"
    assert gh.verbs() == ["issue list", "label create", "issue create"]
    (issue,) = gh.issues
    assert (issue["title"], issue["labels"]) == ("Drift in prod", ["drift"])
    assert f"| `{RULE}` | `state` | `ENABLED` | `DISABLED` |" in issue["body"]
    assert f"Last checked: {RUN}" in issue["body"]


def test_the_same_drift_the_next_day_updates_the_issue_without_a_comment(
    script: ModuleType, tmp_path: Path
) -> None:
    gh = FakeGh()
    report = _report((RULE, "state", "ENABLED", "DISABLED"))
    script.sync(_rendered(script, tmp_path, report, 2), gh)

    done = script.sync(_rendered(script, tmp_path, report, 2), gh)

    assert done == "drift in prod unchanged: updated #100"
    assert gh.verbs()[-2:] == ["issue list", "issue edit"]
    assert len(gh.issues) == 1 and gh.comments == {}


def test_a_different_drift_updates_the_issue_and_comments(script: ModuleType, tmp_path: Path) -> None:
    gh = FakeGh()
    script.sync(_rendered(script, tmp_path, _report((RULE, "state", "ENABLED", "DISABLED")), 2), gh)
    more = _report((RULE, "state", "ENABLED", "DISABLED"), deleted=("aws_sqs_queue.gone",))

    done = script.sync(_rendered(script, tmp_path, more, 2), gh)

    assert done == "drift in prod changed: updated #100 and commented"
    assert gh.comments[100] == [f"The drift changed ({RUN}): drift: 2 resources in prod (aws)\n"]
    assert "| `aws_sqs_queue.gone` | (resource) | exists | deleted |" in gh.issues[0]["body"]


def test_no_drift_comments_and_closes_the_open_issue(script: ModuleType, tmp_path: Path) -> None:
    gh = FakeGh()
    script.sync(_rendered(script, tmp_path, _report((RULE, "state", "ENABLED", "DISABLED")), 2), gh)

    done = script.sync(_rendered(script, tmp_path, _report(), 0), gh)

    assert done == "no drift in prod: closed #100"
    assert gh.issues[0]["state"] == "closed"
    assert gh.comments[100] == [f"No drift in prod any more ({RUN}): closing.\n"]
    assert (
        script.sync(_rendered(script, tmp_path, _report(), 0), gh)
        == "no drift in prod, no open issue: nothing to do"
    )


def test_only_the_environments_own_issue_is_touched(script: ModuleType, tmp_path: Path) -> None:
    dev = {"number": 7, "title": "Drift in dev", "body": "", "labels": ["drift"], "state": "open"}
    gh = FakeGh([dev])

    script.sync(_rendered(script, tmp_path, _report(), 0), gh)
    script.sync(_rendered(script, tmp_path, _report((RULE, "state", "ENABLED", "DISABLED")), 2), gh)

    assert dev["state"] == "open" and gh.comments == {}
    assert [i["title"] for i in gh.issues] == ["Drift in dev", "Drift in prod"]


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("", 1),  # terraform failed: no report
        ("", 2),  # exit 2 without a report: bad input, not drift
        (json.dumps(_report()), 2),  # the exit code and the report disagree
        (json.dumps(_report((RULE, "state", "ENABLED", "DISABLED"))), 0),
        ("{not json", 2),
    ],
)
def test_a_failed_check_leaves_the_issue_as_it_is(
    script: ModuleType, tmp_path: Path, document: str, code: int
) -> None:
    open_issue = {"number": 3, "title": "Drift in prod", "body": "old", "labels": ["drift"], "state": "open"}
    gh = FakeGh([open_issue])
    out = _rendered(script, tmp_path, document, code)

    done = script.sync(out, gh)

    assert done == f"drift check of prod failed (exit {code}): the drift issue of prod is left as it is"
    assert gh.calls == [] and open_issue == {**open_issue, "body": "old", "state": "open"}


def test_check_fails_the_job_only_when_the_check_did_not_run_to_the_end(
    script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    drifted = _rendered(script, tmp_path, _report((RULE, "state", "ENABLED", "DISABLED")), 2)
    clean = _rendered(script, tmp_path, _report(), 0)
    bad_input = _rendered(script, tmp_path, "", 2)

    assert [script.main(["check", str(out)]) for out in (drifted, clean, bad_input, tmp_path / "none")] == [
        0,
        0,
        1,
        1,
    ]
    err = capsys.readouterr().err.splitlines()
    assert (
        err[0]
        == "error: drift check of prod failed (exit 2): the run's summary page shows the end of its log"
    )
    assert err[1].startswith("error: ") and "did the drift job run?" in err[1]


def test_the_failure_summary_shows_the_log_redacted(script: ModuleType, tmp_path: Path) -> None:
    drift_json = tmp_path / "drift.json"
    drift_json.write_text("")
    log = tmp_path / "drift.log"
    log.write_text(
        "Error: reading SQS Queue: AccessDenied\naws_secret_access_key = abcdEFGHijklMNOPqrst0123456789abcdEFGHijkl\n"
    )

    summary = script.render("prod", drift_json, 1, tmp_path / "out", log, RUN)

    assert summary.startswith("## Drift check of prod failed (exit 1)")
    assert "AccessDenied" in summary and "abcdEFGH" not in summary


def test_the_issue_text_is_redacted_and_the_summary_page_has_the_table(
    script: ModuleType, tmp_path: Path
) -> None:
    function = 'module.primary.module.processors.aws_lambda_function.this["notifier"]'
    report = _report((function, "environment[0].variables.TARGET", "https://example.com/a", WEBHOOK),
                     (RULE, "description", "a | b", "`x`"))  # fmt: skip
    drift_json = tmp_path / "drift.json"
    drift_json.write_text(json.dumps(report))

    summary = script.render("prod", drift_json, 2, tmp_path / "out", None, RUN)
    body = (tmp_path / "out" / "issue.md").read_text()

    assert "s3cr3t" not in body and "s3cr3t" not in summary
    assert "| `a \\| b` | `'x'` |" in body  # a cell never breaks the table
    assert summary.startswith("## Drift of prod") and "drift-fingerprint" not in summary
    assert json.loads((tmp_path / "out" / "result.json").read_text())["drift"] is True


def test_the_command_line_refuses_a_non_numeric_exit_code(
    script: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert script.main(["render", "prod", "drift.json", "", "out"]) == 1
    assert capsys.readouterr().err == "error: EXIT_CODE must be a number, not ''\n"
    assert script.main(["bogus"]) == 2
