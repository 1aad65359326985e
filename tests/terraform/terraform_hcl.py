"""A parsed view of terraform/ for the static tests: each module's blocks with HCL string quoting removed.

python-hcl2 keeps literal strings quoted ('"abc"') and expressions wrapped ('${var.x}'); `unquote` turns the
first into plain text so tests compare values, and expressions stay recognisable by their '${'.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import hcl2

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
MODULE_NAMES = (
    "event_bus",
    "messaging",
    "processors",
    "routing",
    "monitoring",
    "schema_registry",
    "workflows",
    "forwarding",
    "s3_archive",
    "event_store",
    "eventbridge_role",
    "region_stack",
    "global_endpoint",
    "kms",
    "tls_only_policy",
)


def unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [unquote(item) for item in value]
    return value


def _named(doc: dict[str, Any], key: str) -> Iterator[tuple[str, Any]]:
    for item in doc.get(key, []) or []:
        for name, body in item.items():
            if not name.startswith("__"):
                yield unquote(name), body


@dataclass(frozen=True)
class Block:
    """One resource or data block: `aws_sqs_queue.dlq` in modules/processors/dlq.tf."""

    module: str
    file: str
    type: str
    name: str
    body: dict[str, Any]

    @property
    def address(self) -> str:
        return f"{self.module}: {self.type}.{self.name}"

    def attr(self, key: str) -> Any:
        return unquote(self.body.get(key))


@dataclass(frozen=True)
class Statement:
    """A statement of an aws_iam_policy_document, static or the content of a dynamic block."""

    document: Block
    body: dict[str, Any]
    dynamic: bool

    @property
    def sid(self) -> str:
        return str(unquote(self.body.get("sid", "")))

    @property
    def effect(self) -> str:
        return str(unquote(self.body.get("effect", "Allow")))

    @property
    def actions(self) -> list[str]:
        return list(unquote(self.body.get("actions", [])))

    @property
    def resources(self) -> list[str]:
        return list(unquote(self.body.get("resources", [])))

    @property
    def principals(self) -> list[dict[str, Any]]:
        return [
            {"type": unquote(p["type"]), "identifiers": unquote(p["identifiers"])}
            for p in self.body.get("principals", [])
        ]

    @property
    def conditions(self) -> list[dict[str, Any]]:
        return [
            {"test": unquote(c["test"]), "variable": unquote(c["variable"]), "values": unquote(c["values"])}
            for c in self.body.get("condition", [])
        ]

    @property
    def comments(self) -> list[str]:
        notes = self.body.get("__comments__", []) + self.body.get("__inline_comments__", [])
        return [note["value"] for note in notes]


class Module:
    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path
        self.text = {f.name: f.read_text() for f in sorted(path.glob("*.tf"))}
        self.docs = {name: hcl2.loads(text) for name, text in self.text.items()}

    def _all(self, key: str) -> Iterator[tuple[str, str, Any]]:
        for file, doc in self.docs.items():
            for name, body in _named(doc, key):
                yield file, name, body

    @property
    def variables(self) -> dict[str, dict[str, Any]]:
        return {name: body for _, name, body in self._all("variable")}

    @property
    def outputs(self) -> dict[str, dict[str, Any]]:
        return {name: body for _, name, body in self._all("output")}

    @property
    def module_calls(self) -> dict[str, dict[str, Any]]:
        return {name: body for _, name, body in self._all("module")}

    @property
    def locals(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for doc in self.docs.values():
            for block in doc.get("locals", []) or []:
                merged.update({k: v for k, v in block.items() if not k.startswith("__")})
        return merged

    def _blocks(self, key: str, rtype: str | None) -> list[Block]:
        found = []
        for file, doc in self.docs.items():
            for type_, named in _named(doc, key):
                if rtype is not None and type_ != rtype:
                    continue
                for name, body in named.items():
                    if not name.startswith("__"):
                        found.append(Block(self.name, file, type_, unquote(name), body))
        return found

    def resources(self, rtype: str | None = None) -> list[Block]:
        return self._blocks("resource", rtype)

    def data(self, dtype: str | None = None) -> list[Block]:
        return self._blocks("data", dtype)

    def resource(self, rtype: str, name: str) -> Block:
        (block,) = [b for b in self.resources(rtype) if b.name == name]
        return block

    def policy_document(self, name: str) -> Block:
        (block,) = [b for b in self.data("aws_iam_policy_document") if b.name == name]
        return block


def statements(document: Block) -> list[Statement]:
    found = [Statement(document, body, dynamic=False) for body in document.body.get("statement", [])]
    for name, dynamic in _named(document.body, "dynamic"):
        if name == "statement":
            found += [Statement(document, body, dynamic=True) for body in dynamic.get("content", [])]
    return found


@cache
def modules() -> dict[str, Module]:
    """'root' and each child module, by folder name."""
    found = {"root": Module("root", TERRAFORM)}
    for name in MODULE_NAMES:
        found[name] = Module(name, TERRAFORM / "modules" / name)
    return found


@dataclass(frozen=True)
class ResourcePolicy:
    """A queue, topic or bucket policy resource, the document it renders, and the tls_only_policy module call
    its TLS-only deny comes from (as the whole policy, or through the document's override_policy_documents)."""

    block: Block
    document: Block | None
    tls_only: dict[str, Any] | None


def _tls_only_call(module: Module, expression: str) -> dict[str, Any] | None:
    match = re.search(r"module\.(\w+)(\[[^\]]*\])?\.json", expression)
    call = module.module_calls.get(match.group(1)) if match else None
    if call is None or not unquote(call["source"]).endswith("/tls_only_policy"):
        return None
    return call


def resource_policies(module: Module, rtype: str, attr: str = "policy") -> list[ResourcePolicy]:
    """Each `rtype` resource's policy: a data.aws_iam_policy_document, or a tls_only_policy module's json."""
    found = []
    for block in module.resources(rtype):
        expression = str(block.body.get(attr, ""))
        match = re.search(r"data\.aws_iam_policy_document\.(\w+)", expression)
        document = module.policy_document(match.group(1)) if match else None
        if document is not None:
            expression = str(document.body.get("override_policy_documents", ""))
        found.append(ResourcePolicy(block, document, _tls_only_call(module, expression)))
    return found


def referenced_documents(module: Module, rtype: str, attr: str = "policy") -> list[Block]:
    """The policy documents that the `policy` argument of each `rtype` resource points at (a policy that is
    only a tls_only_policy module's json has none)."""
    docs = []
    for policy in resource_policies(module, rtype, attr):
        assert policy.document or policy.tls_only, (
            f"{policy.block.address}: {attr} must come from a data.aws_iam_policy_document or tls_only_policy"
        )
        if policy.document is not None:
            docs.append(policy.document)
    return docs


def map_literal_keys(expression: str) -> set[str]:
    """Keys of the first `{k = ..., k2 = ...}` object literal in an expression (top level only)."""
    start = expression.index("{", expression.index("(") if "(" in expression else 0)
    depth, keys, token = 0, set(), ""
    for char in expression[start:]:
        if char in "{[(":
            depth += 1
            if depth == 1:
                token = ""
                continue
        elif char in "}])":
            depth -= 1
            if depth == 0:
                break
        if depth == 1:
            if char == "=":
                keys.add(token.strip().strip('"'))
                token = ""
            elif char == ",":
                token = ""
            else:
                token += char
    return keys
