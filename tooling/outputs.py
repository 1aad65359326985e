"""The deployment outputs contract: one typed model produced by Terraform and by the local target.

Terraform's `outputs.tf` defines exactly OUTPUT_NAMES (a test keeps them in step). After an apply the
outputs are cached in `.tooling/<env>/outputs.json` together with the target that produced them, so later
commands know where to publish and what to monitor.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from tooling.errors import OutputsMissingError, UsageError
from tooling.workspace import Workspace, write_file

TargetKind = Literal["aws", "local"]

OUTPUT_NAMES = (
    "region",
    "event_bus_name",
    "event_bus_arn",
    "archive_name",
    "rule_arns",
    "batch_queue_url",
    "batch_queue_arn",
    "dead_letter_queue_urls",
    "notifications_topic_arn",
    "function_names",
    "log_group_names",
    "forwarding_rule_arn",
    "s3_archive_bucket_name",
    "s3_archive_stream_name",
    "event_store_table_name",
    "publisher_policy_arn",
)


class DeploymentOutputs(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    target: TargetKind = "aws"
    environment: str = ""
    region: str
    event_bus_name: str
    event_bus_arn: str
    archive_name: str
    rule_arns: dict[str, str]
    batch_queue_url: str
    batch_queue_arn: str
    dead_letter_queue_urls: dict[str, str]
    notifications_topic_arn: str
    function_names: dict[str, str]
    log_group_names: dict[str, str]
    # The rule on the account's default bus forwarding AWS service events; "" when [forwarding] is off.
    forwarding_rule_arn: str = ""
    # "" when [s3_archive] is disabled.
    s3_archive_bucket_name: str = ""
    s3_archive_stream_name: str = ""
    # "" when [event_store] is disabled (as Terraform outputs it), or absent from an older deployment.
    event_store_table_name: str = ""
    # The managed policy producers attach (events:PutEvents on the bus); "" on the local target, which has
    # no IAM, or from a deployment older than it.
    publisher_policy_arn: str = ""

    def contract(self) -> dict[str, Any]:
        """The outputs by their contract names only."""
        return {name: getattr(self, name) for name in OUTPUT_NAMES}

    def to_cache(self) -> dict[str, Any]:
        return {"target": self.target, "environment": self.environment, "outputs": self.contract()}


def from_terraform(
    raw: dict[str, Any], target: TargetKind = "aws", environment: str = ""
) -> DeploymentOutputs:
    """Build the model from `terraform output -json` ({name: {"value": ..., ...}}) or plain {name: value}."""
    values = {k: (v["value"] if isinstance(v, dict) and "value" in v else v) for k, v in raw.items()}
    # Outputs with a model default (the parts added later, "" when off) may be absent: an outputs document
    # from before them describes a deployment without those parts.
    missing = [
        name
        for name in OUTPUT_NAMES
        if name not in values and DeploymentOutputs.model_fields[name].is_required()
    ]
    if missing:
        raise OutputsMissingError(
            f"outputs are missing {', '.join(missing)}",
            hint="apply the current terraform/ (make apply) so every output exists",
        )
    try:
        return DeploymentOutputs.model_validate({**values, "target": target, "environment": environment})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UsageError(f"outputs: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None


def parse_outputs_document(data: Any, environment: str = "") -> DeploymentOutputs:
    """Accept both our cache format and raw `terraform output -json` content."""
    if not isinstance(data, dict):
        raise UsageError("outputs file must hold a JSON object (the content of `terraform output -json`)")
    if "outputs" in data and "target" in data:
        return from_terraform(data["outputs"], target=data["target"], environment=data.get("environment", ""))
    return from_terraform(data, environment=environment)


def parse_target(target: str) -> TargetKind:
    """A --target value."""
    if target == "aws":
        return "aws"
    if target == "local":
        return "local"
    raise UsageError(f"unknown target {target!r}", hint="use --target aws or --target local")


def with_target(outputs: DeploymentOutputs, target: str | None) -> DeploymentOutputs:
    """The outputs with --target applied (None keeps the target recorded by the last apply)."""
    if target is None:
        return outputs
    return outputs.model_copy(update={"target": parse_target(target)})


def save_outputs(workspace: Workspace, outputs: DeploymentOutputs) -> Path:
    workspace.ensure()
    path = workspace.outputs_path
    tmp = path.with_suffix(".tmp")
    write_file(tmp, json.dumps(outputs.to_cache(), indent=2) + "\n")  # keeps routing-table order
    tmp.replace(path)
    return path


def load_outputs(workspace: Workspace, outputs_file: Path | None = None) -> DeploymentOutputs:
    path = outputs_file or workspace.outputs_path
    if not path.is_file():
        if outputs_file is not None:
            raise UsageError(
                f"outputs file {path} does not exist", hint="pass the file `terraform output -json` wrote"
            )
        raise OutputsMissingError(
            f"nothing applied yet for environment {workspace.env!r} (no {path.relative_to(workspace.root)})",
            hint="run `make apply` (AWS) or `tooling apply --target local`, or pass --outputs FILE",
        )
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    try:
        return parse_outputs_document(data, environment=workspace.env)
    except OutputsMissingError as exc:
        if outputs_file is None:
            raise
        # A file the user named is input: what it lacks is a usage error (exit 2), not a missing deployment.
        raise UsageError(
            f"{path}: {exc.message}", hint="pass the file `terraform output -json` wrote"
        ) from None


def clear_outputs(workspace: Workspace) -> None:
    workspace.outputs_path.unlink(missing_ok=True)
