"""The e2e run's `tooling smoke` step: after the publish and archive checks, one canary per rule, looked for
where the routing table says it lands, as deploy.yml does after every apply (and, like it, as the deploy
role: the step is recorded and held to that role, checks/role_calls.py).

moto runs no function code, so the step switches the emulator's function runner on around the command
(emulator/function_runner.py): the handlers then run, write their lines to the functions' log groups and
the batch processor its items to the event store, which is what the smoke looks for. Its summary line
(`smoke: 6/6 routes seen, 1 skipped`) joins the environment's e2e line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Protocol

from tooling.errors import ToolingError
from tooling_testing.emulator.server import functions_running

STEP = "smoke"
# Every route's evidence is written at once by the emulator (Firehose's buffer included): well within this.
TIMEOUT = "90s"
_LINE = re.compile(r"^smoke: (\d+)/(\d+) routes seen(?:, .+)?$")


class Runner(Protocol):
    """What the step needs of harness/run.py's Run."""

    env: str
    logs: Path

    def tooling_code(self, step: str, *args: str) -> tuple[int, str]: ...


def run_smoke_step(run: Runner, endpoint: str) -> tuple[str, bool]:
    """`tooling smoke --json` with the functions running: (its summary line, passed)."""
    with functions_running(endpoint):
        code, stdout = run.tooling_code(STEP, "smoke", "--timeout", TIMEOUT, "--json")
    if code not in (0, 1) or not stdout.strip():  # 1: a route was silent or failed (the JSON says which)
        log = run.logs / f"{run.env}-{STEP}.log"
        text = log.read_text() if log.is_file() else ""
        last = next((x for x in reversed(text.splitlines()) if x.startswith("error:")), f"exit {code}")
        raise ToolingError(f"e2e {run.env}: `tooling smoke` failed: {last}", hint=f"log: {log}")
    return smoke_summary(json.loads(stdout))


def smoke_summary(document: dict[str, Any]) -> tuple[str, bool]:
    """(the summary line, passed) of `tooling smoke --json`: passed when it says ok and at least one route
    was sent a canary and every such route was seen (skipped ones are named in the line)."""
    line = document.get("summary")
    match = _LINE.match(line) if isinstance(line, str) else None
    if match is None:
        raise ToolingError(
            f"`tooling smoke --json` gave no summary line of the form `smoke: N/M routes seen` (summary: {line!r})",
            hint="the smoke's JSON must carry that line under `summary`",
        )
    seen, sent = int(match[1]), int(match[2])
    return match.group(0), document.get("ok") is True and 0 < sent == seen
