"""What the scheduled drift workflow (.github/workflows/drift.yml) needs beyond `tooling drift`: the report as
Markdown, and one GitHub issue per environment that follows it.

    drift_issue.py render ENV DRIFT_JSON EXIT_CODE OUT_DIR   (the drift job, which has the tooling installed)
        `tooling drift --json`'s document and exit code -> OUT_DIR/result.json (what the issue job decides
        on) and OUT_DIR/issue.md (the issue's text, redacted again); the job summary's Markdown on stdout.
    drift_issue.py check OUT_DIR   (the drift job's last step) exit 1 unless the check ran to the end: a
        failed check (terraform, credentials, bad input) fails the job, drift or no drift does not.
    drift_issue.py sync OUT_DIR   (the issue job: issues: write, no cloud credentials, no dependencies)
        with `gh`: drift and no open issue -> open "Drift in ENV" (label `drift`); drift and an open one ->
        update its text, and comment when what drifted changed; no drift and an open one -> comment, close.
        A check that failed (terraform, bad input) leaves the issue as it is: the red run says so.

Exit codes of `tooling drift`: 0 no drift, 2 drift (with a report whose `drift` is true), anything else a
failure. A 2 without a report is bad input (the tooling prints `error: ...` and no report), not drift.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LABEL = "drift"
LABEL_COLOR = "D93F0B"
LABEL_DESCRIPTION = "Resources changed outside Terraform (scheduled drift workflow)"
FINGERPRINT = "<!-- drift-fingerprint: {} -->"
# GitHub refuses an issue body above 65536 characters; the table is cut well below that.
MAX_BODY_CHARS = 60_000
MAX_VALUE_CHARS = 200
LOG_TAIL_LINES = 40

Gh = Callable[[list[str], str | None], str]


class CheckError(Exception):
    """The inputs are not what the workflow promised: one line for the job log."""


def title(env: str) -> str:
    return f"Drift in {env}"


@dataclass(frozen=True)
class Result:
    """What the issue job decides on (OUT_DIR/result.json)."""

    env: str
    exit_code: int
    drift: bool | None  # None: the check failed, nothing is known
    summary: str
    fingerprint: str
    run_url: str

    def as_json(self) -> dict[str, Any]:
        return {"env": self.env, "exit_code": self.exit_code, "drift": self.drift, "summary": self.summary,
                "fingerprint": self.fingerprint, "run_url": self.run_url}  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Result:
        drift = data.get("drift")
        return cls(str(data["env"]), int(data["exit_code"]), None if drift is None else bool(drift),
                   str(data["summary"]), str(data["fingerprint"]), str(data.get("run_url", "")))  # fmt: skip


# -- render (the drift job) ---------------------------------------------------------------------------------


def read_report(text: str, exit_code: int) -> dict[str, Any] | None:
    """The report when the exit code and the document agree (0 and no drift, 2 and drift), else None."""
    try:
        report = json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        return None
    if not isinstance(report, dict) or not isinstance(report.get("resources"), list):
        return None
    if (exit_code, report.get("drift")) not in ((0, False), (2, True)):
        return None
    return report


def fingerprint(report: dict[str, Any]) -> str:
    """Stable over runs while the same attributes drift to the same values."""
    rows = sorted(json.dumps([r["address"], r["action"], r.get("changes", [])], sort_keys=True)
                  for r in report["resources"])  # fmt: skip
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    text = text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"
    return "`" + text.replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"


def table(report: dict[str, Any]) -> list[str]:
    lines = ["| resource | attribute | state | real |", "|---|---|---|---|"]
    for resource in report["resources"]:
        address = _cell(resource["address"])
        if resource["action"] == "delete":
            lines.append(f"| {address} | (resource) | exists | deleted |")
        elif resource["action"] == "create":
            lines.append(f"| {address} | (resource) | absent | exists |")
        for change in resource.get("changes") or []:
            lines.append(
                f"| {address} | {_cell(change['attribute'])} | {_cell(change['state'])} | {_cell(change['real'])} |"
            )
    return lines


def issue_body(env: str, report: dict[str, Any], run_url: str, clean: Callable[[str], str] = str) -> str:
    """The issue's Markdown: the report as a table, what to do; `clean` redacts it (the run link and the
    fingerprint are added after, as they are)."""
    lines = [
        f"The scheduled drift check found resources of **{env}** changed outside Terraform "
        f"(`tooling drift --env {env}`: a terraform plan with the plan role, never applied; listed is what "
        "changed outside Terraform and the next deploy would undo).",
        "",
        f"**{report.get('summary', '')}**",
        "",
        *table(report),
        "",
        "What to do: if the change was an accident, the next reviewed deploy of the environment puts the "
        "configuration back (deploy workflow, manual dispatch); if it was meant, make it in the repository "
        "(environments/ or terraform/) so Terraform agrees. This issue is updated by each daily run and "
        "closed by the first run that finds no drift.",
    ]
    text = clean("\n".join(lines))
    if len(text) > MAX_BODY_CHARS:
        text = text[:MAX_BODY_CHARS] + "\n\n… (cut: the run's artifact holds the whole report)"
    link = f"\n\nLast checked: {run_url}" if run_url else ""
    return text + link + "\n\n" + FINGERPRINT.format(fingerprint(report)) + "\n"


def render(env: str, drift_json: Path, exit_code: int, out_dir: Path, log: Path | None, run_url: str) -> str:
    """Write result.json and issue.md to out_dir; return the job summary's Markdown."""
    from tooling.deploy.plan_text import redact  # the drift job has the tooling; the issue job needs none

    report = read_report(drift_json.read_text() if drift_json.is_file() else "", exit_code)
    out_dir.mkdir(parents=True, exist_ok=True)
    if report is None:
        tail = log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:] if log and log.is_file() else []
        result = Result(env, exit_code, None, f"drift check of {env} failed (exit {exit_code})", "", run_url)
        (out_dir / "result.json").write_text(json.dumps(result.as_json()) + "\n")
        log_text = redact("\n".join(tail)) or "(no output)"
        return f"## Drift check of {env} failed (exit {exit_code})\n\n```\n{log_text}\n```\n"
    body = issue_body(env, report, run_url, redact)
    result = Result(env, exit_code, bool(report["drift"]), str(report.get("summary", "")),
                    fingerprint(report) if report["drift"] else "", run_url)  # fmt: skip
    (out_dir / "result.json").write_text(json.dumps(result.as_json()) + "\n")
    (out_dir / "issue.md").write_text(body)
    if not report["drift"]:
        return f"## Drift of {env}\n\n{report.get('summary', 'no drift')}\n"
    return f"## Drift of {env}\n\n" + body.split(FINGERPRINT.split(":")[0])[0]


# -- sync (the issue job) -----------------------------------------------------------------------------------


def run_gh(args: list[str], stdin: str | None = None) -> str:
    done = subprocess.run(["gh", *args], input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CheckError(f"gh {' '.join(args[:2])} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def open_issue(env: str, gh: Gh) -> dict[str, Any] | None:
    """The open issue titled "Drift in ENV" with the label (the oldest, should there be several)."""
    listed = json.loads(gh(["issue", "list", "--state", "open", "--label", LABEL, "--limit", "100",
                            "--json", "number,title,body"], None) or "[]")  # fmt: skip
    mine = [issue for issue in listed if issue.get("title") == title(env)]
    return min(mine, key=lambda issue: int(issue["number"])) if mine else None


def load_result(out_dir: Path) -> Result:
    try:
        return Result.from_json(json.loads((out_dir / "result.json").read_text()))
    except (OSError, ValueError, KeyError) as exc:
        raise CheckError(
            f"{out_dir / 'result.json'} is missing or malformed ({exc}): did the drift job run?"
        ) from None


def check(out_dir: Path) -> str:
    """What the check found; CheckError when it did not run to the end."""
    result = load_result(out_dir)
    if result.drift is None:
        raise CheckError(f"{result.summary}: the run's summary page shows the end of its log")
    return result.summary


def sync(out_dir: Path, gh: Gh = run_gh) -> str:
    """Open, update, comment on or close the environment's drift issue; return what was done."""
    result = load_result(out_dir)
    if result.drift is None:
        return f"{result.summary}: the drift issue of {result.env} is left as it is"
    issue = open_issue(result.env, gh)
    link = f" ({result.run_url})" if result.run_url else ""
    if not result.drift:
        if issue is None:
            return f"no drift in {result.env}, no open issue: nothing to do"
        number = str(issue["number"])
        gh(
            ["issue", "comment", number, "--body-file", "-"],
            f"No drift in {result.env} any more{link}: closing.\n",
        )
        gh(["issue", "close", number, "--reason", "completed"], None)
        return f"no drift in {result.env}: closed #{number}"
    body = (out_dir / "issue.md").read_text()
    if issue is None:
        gh(
            ["label", "create", LABEL, "--color", LABEL_COLOR, "--description", LABEL_DESCRIPTION, "--force"],
            None,
        )
        url = gh(
            ["issue", "create", "--title", title(result.env), "--label", LABEL, "--body-file", "-"], body
        )
        return f"drift in {result.env}: opened {url.strip()}"
    number = str(issue["number"])
    gh(["issue", "edit", number, "--body-file", "-"], body)
    if FINGERPRINT.format(result.fingerprint) in str(issue.get("body") or ""):
        return f"drift in {result.env} unchanged: updated #{number}"
    gh(["issue", "comment", number, "--body-file", "-"], f"The drift changed{link}: {result.summary}\n")
    return f"drift in {result.env} changed: updated #{number} and commented"


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["render"] and len(argv) == 5:
            env, drift_json, code, out_dir = argv[1], Path(argv[2]), argv[3], Path(argv[4])
            log = os.environ.get("DRIFT_LOG")
            try:
                exit_code = int(code)
            except ValueError:
                raise CheckError(f"EXIT_CODE must be a number, not {code!r}") from None
            run_url = os.environ.get("RUN_URL", "")
            print(render(env, drift_json, exit_code, out_dir, Path(log) if log else None, run_url), end="")
            return 0
        if argv[:1] == ["check"] and len(argv) == 2:
            print(check(Path(argv[1])))
            return 0
        if argv[:1] == ["sync"] and len(argv) == 2:
            print(sync(Path(argv[1])))
            return 0
    except CheckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
