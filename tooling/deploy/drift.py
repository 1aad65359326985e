"""`tooling drift`: what changed outside Terraform since the last apply, per resource and attribute.

On AWS, one `terraform plan -detailed-exitcode` through the driver reads every resource of the state back
from the account; the plan is saved to a file of its own (never the reviewed plan.tfplan), its `terraform
show -json` read, and the file removed: nothing is applied, the state is not written. Its `resource_drift`
entries hold each resource as the state recorded it (`before`) and as it is now (`after`): the same entries
`terraform plan -refresh-only` lists. Drift is what of that the plan would undo: an attribute that differs
between the state and the account AND that the plan changes back (its `resource_changes`); a resource gone
that the plan creates again.

Why not the refresh-only plan alone: it also lists what Terraform itself changed through another resource
after creating one (a queue's `policy` set by aws_sqs_queue_policy, a role's `inline_policy` by
aws_iam_role_policy, a bucket's versioning by aws_s3_bucket_versioning: the owner's state keeps the value
read at creation until an apply refreshes it), and what the provider reads back differently without anyone
changing it (null tags read as {}). Right after a clean apply of this stack that was 19 resources and 32
attributes, none of them changed by anyone (the e2e run on moto); the plan keeps all of them as they are, so
none is drift here. A document without `resource_changes` (a refresh-only plan) is reported unfiltered.

Changes the plan makes that are not drift (an environment file edited since the last deploy) are listed as
`pending`, not reported. Values are shown as they are, except that a value terraform marks sensitive, or held
under a name that says it is a secret (`token`, `password`, `webhook_url`, ...), is `(sensitive value)`, and
strings shaped like credentials or webhook URLs are redacted (tooling/deploy/plan_text.py). The local target
builds the same report from what `tooling apply` recorded and what its store holds now
(tooling/local/drift.py).
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
    # Resources the plan changes for another reason than drift (the configuration is ahead of the account).
    pending: tuple[str, ...] = ()

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
            "pending": list(self.pending),
        }


# -- comparing two values of a resource ---------------------------------------------------------------------


class _Unset:
    """No plan to hold the comparison to: every difference is reported (the local target)."""


UNSET = _Unset()


def attribute_changes(
    state: Any, real: Any, state_mask: Any = None, real_mask: Any = None, secrets: Iterable[str] = (),
    planned: Any = UNSET, planned_unknown: Any = None,
) -> tuple[AttributeDrift, ...]:  # fmt: skip
    """Every attribute path where `state` and `real` (a resource's attributes: nested dicts and lists, as
    `terraform show -json` gives them) differ, with terraform's sensitivity masks of each side. With
    `planned` (the plan's `after` of the resource, `planned_unknown` its `after_unknown`), only the paths the
    plan changes back: where the plan keeps the real value, Terraform does not manage it (or accepts it)."""
    found: list[AttributeDrift] = []
    node = _Node(state, real, state_mask, real_mask, planned, planned_unknown)
    _compare("", node, False, set(secrets), found)
    return tuple(found)


@dataclass(frozen=True)
class _Node:
    """One path of the resource: its value in the state, in the account, in the plan, and their masks."""

    state: Any
    real: Any
    state_mask: Any
    real_mask: Any
    planned: Any
    unknown: Any

    def child(self, key: str | int) -> _Node:
        return _Node(
            _item(self.state, key), _item(self.real, key), _part(self.state_mask, key),
            _part(self.real_mask, key), _planned_item(self.planned, key), _part(self.unknown, key),
        )  # fmt: skip

    def kept_by_plan(self) -> bool:
        """The plan leaves this path as it really is (known, no unknown part below)."""
        if isinstance(self.planned, _Unset) or _any_true(self.unknown):
            return False
        return _same(self.real, self.planned)


def _compare(path: str, node: _Node, secret: bool, secrets: set[str], found: list[AttributeDrift]) -> None:
    if _same(node.state, node.real) or node.kept_by_plan():
        return
    if secret or node.state_mask is True or node.real_mask is True:
        found.append(AttributeDrift(path, _masked(node.state), _masked(node.real)))
        return
    state, real = node.state, node.real
    if isinstance(state, dict) and isinstance(real, dict):
        for key in sorted(set(state) | set(real)):
            named_secret = bool(SECRET_NAME.search(key)) and not SECRET_LOCATOR.search(key)
            _compare(_join(path, key), node.child(key), named_secret, secrets, found)
        return
    if isinstance(state, list) and isinstance(real, list) and len(state) == len(real):
        for index in range(len(state)):
            _compare(f"{path}[{index}]", node.child(index), False, secrets, found)
        return
    decoded = _json_container(state), _json_container(real)
    if decoded[0] is not None and decoded[1] is not None:  # a policy, a pattern: JSON in a string
        planned = node.planned if isinstance(node.planned, _Unset) else _json_container(node.planned)
        inner = _Node(decoded[0], decoded[1], None, None, planned, None)
        _compare(path, inner, False, secrets, found)
        return
    found.append(AttributeDrift(path, _shown(state, secrets), _shown(real, secrets)))


def _item(value: Any, key: str | int) -> Any:
    if isinstance(value, dict) and isinstance(key, str):
        return value.get(key)
    if isinstance(value, list) and isinstance(key, int):
        return value[key] if key < len(value) else None
    return None


def _planned_item(planned: Any, key: str | int) -> Any:
    return planned if isinstance(planned, _Unset) else _item(planned, key)


def _any_true(mask: Any) -> bool:
    if mask is True:
        return True
    if isinstance(mask, dict):
        return any(_any_true(v) for v in mask.values())
    if isinstance(mask, list):
        return any(_any_true(v) for v in mask)
    return False


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


# -- terraform's plan ---------------------------------------------------------------------------------------


def drift_from_plan(plan: dict[str, Any], environment: str) -> DriftReport:
    """The report of a plan's `terraform show -json`: its `resource_drift` entries that its
    `resource_changes` undo (all of them for a refresh-only plan, which has no `resource_changes`)."""
    if "format_version" not in plan:
        raise TerraformError("terraform show -json printed no plan (no format_version)")
    entries = plan.get("resource_drift") or []
    planned_changes = plan.get("resource_changes")
    changes_by_address = {str(c.get("address")): c.get("change") or {} for c in planned_changes or []}
    secrets = secret_values(plan) | secret_values({"resource_changes": entries})
    resources: list[ResourceDrift] = []
    for entry in entries:
        if entry.get("mode", "managed") != "managed":
            continue
        change = entry.get("change") or {}
        address = str(entry.get("address", "?"))
        plan_change = changes_by_address.get(address, {})
        actions = set(plan_change.get("actions") or ["no-op"])
        if change.get("after") is None and "delete" in (change.get("actions") or []):
            if planned_changes is None or "create" in actions:  # gone, and the plan makes it again
                resources.append(ResourceDrift(address, "delete"))
            continue
        if planned_changes is not None and not actions & {"update", "create"}:
            continue  # the plan keeps the resource as it is
        found = attribute_changes(
            change.get("before"), change.get("after"),
            change.get("before_sensitive"), change.get("after_sensitive"), secrets,
            *(() if planned_changes is None else (plan_change.get("after"), plan_change.get("after_unknown"))),
        )  # fmt: skip
        if found:
            resources.append(ResourceDrift(address, "update", found))
    drifted = {r.address for r in resources}
    pending = tuple(
        address
        for address, body in changes_by_address.items()
        if address not in drifted and set(body.get("actions") or ["no-op"]) - {"no-op", "read"}
    )
    return DriftReport(environment, "aws", tuple(resources), pending)


def drift_aws(workspace: Workspace, config_path: Path | None = None) -> DriftReport:
    """Validate, package and write the tfvars as `tooling plan` does, init, then a plan of the environment
    saved to drift.tfplan: the report. The plan (it holds the state's values) is removed at once."""
    from tooling.deploy import pipeline  # the pipeline imports the package builder: only when asked

    driver = pipeline.preflight_aws(workspace)
    prepared = pipeline.prepare(workspace, config_path)
    driver.init()
    plan_file = workspace.state_dir / DRIFT_PLAN
    try:
        driver.plan_to(prepared.tfvars, plan_file)
        document = driver.show_json(plan_file)
    finally:
        plan_file.unlink(missing_ok=True)
    return drift_from_plan(document, workspace.env)
