"""Random bytes and random structured junk fed to every input surface of the CLI, in process (typer's
CliRunner on the app, with the CLI's own error handler): environment files, details, events, patterns,
`--cases` lines, `route` events, outputs files, `--since` and `publish file` (from a file and from stdin).

Each case asserts what the CLI promises for any input: no traceback, no "unexpected" error (an exception
that is not a ToolingError), an exit code in the documented set (0 ok; 1 only for "no match" of
test-pattern; 2 refused), and nothing written outside the project's `.tooling/` and `build/`.
Hypothesis runs derandomized (the same cases on every run) with no example database, so the module is
deterministic and writes nothing of its own. 10 surfaces x 250 cases (FUZZ_EXAMPLES sets the 250): about
15 s of CPU, under a minute of wall time on a busy machine.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main
import typer.testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tooling import strict_json
from tooling.cli import errors
from tooling.cli.app import app
from tooling.errors import ToolingError

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "250"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

runner = CliRunner()

CONFIG = """
project = "shop"
environment = "dev"
region = "eu-west-1"

[[rules]]
name = "orders"
pattern = { source = ["ecommerce.orders"] }
[[rules.targets]]
target = "processor"
"""


@dataclass
class Sandbox:
    """A throwaway project (TOOLING_ROOT) with a working directory and an inputs folder beside it."""

    root: Path
    project: Path
    inputs: Path

    def write(self, name: str, data: bytes | str) -> Path:
        path = self.inputs / name
        path.write_bytes(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
        return path

    def snapshot(self) -> dict[str, tuple[int, int]]:
        """Every path under the root with its size and mtime, but the inputs and the project's own state."""
        seen: dict[str, tuple[int, int]] = {}
        skip = {self.inputs, self.project / ".tooling", self.project / "build"}
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = [d for d in dirs if Path(folder, d) not in skip]
            for name in [*dirs, *files]:
                info = os.lstat(Path(folder, name))
                seen[str(Path(folder, name).relative_to(self.root))] = (info.st_size, info.st_mtime_ns)
        return seen


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    root = tmp_path_factory.mktemp("fuzz")
    project = root / "project"
    (project / "environments").mkdir(parents=True)
    (project / "environments" / "dev.toml").write_text(CONFIG)
    (root / "cwd").mkdir()
    (root / "inputs").mkdir()
    box = Sandbox(root, project, root / "inputs")
    with pytest.MonkeyPatch.context() as patch:
        # CliRunner builds the root group afresh on every invoke, and the group imports and builds each
        # command on its first lookup (tooling/cli/commands.py): one group for the module spares each case
        # what a new process pays once.
        group = typer.main.get_command(app)
        patch.setattr(typer.testing, "_get_command", lambda _app: group)
        patch.setenv("TOOLING_ROOT", str(project))
        patch.setenv("TOOLING_LOCAL_DISPATCH", "off")
        patch.chdir(root / "cwd")
        before = box.snapshot()
        yield box
        after = box.snapshot()
    assert after == before, "files written outside the project's .tooling/ and build/"


def run(args: list[str], stdin: bytes | None = None) -> tuple[int, str, str]:
    """The exit code, stderr and stdout of `tooling ARGS`, as main() would end; fails on any unexpected
    error."""
    result = runner.invoke(app, args, input=stdin)
    stderr = result.stderr
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        assert isinstance(exc, ToolingError), f"unexpected {type(exc).__name__}: {exc} for {args!r}"
        captured = io.StringIO()
        with contextlib.redirect_stderr(captured):
            code = errors.handle(exc, debug=False)
        stderr += captured.getvalue()
    else:
        code = result.exit_code
    output = result.stdout + stderr
    assert "Traceback" not in output, output
    assert "error: unexpected" not in stderr, stderr
    return code, stderr, result.stdout


def assert_strict_json_lines(stdout: str) -> None:
    """--json output is JSON a strict reader takes (no NaN or Infinity ever printed)."""
    for line in stdout.splitlines():
        strict_json.loads(line, "--json output")


def assert_refused_or_ok(code: int, stderr: str, allowed: frozenset[int] = frozenset({0, 2})) -> None:
    assert code in allowed, stderr
    if code == 2:
        assert stderr.strip(), "a refusal says why"


# -- strategies ---------------------------------------------------------------------------------------------

HUGE_NUMBERS = st.one_of(
    st.integers(300, 6000).map(lambda n: "9" * n),
    st.integers(300, 6000).map(lambda n: "-1" + "0" * n),
    st.sampled_from(
        ["1e400", "-1e309", "1E+99999", "1e-400", "0." + "0" * 1200 + "1", "5.0e9", "5000000001"]
    ),
)
STRINGS = st.one_of(
    st.text(max_size=12).map(json.dumps),
    st.sampled_from(['"\\ud800"', '"x\\udfff"', '"\\ud83d\\ude00"', '"\\\\ud800"', '"\\u0000"', '"é"']),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF).map(lambda c: f'"{c}"'),
)
SCALARS = st.one_of(
    st.sampled_from(
        ["NaN", "Infinity", "-Infinity", "null", "true", "false", "nan", "inf", "0", "-0", "1.5"]
    ),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    HUGE_NUMBERS,
    STRINGS,
)
KEYS = st.one_of(
    st.sampled_from(['"a"', '"a"', '"source"', '"detail"', '"detail-type"', '"totalAmount"', '"\\ud800"']),
    st.sampled_from(['"numeric"', '"prefix"', '"anything-but"', '"exists"', '"$or"', '"Detail"', '"Source"']),
    st.text(max_size=6).map(json.dumps),
)


def _object(pairs: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f"{key}:{value}" for key, value in pairs) + "}"


JSON_ISH = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=5).map(lambda items: "[" + ",".join(items) + "]"),
        st.lists(st.tuples(KEYS, children), max_size=5).map(_object),
        st.tuples(st.sampled_from(["=", "<", ">", ">=", "<=", "x"]), children).map(
            lambda op: '[{"numeric": ["' + op[0] + '", ' + op[1] + "]}]"
        ),
    ),
    max_leaves=12,
)
DEEP = st.tuples(st.integers(90, 3000), st.sampled_from(['{"a":', "["])).map(
    lambda n_open: n_open[1] * n_open[0] + "1" + ("}" if n_open[1] == '{"a":' else "]") * n_open[0]
)


@st.composite
def mangled(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    """A JSON-ish text, sometimes cut short or with a character spliced in."""
    text = draw(base)
    if text and draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(["", ",", "}", "]", '"', "\\", ":", "\x00", "\ufeff"]))
    return text


DOCUMENTS = st.one_of(mangled(JSON_ISH), DEEP, st.text(max_size=40))
# Objects shaped like events and patterns, so that the junk reaches the matcher, not only the parser.
EVENTS = st.one_of(
    DOCUMENTS,
    st.tuples(JSON_ISH, JSON_ISH).map(
        lambda d: '{"source": "a", "detail": {"x": ' + d[0] + ', "y": ' + d[1] + "}}"
    ),
)
PATTERNS = st.one_of(
    DOCUMENTS,
    JSON_ISH.map(lambda d: '{"detail": {"x": ' + d + "}}"),
)


def argument(text: str) -> str:
    """What an inline argument can be: argv holds no NUL byte."""
    return text.replace("\x00", "")


# -- the surfaces -------------------------------------------------------------------------------------------


@FUZZ
@given(document=DOCUMENTS, as_file=st.booleans())
def test_details_are_refused_or_taken_never_unexpected(
    sandbox: Sandbox, document: str, as_file: bool
) -> None:
    value = f"@{sandbox.write('detail.json', document)}" if as_file else argument(document)
    code, stderr, _ = run(["publish", "order", "--detail", value])
    assert_refused_or_ok(code, stderr)


@FUZZ
@given(event=EVENTS, as_file=st.booleans())
def test_events_are_refused_or_answered(sandbox: Sandbox, event: str, as_file: bool) -> None:
    value = f"@{sandbox.write('event.json', event)}" if as_file else argument(event)
    pattern = '{"detail": {"x": [{"numeric": [">", 0]}]}}'
    code, stderr, stdout = run(["test-pattern", "--pattern", pattern, "--event", value, "--json"])
    assert_refused_or_ok(code, stderr, frozenset({0, 1, 2}))
    assert_strict_json_lines(stdout)


@FUZZ
@given(event=EVENTS)
def test_route_refuses_or_routes_any_event(sandbox: Sandbox, event: str) -> None:
    code, stderr, stdout = run(["route", "--event", argument(event), "--json"])
    assert_refused_or_ok(code, stderr, frozenset({0, 1, 2}))
    assert_strict_json_lines(stdout)


@FUZZ
@given(pattern=PATTERNS, as_file=st.booleans())
def test_patterns_are_refused_or_answered(sandbox: Sandbox, pattern: str, as_file: bool) -> None:
    value = f"@{sandbox.write('pattern.json', pattern)}" if as_file else argument(pattern)
    event = '{"source": "a", "detail": {"x": 5}}'
    code, stderr, stdout = run(["test-pattern", "--pattern", value, "--event", event, "--json"])
    assert_refused_or_ok(code, stderr, frozenset({0, 1, 2}))
    assert_strict_json_lines(stdout)


@FUZZ
@given(lines=st.lists(st.tuples(PATTERNS, EVENTS), max_size=4))
def test_cases_lines_are_refused_or_answered(sandbox: Sandbox, lines: list[tuple[str, str]]) -> None:
    text = "\n".join(f'{{"pattern": {p}, "event": {e}}}'.replace("\n", " ") for p, e in lines)
    code, stderr, stdout = run(["test-pattern", "--cases", str(sandbox.write("cases.jsonl", text))])
    assert_refused_or_ok(code, stderr)
    assert_strict_json_lines(stdout)


ENTRY_LINES = st.one_of(
    DOCUMENTS,
    EVENTS,
    JSON_ISH.map(lambda d: json.dumps({"Source": "a", "DetailType": "b", "Detail": '{"x": ' + d + "}"})),
    SCALARS.map(lambda t: '{"Source": "a", "DetailType": "b", "Detail": "{}", "Time": ' + t + "}"),
    JSON_ISH.map(lambda r: '{"Source": "a", "DetailType": "b", "Detail": "{}", "Resources": ' + r + "}"),
)


@FUZZ
@given(content=st.one_of(st.lists(ENTRY_LINES, max_size=5).map("\n".join), st.binary(max_size=300)))
def test_publish_file_is_refused_or_taken(sandbox: Sandbox, content: str | bytes) -> None:
    path = sandbox.write("events.jsonl", content)
    code, stderr, _ = run(["publish", "file", str(path)])
    assert_refused_or_ok(code, stderr)


@FUZZ
@given(content=st.one_of(st.lists(ENTRY_LINES, max_size=3).map("\n".join), st.binary(max_size=200)))
def test_publish_file_from_stdin_is_refused_or_taken(sandbox: Sandbox, content: str | bytes) -> None:
    data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    code, stderr, _ = run(["publish", "file", "-"], stdin=data)
    assert_refused_or_ok(code, stderr)


TOML_KEYS = st.sampled_from(
    ["project", "environment", "region", "name", "pattern", "target", "enabled", "max_attempts", "x", "a.b"]
)
TOML_VALUES = st.one_of(
    st.sampled_from(['"shop"', '"dev"', "nan", "inf", "-inf", "+nan", "true", "1979-05-27", "0x1F", "1_000"]),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(['"\\ud800"', "'''x'''", '"""\n"""', "[1, [2]]", "{ a = 1, a = 2 }", "[", "{"]),
    JSON_ISH.map(lambda d: "'" + d.replace("'", "").replace("\n", " ") + "'"),
    JSON_ISH.map(lambda d: '{ source = ["a"], detail = { x = [ { numeric = [">", ' + d + "] } ] } }"),
)
TOML_LINES = st.one_of(
    st.tuples(TOML_KEYS, TOML_VALUES).map(lambda kv: f"{kv[0]} = {kv[1]}"),
    st.sampled_from(["[[rules]]", "[[rules.targets]]", "[rules.targets.input_transformer]", "[x", "[[]]"]),
    st.text(max_size=20),
)
ENV_FILES = st.one_of(
    st.lists(TOML_LINES, max_size=12).map(lambda lines: CONFIG + "\n".join(lines)),
    st.lists(TOML_LINES, max_size=12).map("\n".join),
    st.binary(max_size=300),
)


@FUZZ
@given(content=ENV_FILES)
def test_environment_files_are_refused_or_valid(sandbox: Sandbox, content: str | bytes) -> None:
    path = sandbox.write("env.toml", content)
    code, stderr, _ = run(["config", "validate", "--config", str(path)])
    assert_refused_or_ok(code, stderr)


OUTPUTS = st.one_of(
    DOCUMENTS,
    st.dictionaries(
        st.sampled_from(["region", "event_bus_name", "rule_arns", "target"]), JSON_ISH, max_size=4
    ).map(lambda d: "{" + ",".join(f'"{k}": {{"value": {v}}}' for k, v in d.items()) + "}"),
    st.binary(max_size=300),
)


@FUZZ
@given(content=OUTPUTS)
def test_outputs_files_are_refused_or_read(sandbox: Sandbox, content: str | bytes) -> None:
    path = sandbox.write("outputs.json", content)
    code, stderr, _ = run(["outputs", "--outputs", str(path)])
    assert_refused_or_ok(code, stderr)


SINCE = st.one_of(
    st.text(alphabet="0123456789smhdwSMHDW -.+e", max_size=24),
    st.integers(1, 6000).map(lambda n: "9" * n + "d"),
    st.tuples(st.integers(0, 10**12), st.sampled_from("smhdw")).map(lambda t: f"{t[0]}{t[1]}"),
    st.text(max_size=10),
)


@FUZZ
@given(since=SINCE, command=st.sampled_from(["monitor", "logs", "events"]))
def test_since_is_refused_or_taken(sandbox: Sandbox, since: str, command: str) -> None:
    args = ["events", "query", "--source", "a"] if command == "events" else [command]
    code, stderr, _ = run([*args, "--since", argument(since)])
    assert_refused_or_ok(code, stderr)
