"""The hashed Python locks (requirements/*.txt) as data, and the promises they keep as plain checks.

Each check returns findings (one line each), so the tests run it on the real files (no findings) and on a
drifted sample (the finding it must report).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO / "requirements"
BOOTSTRAP = REQUIREMENTS / "bootstrap.txt"
RUNTIME = REQUIREMENTS / "runtime.txt"
DEV = REQUIREMENTS / "dev.txt"
# `name[extras]==version ; marker`: what uv writes, one requirement per line, hashes on continuation lines.
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*(?P<version>[^\s;\\]+)")
_HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}\b")


def canonical(name: str) -> str:
    """PEP 503: `Tomli_W` and `tomli-w` are one project."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Locked:
    version: str
    hashes: list[str] = field(default_factory=list)


def parse_lock(text: str) -> dict[str, Locked]:
    """Project name -> its pin and hashes. A line that is neither a pin, a hash, a comment nor blank is kept
    under the name `?<line>` so that the checks report it."""
    locked: dict[str, Locked] = {}
    current: Locked | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if raw[:1].isspace():
            if current is not None:
                current.hashes += _HASH.findall(line)
            continue
        match = _PIN.match(line)
        if match is None:
            locked[f"?{line}"] = current = Locked("")
            continue
        current = locked[canonical(match["name"])] = Locked(match["version"])
        current.hashes += _HASH.findall(line)
    return locked


def load_lock(path: Path) -> dict[str, Locked]:
    return parse_lock(path.read_text())


def exact_pins(requirements: list[str]) -> dict[str, str]:
    """`name==version` requirements of pyproject.toml -> {name: version}; anything else maps to ''."""
    pins = {}
    for requirement in requirements:
        match = _PIN.match(requirement.strip())
        pins[canonical(match["name"]) if match else requirement] = match["version"] if match else ""
    return pins


def pyproject_pins(
    pyproject: Path = REPO / "pyproject.toml",
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(runtime, dev extra, build-system) pins of pyproject.toml."""
    data = tomllib.loads(pyproject.read_text())
    return (
        exact_pins(data["project"]["dependencies"]),
        exact_pins(data["project"]["optional-dependencies"]["dev"]),
        exact_pins(data["build-system"]["requires"]),
    )


def unhashed(lock: dict[str, Locked], label: str) -> list[str]:
    findings = [f"{label}: {name[1:]!r} is not an exact pin" for name in lock if name.startswith("?")]
    return findings + [
        f"{label}: {name}=={pin.version} has no sha256 hash"
        for name, pin in lock.items()
        if not name.startswith("?") and not pin.hashes
    ]


def uncovered(pins: dict[str, str], lock: dict[str, Locked], label: str) -> list[str]:
    """Every pin of pyproject.toml is in the lock, at the same version."""
    findings = []
    for name, version in pins.items():
        if not version:
            findings.append(f"pyproject.toml: {name!r} is not an exact pin (==)")
        elif name not in lock:
            findings.append(f"{label}: {name}=={version} is missing (run `make lock`)")
        elif lock[name].version != version:
            findings.append(
                f"{label}: {name} is {lock[name].version}, pyproject.toml pins {version} (run `make lock`)"
            )
    return findings


def runtime_drift(runtime: dict[str, Locked], dev: dict[str, Locked], dev_only: set[str]) -> list[str]:
    """The runtime lock is the dev lock's runtime part: same versions, none of the dev tools."""
    findings = [
        f"runtime.txt: {name} is {pin.version}, dev.txt has {dev[name].version if name in dev else 'none'}"
        for name, pin in runtime.items()
        if not name.startswith("?") and (name not in dev or dev[name].version != pin.version)
    ]
    return findings + [f"runtime.txt: holds the dev tool {name}" for name in sorted(dev_only & set(runtime))]
