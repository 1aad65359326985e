"""tooling_testing/event_ruler.py: finding what event-ruler needs, and (where Java and its source are present)
event-ruler's own answers, which the pattern engine must give too."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tooling.patterns import RuleSet, check_pattern
from tooling_testing import event_ruler

REASON = "Event pattern is not valid. Reason: "


def test_without_a_jdk_it_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(event_ruler.shutil, "which", lambda tool: None)

    assert event_ruler.available() == "no `java` on PATH (a JDK 11+ is needed)"


def test_a_missing_source_is_named_with_the_variable_that_provides_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EVENT_RULER_SOURCE", str(tmp_path / "nowhere"))

    with pytest.raises(event_ruler.EventRulerUnavailable, match=r"EVENT_RULER_SOURCE=.*does not exist"):
        event_ruler._source()


def test_jars_come_from_the_maven_repository_at_the_pom_version(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for version in ("2.17.2", "2.21.0", "2.22.3"):
        folder = tmp_path / ".m2/repository/com/fasterxml/jackson/core/jackson-core" / version
        folder.mkdir(parents=True)
        (folder / f"jackson-core-{version}.jar").write_bytes(b"")
    annotations = tmp_path / ".m2/repository/com/fasterxml/jackson/core/jackson-annotations/2.21"
    annotations.mkdir(parents=True)
    (annotations / "jackson-annotations-2.21.jar").write_bytes(b"")
    monkeypatch.setattr(event_ruler.Path, "home", lambda: tmp_path)

    assert event_ruler._jar("com.fasterxml.jackson.core", "jackson-core", "2.21.0").parent.name == "2.21.0"
    assert event_ruler._jar("com.fasterxml.jackson.core", "jackson-core", "9.9").parent.name == "2.22.3"
    assert event_ruler._jar("com.fasterxml.jackson.core", "jackson-annotations", "2.21").name == (
        "jackson-annotations-2.21.jar"
    )


def test_without_fastdoubleparser_the_copy_inside_jackson_core_is_used(tmp_path: Path) -> None:
    jar = tmp_path / "jackson-core.jar"
    with zipfile.ZipFile(jar, "w") as archive:
        archive.writestr(
            "com/fasterxml/jackson/core/internal/shaded/fdp/v2_21_0/JavaBigDecimalParser.class", b""
        )

    package = event_ruler._shaded_parser(jar)
    shim = event_ruler._write_shim(str(package), tmp_path / "shim")

    assert package == "com.fasterxml.jackson.core.internal.shaded.fdp.v2_21_0"
    assert f"return {package}.JavaBigDecimalParser.parseBigDecimal(text);" in shim.read_text(encoding="utf-8")


REASON_NOT_AVAILABLE = event_ruler.available()


@pytest.mark.skipif(REASON_NOT_AVAILABLE is not None, reason=f"event-ruler: {REASON_NOT_AVAILABLE}")
def test_event_ruler_and_this_engine_agree_on_the_defect_cases() -> None:
    rules = {
        "cidr": {"ip": [{"cidr": "10.0.0.5/24"}]},
        "ip": {"ip": ["10.0.0.1"]},
        "wrap": {"items": {"sku": ["A"], "wrap": [{"exists": False}]}},
        "empty-key": {"b": ["A"]},
        "not-5": {"n": [{"anything-but": [5]}]},
        "positive": {"n": [{"numeric": [">", 0]}]},
        "dup": {"source": ["a"]},
    }
    texts = {name: json.dumps(pattern) for name, pattern in rules.items()}
    events = [
        '{"ip": "10.0.0.4"}',
        '{"ip": "010.0.0.1"}',
        '{"ip": "::ffff:a00:1"}',
        '{"items": [{"sku": "A"}, {"sku": "B", "wrap": true}]}',
        '{"": {"b": "A"}}',
        '{"n": 1e400}',
        '{"n": 9007199254740993}',
        '{"n": 3}',
        '{"source": "a", "source": "b"}',
    ]

    answers = event_ruler.match_many(texts, events)

    assert answers == [RuleSet(texts).match_json(event) for event in events]
    assert answers[0] == ["cidr"] and answers[3] == ["wrap"] and answers[8] == ["dup"]


@pytest.mark.skipif(REASON_NOT_AVAILABLE is not None, reason=f"event-ruler: {REASON_NOT_AVAILABLE}")
def test_event_ruler_and_this_engine_give_the_same_validation_messages() -> None:
    patterns = [
        '{"a": [{"numeric": [">", 9007199254740993]}]}',
        '{"a": [{"prefix": {}}]}',
        '{"a": [{"cidr": "1.2.3.999/24"}]}',
        '{"a": [{"cidr": "1.2.3.4/99999999999"}]}',
        '{"a": [{"anything-but": {"prefix": true}}]}',
        '{"a": [1e400]}',
    ]

    theirs = event_ruler.check_many(patterns)

    assert theirs == [None if (m := check_pattern(p)) is None else m.removeprefix(REASON) for p in patterns]
    assert theirs[-1] is None
