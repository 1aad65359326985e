"""The two things deploy.yml needs beyond `tooling`: the environment file pointed at the remote state, and
the plan summary for the job page.

    deploy_env.py prepare ENV OUT_FILE   environments/ENV.toml + the S3 backend from TF_STATE_BUCKET and
                                         TF_STATE_REGION -> OUT_FILE; NAME_SUFFIX -> .tooling/ENV/suffix
    deploy_env.py summary ENV PLAN_JSON PLAN_TEXT PLAN_LOG [ROUTES_JSON ROUTES_LOG]
                                         Markdown for $GITHUB_STEP_SUMMARY on stdout: the counts, then
                                         `tooling show-plan`'s text (secrets redacted), or when the plan
                                         failed, the end of its log (redacted the same way); then the
                                         routing diff (`tooling routes diff --json`) or why there is none

The repository's environment files stay as they are (local state for a laptop); CI adds the backend to a
copy, so the bucket name lives in one place: the repository variable. The suffix is the one the
environment was first applied with: a fresh clone would otherwise draw a new one and rename everything.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from tooling.deploy.plan_text import redact
from tooling.routes.render import render_markdown
from tooling.routes.report import DiffReport

ROOT = Path(__file__).resolve().parents[2]
SUFFIX = re.compile(r"^[a-z0-9]{6}$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# GitHub refuses a step summary above 1 MiB; the plan text is cut well below that.
MAX_PLAN_CHARS = 60_000
MAX_ROUTES_LOG_CHARS = 4_000


class SetupError(Exception):
    """A repository variable is missing or malformed: one line for the job log."""


def _required(name: str, environ: dict[str, str]) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise SetupError(f"repository variable {name} is not set (see README: CI and deployment pipeline)")
    return value


def prepare(env: str, out_file: Path, environ: dict[str, str], root: Path = ROOT) -> dict[str, Any]:
    """Write the environment file with the S3 backend to `out_file` and the name suffix; return the backend."""
    bucket = _required("TF_STATE_BUCKET", environ)
    region = _required("TF_STATE_REGION", environ)
    suffix = _required("NAME_SUFFIX", environ)
    if not SUFFIX.match(suffix):
        raise SetupError(f"NAME_SUFFIX must be 6 lowercase letters or digits, not {suffix!r}")

    data = tomllib.loads((root / "environments" / f"{env}.toml").read_text())
    section = data.setdefault("terraform", {})
    default_key = f"{data.get('project', 'ecommerce')}/{env}/terraform.tfstate"
    key = section.get("backend", {}).get("key") or default_key
    section["backend"] = {"bucket": bucket, "key": key, "region": region, "use_lockfile": True}
    # The bootstrap's boundary for this environment: its deploy role creates no role without it.
    boundary = environ.get("PERMISSIONS_BOUNDARY_ARN", "").strip()
    if boundary:
        section["permissions_boundary_arn"] = boundary
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(tomli_w.dumps(data))

    state_dir = root / ".tooling" / env
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "suffix").write_text(suffix + "\n")
    return dict(section["backend"])


def _read(path: Path) -> str:
    return ANSI.sub("", path.read_text(errors="replace")) if path.is_file() else ""


def summary(env: str, plan_json: Path, plan_text: Path, plan_log: Path) -> str:
    """The job summary: the plan's counts, then the reviewed plan text folded away. Everything shown is
    redacted once more here, the failure log included: the summary is readable by every repository reader."""
    lines = [f"### tooling plan --env {env}", ""]
    counts: dict[str, Any] = {}
    if plan_json.is_file() and plan_json.read_text().strip():
        counts = json.loads(plan_json.read_text())
    text = _read(plan_text)
    if counts and text.strip():
        lines += [
            "| add | change | destroy |",
            "|---:|---:|---:|",
            f"| {counts['add']} | {counts['change']} | {counts['destroy']} |",
        ]
        title = "terraform show (sensitive values masked, secrets redacted)"
    else:
        lines.append("**The plan failed**: the end of its log is below.")
        text, title = _read(plan_log), "the end of the log (secrets redacted)"
    text = redact(text)
    if len(text) > MAX_PLAN_CHARS:
        text = "[... cut: the whole plan is in the run's plan artifact ...]\n" + text[-MAX_PLAN_CHARS:]
    if text.strip():
        lines += ["", f"<details><summary>{title}</summary>", "", "```", text.rstrip(), "```"]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def routes_summary(routes_json: Path, routes_log: Path) -> str:
    """The routing diff next to the plan: its Markdown, or, when it did not run to the end, the end of its
    log (one `error:` line and its hint, redacted like the plan's)."""
    text = routes_json.read_text() if routes_json.is_file() else ""
    if text.strip():
        return render_markdown(
            DiffReport.model_validate_json(text), title="Routing diff against the base branch"
        )
    log = redact(_read(routes_log))[-MAX_ROUTES_LOG_CHARS:].rstrip()
    lines = [
        "### Routing diff against the base branch",
        "",
        "**The routing diff did not run**: its log is below.",
    ]
    return "\n".join([*lines, "", "```", log or "(no output)", "```"]) + "\n"


def main(argv: list[str]) -> int:
    try:
        if len(argv) == 3 and argv[0] == "prepare":
            backend = prepare(argv[1], Path(argv[2]), dict(os.environ))
            where = f"s3://{backend['bucket']}/{backend['key']} ({backend['region']}, S3 lock file)"
            print(f"{argv[1]}: state {where}")
            return 0
        if len(argv) in (5, 7) and argv[0] == "summary":
            print(summary(argv[1], Path(argv[2]), Path(argv[3]), Path(argv[4])), end="")
            if len(argv) == 7:
                print("\n" + routes_summary(Path(argv[5]), Path(argv[6])), end="")
            return 0
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
