"""`tooling drift`: what changed outside Terraform since the last apply, per resource and attribute.

On AWS, `terraform plan -refresh-only -detailed-exitcode` through the driver reads every resource of the
state back from the account and changes nothing, not even the state (the plan is saved to a file of its own,
`show -json` read, the file removed). Its `resource_drift` entries hold each drifted resource as the state
recorded it (`before`) and as it is now (`after`); `drift_from_plan` turns them into the report: one row
per attribute that differs, the resources that are gone, sensitive values masked. The local target builds
the same report from what `tooling apply` recorded and what its store holds now (tooling/local/drift.py).

What is not drift: an attribute that goes from null to an empty list, map or string (providers fill those
in on read: hashicorp/aws 5.x reads a bus's `tags` back as {} after creating it with null), and a change
of an output alone. Values are shown as they are, except that a value terraform marks sensitive, or held
under a name that says it is a secret (`token`, `password`, `webhook_url`, ...), is `(sensitive value)`,
and strings shaped like credentials or webhook URLs are redacted (tooling/deploy/plan_text.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tooling.deploy.plan_text import SECRET_LOCATOR, SECRET_NAME, redact, secret_values
from tooling.errors import TerraformError
from tooling.outputs import TargetKind
from tooling.workspace import Workspace

SENSITIVE = "(sensitive value)"
DRIFT_PLAN = "drift.tfplan"
# Exit codes of `tooling drift`: 0 nothing drifted, 2 something did (the report says what). A usage error
# is 2 as well, but prints no report: only `error: ...` on stderr (docs/commands.md, "Drift").
NO_DRIFT, DRIFTED = 0, 2
Action = Literal["update", "delete", "create"]
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_EMPTY: tuple[object, ...] = (None, {}, [], "")


@dataclass(frozen=True)
class AttributeDrift:
    attribute: str  # a path into the resource: `state`, `tags.Name`, `policy.Statement[0].Condition`
    state: Any  # what the last apply recorded
    real: Any  # what the resource holds now

    def as_json(self) -> dict[str, Any]:
        return {"attribute": self.attribute, "state": self.state, "real": self.real}


@dataclass(frozen=True)
class ResourceDrift:
    address: str
    # update: attributes changed; delete: the resource is gone; create: it exists but no apply made it
    # (the local target only: terraform does not look for resources its state does not hold).
    action: Action
    changes: tuple[AttributeDrift, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "action": self.action,
            "changes": [change.as_json() for change in self.changes],
        }


@dataclass(frozen=True)
class DriftReport:
    environment: str
    target: TargetKind
    resources: tuple[ResourceDrift, ...]

    @property
    def drifted(self) -> bool:
        return bool(self.resources)

    @property
    def exit_code(self) -> int:
        return DRIFTED if self.drifted else NO_DRIFT

    @property
    def attributes(self) -> int:
        return sum(len(r.changes) for r in self.resources)

    def summary(self) -> str:
        """One line, always starting `drift: `: `drift: none in dev (aws)`, or what drifted."""
        where = f"in {self.environment} ({self.target})"
        if not self.drifted:
            return f"drift: none {where}"
        counts = {action: sum(r.action == action for r in self.resources) for action in ("delete", "create")}
        parts = [f"{self.attributes} attribute{'s' * (self.attributes != 1)} changed"]
        parts += [f"{counts['delete']} deleted"] if counts["delete"] else []
        parts += [f"{counts['create']} not applied"] if counts["create"] else []
        count = len(self.resources)
        return f"drift: {count} resource{'s' * (count != 1)} {where}: {', '.join(parts)}"

    def as_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "target": self.target,
            "drift": self.drifted,
            "exit_code": self.exit_code,
            "summary": self.summary(),
            "resources": [r.as_json() for r in self.resources],
        }


# -- comparing two values of a resource ---------------------------------------------------------------------


def attribute_changes(
    state: Any, real: Any, state_mask: Any = None, real_mask: Any = None, secrets: Iterable[str] = ()
) -> tuple[AttributeDrift, ...]:
    """Every attribute path where `state` and `real` (a resource's attributes: nested dicts and lists, as
    `terraform show -json` gives them) differ, with terraform's sensitivity masks of each side."""
    found: list[AttributeDrift] = []
    _compare("", state, real, state_mask, real_mask, False, set(secrets), found)
    return tuple(found)


def _compare(
    path: str, state: Any, real: Any, state_mask: Any, real_mask: Any, secret: bool, secrets: set[str],
    found: list[AttributeDrift],
) -> None:  # fmt: skip
    if _same(state, real):
        return
    if secret or state_mask is True or real_mask is True:
        found.append(AttributeDrift(path, _masked(state), _masked(real)))
        return
    if isinstance(state, dict) and isinstance(real, dict):
        for key in sorted(set(state) | set(real)):
            _compare(
                _join(path, key), state.get(key), real.get(key), _part(state_mask, key), _part(real_mask, key),
                bool(SECRET_NAME.search(key)) and not SECRET_LOCATOR.search(key), secrets, found,
            )  # fmt: skip
        return
    if isinstance(state, list) and isinstance(real, list) and len(state) == len(real):
        for index, (before, after) in enumerate(zip(state, real, strict=True)):
            _compare(f"{path}[{index}]", before, after, _part(state_mask, index), _part(real_mask, index),
                     False, secrets, found)  # fmt: skip
        return
    decoded = _json_container(state), _json_container(real)
    if decoded[0] is not None and decoded[1] is not None:  # a policy, a pattern: JSON in a string
        _compare(path, decoded[0], decoded[1], None, None, False, secrets, found)
        return
    found.append(AttributeDrift(path, _shown(state, secrets), _shown(real, secrets)))


def _same(state: Any, real: Any) -> bool:
    if state == real:
        return True
    # null and an empty collection are the same to Terraform's plans (and providers read one as the other)
    return any(state is e or state == e for e in _EMPTY) and any(real is e or real == e for e in _EMPTY)


def _join(path: str, key: str) -> str:
    part = key if _NAME.match(key) else json.dumps(key)
    if not path:
        return part
    return f"{path}.{part}" if _NAME.match(key) else f"{path}[{part}]"


def _part(mask: Any, key: str | int) -> Any:
    if isinstance(mask, dict) and isinstance(key, str):
        return mask.get(key)
    if isinstance(mask, list) and isinstance(key, int):
        return mask[key] if key < len(mask) else None
    return mask if mask is True else None


def _json_container(value: Any) -> Any:
    if not isinstance(value, str) or not value.lstrip().startswith(("{", "[")):
        return None
    try:
        decoded = json.loads(value)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict | list) else None


def _masked(value: Any) -> Any:
    return None if value is None else SENSITIVE


def _shown(value: Any, secrets: set[str]) -> Any:
    """The value with every string redacted of secrets and of what is shaped like a credential."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {key: _shown(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_shown(item, secrets) for item in value]
    return value


# -- terraform's refresh-only plan --------------------------------------------------------------------------


def drift_from_plan(plan: dict[str, Any], environment: str) -> DriftReport:
    """The report of a refresh-only plan's `terraform show -json` (its `resource_drift` entries)."""
    if "format_version" not in plan:
        raise TerraformError("terraform show -json printed no plan (no format_version)")
    entries = plan.get("resource_drift") or []
    secrets = secret_values(plan) | secret_values({"resource_changes": entries})
    resources: list[ResourceDrift] = []
    for entry in entries:
        if entry.get("mode", "managed") != "managed":
            continue
        change = entry.get("change") or {}
        address = str(entry.get("address", "?"))
        if change.get("after") is None and "delete" in (change.get("actions") or []):
            resources.append(ResourceDrift(address, "delete"))
            continue
        changes = attribute_changes(
            change.get("before"), change.get("after"),
            change.get("before_sensitive"), change.get("after_sensitive"), secrets,
        )  # fmt: skip
        if changes:
            resources.append(ResourceDrift(address, "update", changes))
    return DriftReport(environment, "aws", tuple(resources))


def drift_aws(workspace: Workspace, config_path: Path | None = None) -> DriftReport:
    """Validate, package and write the tfvars as `tooling plan` does, init, then a refresh-only plan of the
    environment's state: the report. The saved plan (it holds the state's values) is removed at once."""
    from tooling.deploy import pipeline  # the pipeline imports the package builder: only when asked

    driver = pipeline.preflight_aws(workspace)
    prepared = pipeline.prepare(workspace, config_path)
    driver.init()
    plan_file = workspace.state_dir / DRIFT_PLAN
    try:
        driver.plan_refresh_only(prepared.tfvars, plan_file)
        document = driver.show_json(plan_file)
    finally:
        plan_file.unlink(missing_ok=True)
    return drift_from_plan(document, workspace.env)
