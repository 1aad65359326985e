"""Load one HCL with whichever provider major is installed: drop the top-level arguments of resources and
data sources that the installed provider's schema does not know, in the e2e copy of terraform/ only.

terraform/ targets hashicorp/aws >= 5.100, < 7.0 and keeps the v6-only arguments that matter (the archive's
kms_key_identifier, say). With 5.100, the only provider this machine can install offline, those would
fail `terraform validate`; here they are removed from the copy and each removal is reported. The v6
schema check (tf-real-check) keeps covering them. The schema is `terraform providers schema -json`,
never a hand-kept list.

One more kind of difference no schema shows: a range that the v6 provider widened after AWS raised a limit.
Those few are listed in NARROWED_BEFORE_V6, each with its reason; with a 5.x provider the copy's value is
capped (`min(<value>, <5.x maximum>)`) and the cap reported like a removal.

The scan relies on `terraform fmt` layout (enforced by `make lint`): a block opens at column 0, its
top-level arguments sit at two spaces.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROVIDER = "registry.terraform.io/hashicorp/aws"
_BLOCK = re.compile(r'^(resource|data) "(aws_[a-z0-9_]+)" "([^"]+)" \{\s*$')
_ARGUMENT = re.compile(r"^  ([a-z_][a-z0-9_]*)\s*=")
META_ARGUMENTS = {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"}
_OPENERS = ("{", "[", "(")


@dataclass(frozen=True)
class Removal:
    file: str
    address: str  # resource.aws_x.name / data.aws_x.name
    argument: str

    def line(self) -> str:
        return f"{self.address}.{self.argument} ({self.file})"


def unknown_arguments(tf_dir: Path, schema: dict[str, Any]) -> list[Removal]:
    """Top-level arguments of every aws_* resource and data block that the schema lacks."""
    provider = schema.get("provider_schemas", {}).get(PROVIDER)
    if provider is None:
        raise ValueError(f"the provider schema has no {PROVIDER}")
    found: list[Removal] = []
    for path in sorted(tf_dir.rglob("*.tf")):
        if ".terraform" in path.parts:
            continue
        kind = block = None
        for line in path.read_text().splitlines():
            if match := _BLOCK.match(line):
                kind, type_, name = match.groups()
                schemas = provider["resource_schemas" if kind == "resource" else "data_source_schemas"]
                block = schemas.get(type_, {}).get("block")
                address = f"{'data.' if kind == 'data' else ''}{type_}.{name}"
                continue
            if line.startswith("}"):
                kind = block = None
                continue
            if block is None or (argument := _ARGUMENT.match(line)) is None:
                continue
            key = argument.group(1)
            if key not in META_ARGUMENTS and key not in block.get("attributes", {}):
                found.append(Removal(str(path.relative_to(tf_dir)), address, key))
    return found


def remove_arguments(tf_dir: Path, removals: list[Removal]) -> None:
    """Delete each argument (its whole value, over several lines when it opens a bracket) in place."""
    by_file: dict[str, list[Removal]] = {}
    for removal in removals:
        by_file.setdefault(removal.file, []).append(removal)
    for file, items in by_file.items():
        path = tf_dir / file
        lines = path.read_text().splitlines(keepends=True)
        kept: list[str] = []
        address = None
        skipping_until_close = False
        for line in lines:
            if skipping_until_close:
                skipping_until_close = not re.match(r"^  [\]\})]", line)
                continue
            if match := _BLOCK.match(line):
                kind, type_, name = match.groups()
                address = f"{'data.' if kind == 'data' else ''}{type_}.{name}"
            elif line.startswith("}"):
                address = None
            argument = _ARGUMENT.match(line)
            if (
                address
                and argument
                and any(r.address == address and r.argument == argument.group(1) for r in items)
            ):
                skipping_until_close = line.rstrip().endswith(_OPENERS)
                continue
            kept.append(line)
        path.write_text("".join(kept))


@dataclass(frozen=True)
class Narrowing:
    """A top-level argument whose v5 validation stops below what the HCL sets for AWS's current limit."""

    resource_type: str
    argument: str
    maximum: int
    reason: str


NARROWED_BEFORE_V6 = (
    Narrowing(
        "aws_sqs_queue",
        "max_message_size",
        262_144,
        "hashicorp/aws 5.x validates at most 262144 (SQS's limit before its 1 MiB raise)",
    ),
)


@dataclass(frozen=True)
class Cap:
    file: str
    address: str
    argument: str
    maximum: int
    reason: str

    def line(self) -> str:
        return f"{self.address}.{self.argument} capped at {self.maximum} ({self.file}): {self.reason}"


def selected_version(version_json: str) -> str:
    """hashicorp/aws's version from `terraform version -json` run where the providers are installed ("" if
    it cannot be read)."""
    try:
        selections = json.loads(version_json or "{}").get("provider_selections", {})
    except ValueError:
        return ""
    return str(selections.get(PROVIDER, ""))


def provider_major(version: str) -> int | None:
    """The major of a provider version such as 5.100.0; None when it cannot be read."""
    head = version.lstrip("v").split(".", 1)[0]
    return int(head) if head.isdigit() else None


def narrow_values(tf_dir: Path, provider_version: str) -> list[Cap]:
    """Cap, in the copy, the arguments of NARROWED_BEFORE_V6 when the installed provider is 5.x (or older)."""
    major = provider_major(provider_version)
    if major is None or major >= 6:
        return []
    caps: list[Cap] = []
    for path in sorted(tf_dir.rglob("*.tf")):
        if ".terraform" in path.parts:
            continue
        lines = path.read_text().splitlines(keepends=True)
        changed = False
        resource = address = None
        for index, line in enumerate(lines):
            if match := _BLOCK.match(line):
                kind, type_, name = match.groups()
                resource = type_ if kind == "resource" else None
                address = f"{type_}.{name}"
                continue
            if line.startswith("}"):
                resource = address = None
                continue
            argument = _ARGUMENT.match(line)
            if resource is None or argument is None:
                continue
            for narrowing in NARROWED_BEFORE_V6:
                if (resource, argument.group(1)) != (narrowing.resource_type, narrowing.argument):
                    continue
                name_part, _, value = line.partition("=")
                comment = ""
                if " #" in value:
                    value, _, comment = value.partition(" #")
                    comment = f" #{comment.rstrip()}"
                lines[index] = f"{name_part}= min({value.strip()}, {narrowing.maximum}){comment}\n"
                changed = True
                caps.append(
                    Cap(str(path.relative_to(tf_dir)), f"resource.{address}", narrowing.argument,
                        narrowing.maximum, narrowing.reason)
                )  # fmt: skip
        if changed:
            path.write_text("".join(lines))
    return caps
