"""Output that pipes (issue 24, item 5): `tooling logs | cat` and `tooling monitor | cat` never wrap a line
(before the console factory rich folded every line at 80 columns, splitting ARNs), a log event is one
line (a long one used to become an indented JSON block, so `| grep` lost its time and function), and
colour is off in a pipe unless FORCE_COLOR asks for it; NO_COLOR and `--no-color` win over FORCE_COLOR and
leave no escape sequence at all (rich's own no_color kept bold and dim), and FORCE_COLOR forces colour
only, never the 80-column folding of a terminal it took the pipe for.

The environment has long names (project "ecommerce-platform", environment "staging-eu") so its bus ARN
and many lines are longer than 80 columns. Each command runs as a subprocess with stdout a pipe and
COLUMNS=40, which a wrapping console would obey.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tooling import local
from tooling.deploy import pipeline as deploy
from tooling.outputs import DeploymentOutputs, load_outputs
from tooling.publish.events import EventFactory
from tooling.workspace import Workspace

pytestmark = pytest.mark.slow

ENV = "staging-eu"
ESCAPE = "\x1b"
TIME = re.compile(r"\d\d:\d\d:\d\d\.\d{3} ")


@dataclass(frozen=True)
class Deployed:
    root: Path
    outputs: DeploymentOutputs


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, copy_project: Callable[[Path], Path]) -> Deployed:
    root = copy_project(tmp_path_factory.mktemp("pipes") / "project")
    dev = (root / "environments" / "dev.toml").read_text(encoding="utf-8")
    long_named = dev.replace('project = "ecommerce"', 'project = "ecommerce-platform"', 1).replace(
        'environment = "dev"', f'environment = "{ENV}"', 1
    )
    (root / "environments" / f"{ENV}.toml").write_text(long_named, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLING_ROOT", str(root))
        patch.setenv("TOOLING_LOCAL_DISPATCH", "off")
        workspace = Workspace.for_env(ENV)
        outputs = local.apply_local(deploy.prepare(workspace))
        factory = EventFactory(seed=24)
        bus = local.open_local_bus(workspace, outputs, dispatch=False)
        try:
            results = bus.put_events(
                [factory.entry("order", "Order Created", amount=1500 + i) for i in range(3)]
                + [factory.entry("user", "User Registered"), factory.entry("payment")]
            )
        finally:
            bus.close()
        assert all("EventId" in r for r in results)
        assert local.drain(workspace, timeout=120).complete
        outputs = load_outputs(workspace)
    assert len(outputs.event_bus_arn) > 80
    return Deployed(root, outputs)


def steady(text: str) -> str:
    """The monitor's clock is the only thing that changes between two runs on the drained environment."""
    return re.sub(r"at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "at <now>", text)


def tooling(deployed: Deployed, *args: str, **environ: str) -> str:
    """`tooling ARGS | cat`: stdout is a pipe; COLUMNS=40 unless `environ` says otherwise."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")}
    env.update(
        {"TOOLING_ROOT": str(deployed.root), "TOOLING_LOCAL_DISPATCH": "off", "COLUMNS": "40", **environ}
    )
    proc = subprocess.run(
        [sys.executable, "-m", "tooling", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_logs_into_a_pipe_print_each_event_whole_on_one_line(deployed: Deployed) -> None:
    events = json.loads(tooling(deployed, "logs", "--env", ENV, "--json"))["events"]
    lines = tooling(deployed, "logs", "--env", ENV).splitlines()

    assert len(events) > 10
    assert any(len(line) > 80 for line in lines)
    at = 0
    for event in events:
        data = event["data"]
        # A plain message keeps its own line breaks (a traceback); a structured one is compact JSON.
        taken = 1 if data is not None else 1 + event["message"].count("\n")
        line, at = "\n".join(lines[at : at + taken]), at + taken
        assert TIME.match(line) and f" {event['function']} " in line, line
        if data is None:  # START, REPORT, ...: each tab-separated field whole
            assert all(part.strip() in line for part in event["message"].split("\t")), line
        else:
            for key in ("message", "correlation_id", "order_id"):
                if isinstance(data.get(key), str):
                    assert data[key] in line, line
    assert at == len(lines)  # no line left over: nothing was folded into a continuation


def test_monitor_into_a_pipe_folds_nothing_and_keeps_the_bus_arn_whole(deployed: Deployed) -> None:
    narrow = tooling(deployed, "monitor", "--env", ENV)
    wide = tooling(deployed, "monitor", "--env", ENV, COLUMNS="400")

    lines = narrow.splitlines()
    assert any(deployed.outputs.event_bus_arn in line for line in lines)
    assert any(len(line.rstrip()) > 80 for line in lines)
    assert not any(line.strip() and set(line.strip()) <= set("─━═│┃┏┓┗┛┡┩╇ ") for line in lines)  # no box

    assert steady(narrow) == steady(wide)  # nothing depends on the width a pipe claims


@pytest.mark.parametrize("command", ["monitor", "logs"])
def test_force_color_colours_a_pipe_and_no_color_or_the_option_leaves_no_escape(
    deployed: Deployed, command: str
) -> None:
    forced = tooling(deployed, command, "--env", ENV, FORCE_COLOR="1")
    no_color = tooling(deployed, command, "--env", ENV, FORCE_COLOR="1", NO_COLOR="1")
    option = tooling(deployed, "--no-color", command, "--env", ENV, FORCE_COLOR="1")
    plain = tooling(deployed, command, "--env", ENV)

    assert ESCAPE in forced
    assert ESCAPE not in no_color and ESCAPE not in option and ESCAPE not in plain
    # Forced colour is colour only: without its escapes, the lines are the plain ones, none folded.
    assert steady(re.sub(r"\x1b\[[0-9;]*m", "", forced)) == steady(plain)
