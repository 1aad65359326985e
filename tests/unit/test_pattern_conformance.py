"""Every case recorded against real EventBridge (../shared/conformance/eventbridge-patterns) when present.

The file name says the expected answer: NAME (match), NAME_NEG (valid, no match), NAME_EXC (invalid, with the
exact message AWS returned, from aws-snapshot.json). The cases are read in place, never copied here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import json5
import pytest

from tooling.patterns import InvalidPatternError, compile_pattern


def _conformance_dir() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "conformance" / "eventbridge-patterns"
        if (candidate / "cases").is_dir():
            return candidate
    return None


ROOT = _conformance_dir()
pytestmark = pytest.mark.skipif(ROOT is None, reason="../shared/conformance/eventbridge-patterns is absent")


def _aws_messages(root: Path) -> dict[str, str]:
    """Case name -> the first line of the InvalidEventPatternException message AWS answered."""

    def find(node: Any) -> str | None:
        if isinstance(node, dict):
            error = node.get("Error")
            if isinstance(error, dict) and error.get("Code") == "InvalidEventPatternException":
                return str(error["Message"]).split("\n", 1)[0]
            for value in node.values():
                found = find(value)
                if found is not None:
                    return found
        return None

    snapshot = json.loads((root / "aws-snapshot.json").read_text(encoding="utf-8"))
    messages: dict[str, str] = {}
    for key, value in snapshot.items():
        if "::test_event_pattern[" in key:
            message = find(value)
            if message is not None:
                messages[key.rsplit("[", 1)[1].rstrip("]")] = message
    return messages


def _cases() -> list[Any]:
    if ROOT is None:
        return []
    cases = []
    for path in sorted((ROOT / "cases").glob("*.json5")):
        data = json5.loads(path.read_text(encoding="utf-8"))
        cases.append(pytest.param(path.stem, data["EventPattern"], data["Event"], id=path.stem))
    # One case split over two files; plain JSON, where a repeated key keeps its last value as AWS does.
    pattern = json.loads(
        (ROOT / "cases" / "complex_multi_key_event_pattern.json").read_text(encoding="utf-8")
    )
    event = json.loads((ROOT / "cases" / "complex_multi_key_event.json").read_text(encoding="utf-8"))
    cases.append(pytest.param("complex_multi_key_event", pattern, event, id="complex_multi_key_event"))
    return cases


MESSAGES = _aws_messages(ROOT) if ROOT is not None else {}


@pytest.mark.parametrize(("name", "pattern", "event"), _cases())
def test_case_answers_like_eventbridge(name: str, pattern: Any, event: dict[str, Any]) -> None:
    if name.endswith("_EXC"):
        with pytest.raises(InvalidPatternError) as raised:
            compile_pattern(pattern)
        assert raised.value.message == MESSAGES[name]
    else:
        assert compile_pattern(pattern).matches(event) is (not name.endswith("_NEG"))


def test_every_case_file_is_exercised() -> None:
    assert ROOT is not None
    files = list((ROOT / "cases").iterdir())
    # 155 JSON5 cases plus one case split over two .json files.
    assert len(_cases()) == len([f for f in files if f.suffix == ".json5"]) + 1
    assert len(files) == 157
