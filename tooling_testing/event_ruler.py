"""aws/event-ruler, AWS's own pattern engine, built from source and driven from Python: the reference the
pattern engine (tooling/patterns) is measured and differentially tested against.

    available() -> str | None          None when usable, else why not (no Java, no source, a missing jar)
    build(cache_dir) -> Path           compiles event-ruler and benchmarks/event_ruler/EventRulerDriver.java
                                       into cache_dir (reused while its inputs are unchanged); the directory
                                       of the classes, or EventRulerUnavailable with the reason
    match_many(rules, events)          per event (JSON text), the names of the matching rules in rules' order
    check(pattern_text) -> str | None  event-ruler's message for an invalid pattern (its first line), or None
    bench(rules, events, seconds)      match_many's answers and rulesForJSONEvent's events per second

Rules are compiled with event-ruler's JsonRuleCompiler, the compiler AWS answers with; a rule it refuses
raises EventRulerError (its fallback RuleCompiler, which accepts some of those, is never used).

Where things come from (never a path written here):
- the source: $EVENT_RULER_SOURCE (a source tree or a git directory), else a git snapshot named
  `.mirror/aws+event-ruler/repo` in a parent directory of this repository; git directories are read at the
  tag v2.0.1 (EVENT_RULER_VERSION);
- Jackson (core, databind, annotations) and jsr305: the local Maven repository (~/.m2/repository, at the
  versions event-ruler's pom.xml names when present) or the system's /usr/share/java;
- fastdoubleparser, which event-ruler uses to read numbers: its jar when the Maven repository has it, else the
  copy Jackson 2.15+ carries inside jackson-core (the same library, relocated), reached through a
  one-class shim generated at build time;
- the build: $EVENT_RULER_CACHE, else $XDG_CACHE_HOME/tooling-event-ruler, else ~/.cache/tooling-event-ruler.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

EVENT_RULER_VERSION = "2.0.1"
REPO = Path(__file__).resolve().parents[1]
DRIVER = REPO / "benchmarks" / "event_ruler" / "EventRulerDriver.java"
SNAPSHOT = Path(".mirror") / "aws+event-ruler" / "repo"
_SHADED_PARSER = re.compile(
    r"(com/fasterxml/jackson/core/internal/shaded/fdp/v[0-9_]+)/JavaBigDecimalParser\.class"
)


class EventRulerUnavailable(Exception):
    """event-ruler cannot be built or run here; the message says why."""


class EventRulerError(Exception):
    """event-ruler refused its input (a rule JsonRuleCompiler refuses) or failed."""


def default_cache_dir() -> Path:
    explicit = os.environ.get("EVENT_RULER_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tooling-event-ruler"


def available() -> str | None:
    """None when event-ruler can be used (built already, or buildable), else the reason it cannot."""
    try:
        _inputs()
    except EventRulerUnavailable as exc:
        return str(exc)
    return None


def build(cache_dir: Path | None = None) -> Path:
    """The directory holding event-ruler's and the driver's classes, compiled on first use."""
    source, jars, shim = _inputs()
    cache = cache_dir or default_cache_dir()
    stamp = _stamp(source, jars)
    target = cache / f"event-ruler-{EVENT_RULER_VERSION}-{stamp}"
    if (target / "classpath").is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="build-", dir=cache))
    try:
        sources = _checkout(source, work / "src")
        java_files = sorted(str(p) for p in (sources / "src" / "main").rglob("*.java"))
        if shim is not None:
            java_files.append(str(_write_shim(shim, work / "shim")))
        java_files.append(str(DRIVER))
        classes = work / "classes"
        classes.mkdir()
        argfile = work / "sources.txt"
        argfile.write_text("\n".join(java_files), encoding="utf-8")
        compiled = subprocess.run(
            ["javac", "-nowarn", "-encoding", "UTF-8", "-d", str(classes), "-cp", os.pathsep.join(map(str, jars)),
             f"@{argfile}"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if compiled.returncode != 0:
            raise EventRulerUnavailable(f"javac failed: {compiled.stderr.strip()[-2000:]}")
        (work / "classpath").write_text(
            os.pathsep.join([str(target / "classes"), *map(str, jars)]), encoding="utf-8"
        )
        shutil.rmtree(work / "src")
        try:
            work.rename(target)
        except OSError:  # built meanwhile by another process: keep theirs
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target


def match_many(rules: Mapping[str, str], events: Sequence[str]) -> list[list[str]]:
    """For each event's JSON text, the names of the rules (pattern JSON texts) event-ruler matches."""
    answers, _ = _run_rules("match", rules, events)
    return answers


def bench(rules: Mapping[str, str], events: Sequence[str], seconds: float) -> tuple[list[list[str]], float]:
    """match_many's answers and event-ruler's rate (events per second, after a JIT warm-up)."""
    answers, rate = _run_rules("bench", rules, events, str(seconds))
    assert rate is not None
    return answers, rate


def check(pattern_text: str) -> str | None:
    """event-ruler's message (first line, without Jackson's location) when it refuses the pattern, else None."""
    return check_many([pattern_text])[0]


def check_many(pattern_texts: Sequence[str]) -> list[str | None]:
    with tempfile.TemporaryDirectory(prefix="event-ruler-") as tmp:
        patterns = Path(tmp) / "patterns.jsonl"
        _write_strings(patterns, pattern_texts)
        lines = _java("check", str(patterns)).splitlines()
    messages = [json.loads(line) for line in lines]
    return [None if m is None else str(m).split("\n", 1)[0] for m in messages]


def _run_rules(
    mode: str, rules: Mapping[str, str], events: Sequence[str], *extra: str
) -> tuple[list[list[str]], float | None]:
    with tempfile.TemporaryDirectory(prefix="event-ruler-") as tmp:
        rules_file = Path(tmp) / "rules.jsonl"
        rules_file.write_text(
            "".join(json.dumps({"name": n, "pattern": p}) + "\n" for n, p in rules.items()), encoding="utf-8"
        )
        events_file = Path(tmp) / "events.jsonl"
        _write_strings(events_file, events)
        lines = _java(mode, str(rules_file), str(events_file), *extra).splitlines()
    rate = None
    if mode == "bench":
        rate = float(json.loads(lines.pop())["events_per_second"])
    return [list(json.loads(line)) for line in lines], rate


def _write_strings(path: Path, texts: Iterable[str]) -> None:
    path.write_text("".join(json.dumps(t) + "\n" for t in texts), encoding="utf-8")


def _java(*args: str) -> str:
    classpath = (build() / "classpath").read_text(encoding="utf-8")
    done = subprocess.run(
        ["java", "-Xss8m", "-cp", classpath, "EventRulerDriver", *args],
        capture_output=True, text=True, encoding="utf-8", check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise EventRulerError(done.stderr.strip() or f"the driver exited with {done.returncode}")
    return done.stdout


# -- finding the inputs -------------------------------------------------------------------------------------


def _inputs() -> tuple[Path, list[Path], str | None]:
    """(event-ruler's source or git directory, the jars, the relocated parser class when a shim is needed)."""
    for tool in ("java", "javac"):
        if shutil.which(tool) is None:
            raise EventRulerUnavailable(f"no `{tool}` on PATH (a JDK 11+ is needed)")
    if not DRIVER.is_file():
        raise EventRulerUnavailable(f"{DRIVER.relative_to(REPO)} is missing")
    source = _source()
    versions = _pom_versions(source)
    jars = [
        _jar("com.fasterxml.jackson.core", "jackson-core", versions.get("jackson.version")),
        _jar("com.fasterxml.jackson.core", "jackson-databind", versions.get("jackson.version")),
        _jar("com.fasterxml.jackson.core", "jackson-annotations", _minor(versions.get("jackson.version"))),
        _jar("com.google.code.findbugs", "jsr305", versions.get("jsr.version")),
    ]
    shim = None
    try:
        jars.append(_jar("ch.randelshofer", "fastdoubleparser", versions.get("fastdoubleparser.version")))
    except EventRulerUnavailable:
        shim = _shaded_parser(jars[0])
        if shim is None:
            raise EventRulerUnavailable(
                "fastdoubleparser is not in the Maven repository and jackson-core (2.15+) does not carry it"
            ) from None
    return source, jars, shim


def _source() -> Path:
    explicit = os.environ.get("EVENT_RULER_SOURCE")
    if explicit:
        path = Path(explicit)
        if not path.exists():
            raise EventRulerUnavailable(f"EVENT_RULER_SOURCE={explicit} does not exist")
        return path
    for parent in REPO.parents:
        candidate = parent / SNAPSHOT
        if candidate.is_dir():
            return candidate
    raise EventRulerUnavailable(
        "no event-ruler source: set EVENT_RULER_SOURCE to a checkout or git directory of aws/event-ruler"
    )


def _is_git_dir(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def _pom(source: Path) -> str:
    if _is_git_dir(source):
        shown = subprocess.run(
            ["git", f"--git-dir={source}", "show", f"v{EVENT_RULER_VERSION}:pom.xml"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if shown.returncode != 0:
            raise EventRulerUnavailable(f"{source} has no tag v{EVENT_RULER_VERSION}: {shown.stderr.strip()}")
        return shown.stdout
    pom = source / "pom.xml"
    if not pom.is_file():
        raise EventRulerUnavailable(f"{source} holds no pom.xml")
    return pom.read_text(encoding="utf-8")


def _pom_versions(source: Path) -> dict[str, str]:
    return dict(re.findall(r"<([a-z.]+\.version)>([^<]+)</", _pom(source)))


def _minor(version: str | None) -> str | None:
    # jackson-annotations is versioned by minor release only since 2.20 ("2.21" for jackson 2.21.0).
    return None if version is None else ".".join(version.split(".")[:2])


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text))


def _jar(group: str, artifact: str, version: str | None) -> Path:
    m2 = Path.home() / ".m2" / "repository" / group.replace(".", "/") / artifact
    if m2.is_dir():
        found = {
            d.name: d / f"{artifact}-{d.name}.jar"
            for d in m2.iterdir()
            if (d / f"{artifact}-{d.name}.jar").is_file()
        }
        if version in found:
            return found[version]
        if version and version.count(".") == 1:  # a minor version: any patch release of it
            same = [v for v in found if v.startswith(version + ".")]
            if same:
                return found[max(same, key=_version_key)]
        if found:
            return found[max(found, key=_version_key)]
    system = Path("/usr/share/java") / f"{artifact}.jar"
    if system.is_file():
        return system
    raise EventRulerUnavailable(f"{group}:{artifact} is in neither ~/.m2/repository nor /usr/share/java")


def _shaded_parser(jackson_core: Path) -> str | None:
    with zipfile.ZipFile(jackson_core) as jar:
        for name in jar.namelist():
            found = _SHADED_PARSER.fullmatch(name)
            if found:
                return found.group(1).replace("/", ".")
    return None


def _write_shim(package: str, root: Path) -> Path:
    """ch.randelshofer.fastdoubleparser.JavaBigDecimalParser, handing over to Jackson's relocated copy."""
    path = root / "ch" / "randelshofer" / "fastdoubleparser" / "JavaBigDecimalParser.java"
    path.parent.mkdir(parents=True)
    path.write_text(
        "package ch.randelshofer.fastdoubleparser;\n\n"
        "/** Generated by tooling_testing/event_ruler.py: fastdoubleparser as relocated inside jackson-core. */\n"
        "public final class JavaBigDecimalParser {\n"
        "    private JavaBigDecimalParser() { }\n\n"
        "    public static java.math.BigDecimal parseBigDecimal(final CharSequence text) {\n"
        f"        return {package}.JavaBigDecimalParser.parseBigDecimal(text);\n"
        "    }\n"
        "}\n",
        encoding="utf-8",
    )
    return path


def _checkout(source: Path, into: Path) -> Path:
    """event-ruler's main sources (src/main) at the tag, from a git directory or a source tree."""
    if not _is_git_dir(source):
        if not (source / "src" / "main").is_dir():
            raise EventRulerUnavailable(f"{source} holds no src/main")
        return source
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", f"--git-dir={source}", "archive", f"v{EVENT_RULER_VERSION}", "src/main"],
        capture_output=True, check=False,
    )  # fmt: skip
    if archive.returncode != 0:
        raise EventRulerUnavailable(f"git archive failed: {archive.stderr.decode(errors='replace').strip()}")
    tar = into / "src.tar"
    tar.write_bytes(archive.stdout)
    shutil.unpack_archive(tar, into)
    tar.unlink()
    return into


def _stamp(source: Path, jars: list[Path]) -> str:
    """What the build depends on: the driver's text, the source's identity and the jars."""
    digest = hashlib.sha256(DRIVER.read_bytes())
    if _is_git_dir(source):
        rev = subprocess.run(
            ["git", f"--git-dir={source}", "rev-parse", f"v{EVENT_RULER_VERSION}^{{commit}}"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        digest.update(rev.stdout.encode())
    else:
        digest.update(str(source.resolve()).encode())
    for jar in jars:
        digest.update(f"{jar.name}:{jar.stat().st_size}".encode())
    return digest.hexdigest()[:12]


if __name__ == "__main__":  # `python -m tooling_testing.event_ruler`: build, then say where or why not
    import sys

    problem = available()
    if problem is not None:
        sys.exit(f"event-ruler: {problem}")
    print(build())
