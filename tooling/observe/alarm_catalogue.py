"""The alarm catalogue, terraform/modules/monitoring/alarm_catalogue.json: the one definition of every alarm.

Terraform's monitoring module creates one CloudWatch alarm per family of the catalogue and member of the
family's collection (alarms.tf); `expand` gives the same list for the members a target provisioned, so the
local target evaluates exactly the alarms an apply creates on AWS: the same names, metrics and thresholds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from tooling.errors import UsageError

# Relative to the project root (Workspace.root).
CATALOGUE_PATH = Path("terraform") / "modules" / "monitoring" / "alarm_catalogue.json"

# What a family alarms on, one alarm per member; alarms.tf builds the same collections from its inputs.
Collection = Literal[
    "rules",  # the routing table's rules on the custom bus
    "forwarding_rules",  # the default bus's forwarding rule (key "forwarding")
    "functions",  # every deployed function
    "async_functions",  # the functions EventBridge and SNS invoke asynchronously: all but the batch consumer
    "dead_letter_queues",  # every dead-letter queue (the dead_letter_queue_urls output's keys)
    "batch_queue",  # the batch queue (key "batch-queue")
    "state_machines",  # the order workflow, while a rule targets it (key "order-workflow")
    "firehose_streams",  # the S3 event archive's stream (key "s3-archive")
    "batch_consumer",  # the batch queue's consumer function (key "batch-processor")
]
Comparison = Literal[
    "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"
]  # fmt: skip


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Expression(_Model):
    """Metric math: `formula` over the metrics (id -> metric name), each with the member's dimensions."""

    id: str
    label: str
    formula: str
    metrics: dict[str, str]


class Family(_Model):
    collection: Collection
    name: str
    description: str
    namespace: str
    metric: str
    statistic: str
    comparison: Comparison
    threshold: float | None = None
    # An [alarms] setting (tooling.config.Alarms.thresholds()), for thresholds the environment file sets.
    threshold_setting: str | None = None
    expression: Expression | None = None
    why: str | None = None

    @model_validator(mode="after")
    def _one_threshold(self) -> Family:
        if (self.threshold is None) == (self.threshold_setting is None):
            raise ValueError("needs exactly one of threshold and threshold_setting")
        return self


class Catalogue(_Model):
    about: list[str]
    families: dict[str, Family]


class AlarmDefinition(_Model):
    """One alarm as CloudWatch holds it: `target` is the member's AWS name (an ARN for state machines)."""

    name: str
    family: str
    key: str
    target: str
    description: str
    namespace: str
    metric: str
    statistic: str
    comparison: Comparison
    threshold: float
    expression: Expression | None = None


def load_catalogue(root: Path) -> dict[str, Family]:
    """The families of the project's catalogue (`root` is the project root)."""
    path = root / CATALOGUE_PATH
    hint = "fix it as its `about` text says (terraform/modules/monitoring/alarms.tf reads it too)"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(
            f"cannot read the alarm catalogue {path}: {exc.strerror}",
            hint="restore it from version control (git checkout -- terraform/modules/monitoring)",
        ) from None
    except ValueError as exc:
        raise UsageError(f"the alarm catalogue {path} is not JSON: {exc}", hint=hint) from None
    try:
        return Catalogue.model_validate(data).families
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise UsageError(
            f"the alarm catalogue {path} is not valid: {where}: {error['msg'].removeprefix('Value error, ')}",
            hint=hint,
        ) from None


def _number(value: float) -> str:
    # Terraform's tostring(): whole numbers without a fraction.
    return str(int(value)) if float(value).is_integer() else repr(value)


def expand(
    families: Mapping[str, Family],
    prefix: str,
    members: Mapping[str, Mapping[str, str]],
    settings: Mapping[str, float],
) -> list[AlarmDefinition]:
    """Every alarm of the catalogue for these members (collection -> key -> AWS name), as alarms.tf names
    and configures them (`settings`: the [alarms] thresholds); sorted by name, as Terraform keys them."""
    check_thresholds(families, settings)
    found: dict[str, AlarmDefinition] = {}
    for family_id, family in families.items():
        if family.threshold_setting is not None:
            threshold = float(settings[family.threshold_setting])
        else:
            threshold = float(family.threshold or 0)
        for key, target in members.get(family.collection, {}).items():
            name = family.name.replace("{key}", key)
            description = (
                family.description.replace("{key}", key)
                .replace("{name}", target)
                .replace("{threshold}", _number(threshold))
            )
            if name in found:
                raise UsageError(
                    f"alarm {prefix}-{name} is named twice (families {found[name].family} and {family_id})",
                    hint=f"give one of them another name in {CATALOGUE_PATH}, or rename the rule",
                )
            found[name] = AlarmDefinition(
                name=f"{prefix}-{name}",
                family=family_id,
                key=key,
                target=target,
                description=description,
                namespace=family.namespace,
                metric=family.metric,
                statistic=family.statistic,
                comparison=family.comparison,
                threshold=threshold,
                expression=family.expression,
            )
    return [found[name] for name in sorted(found)]


def check_thresholds(families: Mapping[str, Family], settings: Mapping[str, float]) -> None:
    """Every threshold_setting names one of `settings` (the [alarms] settings)."""
    for family_id, family in families.items():
        if family.threshold_setting is not None and family.threshold_setting not in settings:
            raise UsageError(
                f"alarm family {family_id} of {CATALOGUE_PATH}: threshold_setting "
                f"{family.threshold_setting!r} is no [alarms] setting (one of {', '.join(sorted(settings))})",
                hint="name one of them, or give the family a threshold number",
            )


def breaches(comparison: Comparison, value: float, threshold: float) -> bool:
    if comparison == "GreaterThanOrEqualToThreshold":
        return value >= threshold
    if comparison == "GreaterThanThreshold":
        return value > threshold
    if comparison == "LessThanThreshold":
        return value < threshold
    return value <= threshold
