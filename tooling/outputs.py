"""The deployment outputs contract: one typed model produced by Terraform and by the local target.

Terraform's `outputs.tf` defines exactly OUTPUT_NAMES (a test keeps them in step). After an apply the
outputs are cached in `.tooling/<env>/outputs.json` together with the target that produced them, so later
commands know where to publish and what to monitor.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from tooling import strict_json
from tooling.errors import OutputsMissingError, ToolingError, UsageError
from tooling.workspace import ENV_NAME, Workspace, damaged, write_file

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
    "failover",
)


class SecondaryOutputs(BaseModel):
    """The secondary region's stack behind the global endpoint: the same bus name, its own ARNs and URLs.
    Empty maps and "" where `secondary_consumers = false` leaves a part out."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    region: str
    event_bus_name: str
    event_bus_arn: str
    archive_name: str
    rule_arns: dict[str, str] = {}
    batch_queue_url: str = ""
    dead_letter_queue_urls: dict[str, str] = {}
    function_names: dict[str, str] = {}
    log_group_names: dict[str, str] = {}
    event_store_table_name: str = ""


class FailoverOutputs(BaseModel):
    """`[failover]`'s global endpoint: publishers send with `EndpointId = endpoint_id`; the health alarm (in
    the primary region) drives the Route 53 health check that decides which region receives."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    endpoint_name: str
    endpoint_id: str
    endpoint_arn: str
    endpoint_url: str
    primary_region: str
    secondary_region: str
    health_check_id: str
    health_alarm_name: str
    replication: bool
    secondary: SecondaryOutputs


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
    # None when [failover] is absent (Terraform outputs null), or from a deployment older than it.
    failover: FailoverOutputs | None = None

    def contract(self) -> dict[str, Any]:
        """The outputs by their contract names only, as JSON values."""
        dumped = self.model_dump(mode="json")
        return {name: dumped[name] for name in OUTPUT_NAMES}

    def to_cache(self) -> dict[str, Any]:
        return {"target": self.target, "environment": self.environment, "outputs": self.contract()}


# Outputs whose values become paths on the local target (the bucket is the folder `.tooling/<env>/s3/<bucket>/`)
# or name things by AWS's naming rules: a value outside its rule is refused when the outputs are loaded, so
# a `../` or an absolute path never reaches the filesystem. S3 general purpose bucket naming rules:
# 3-63 characters of a-z 0-9 . -, a letter or digit at each end, no "..", not an IP address, none of the
# reserved prefixes and suffixes (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
# Firehose DeliveryStreamName and DynamoDB TableName: the patterns of their APIs.
_NAME_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "s3_archive_stream_name": (re.compile(r"^[a-zA-Z0-9_.-]{1,64}$"), "a Firehose stream name"),
    "event_store_table_name": (re.compile(r"^[a-zA-Z0-9_.-]{3,255}$"), "a DynamoDB table name"),
    "environment": (ENV_NAME, "an environment name"),
}


def bucket_name_problem(name: str) -> str | None:
    """Why `name` is not a valid S3 bucket name, or None when it is."""
    if not _BUCKET_NAME.match(name):
        return "3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit"
    if ".." in name:
        return "no two adjacent periods"
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        return "not formatted as an IP address"
    if name.startswith(_BUCKET_RESERVED_PREFIXES) or name.endswith(_BUCKET_RESERVED_SUFFIXES):
        return "a reserved prefix or suffix"
    return None


def check_names(outputs: DeploymentOutputs, origin: str) -> None:
    """Refuse (exit 2) a bucket, stream, table or environment name outside its naming rule."""
    bucket = outputs.s3_archive_bucket_name
    problem = bucket_name_problem(bucket) if bucket else None
    if problem is not None:
        _refuse_name(origin, "s3_archive_bucket_name", bucket, f"not an S3 bucket name: {problem}")
    for key, (rule, what) in _NAME_RULES.items():
        value = getattr(outputs, key)
        if value and not rule.match(value):
            _refuse_name(origin, key, value, f"not {what} ({rule.pattern})")


def _refuse_name(origin: str, key: str, value: str, problem: str) -> None:
    raise UsageError(
        f"{origin}: output {key} {value[:80]!r} is {problem}",
        hint="it must be what the apply wrote: apply again (tooling apply --target local, or make apply), "
        "or correct the file",
    )


def from_terraform(
    raw: dict[str, Any], target: TargetKind = "aws", environment: str = "", origin: str = "terraform output"
) -> DeploymentOutputs:
    """Build the model from `terraform output -json` ({name: {"value": ..., ...}}) or plain {name: value};
    `origin` (the file or command the values came from) names them in errors."""
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
        outputs = DeploymentOutputs.model_validate({**values, "target": target, "environment": environment})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UsageError(f"outputs: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    check_names(outputs, origin)
    return outputs


def parse_outputs_document(data: Any, environment: str = "", origin: str = "outputs") -> DeploymentOutputs:
    """Accept both our cache format and raw `terraform output -json` content."""
    if not isinstance(data, dict):
        raise UsageError("outputs file must hold a JSON object (the content of `terraform output -json`)")
    if "outputs" in data and "target" in data:
        _check_cache_shape(data)
        return from_terraform(
            data["outputs"], target=data["target"], environment=data.get("environment", ""), origin=origin
        )
    return from_terraform(data, environment=environment, origin=origin)


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
    # A name of its own per process: two applies writing one temporary file could interleave into torn JSON.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write_file(tmp, json.dumps(outputs.to_cache(), indent=2) + "\n")  # keeps routing-table order
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_outputs(workspace: Workspace, outputs_file: Path | None = None) -> DeploymentOutputs:
    if outputs_file is not None:
        return _load_named(outputs_file, workspace)
    path = workspace.outputs_path
    if not path.is_file():
        if workspace.state_dir.exists():
            workspace.ensure()  # a file where .tooling/<env> belongs: the one-line error that names it
        if path.is_dir():
            raise damaged(
                path,
                "a folder, not a file",
                hint=f"remove it (rm -r {path.relative_to(workspace.root)}) and apply again",
                what="the deployment outputs",
            )
        if path.exists() or path.is_symlink():
            raise _cache_damaged(workspace, "not a regular file")
        raise OutputsMissingError(
            f"nothing applied yet for environment {workspace.env!r} (no {path.relative_to(workspace.root)})",
            hint="run `make apply` (AWS) or `tooling apply --target local`, or pass --outputs FILE",
        )
    origin = str(path.relative_to(workspace.root))
    try:
        return parse_outputs_document(_read_json(path), environment=workspace.env, origin=origin)
    except ToolingError as exc:
        if exc.message.startswith(f"{origin}: ") and exc.hint:
            raise  # names the file and the fix already (a value outside its naming rule)
        # Outputs added later have defaults, so even a cache from an older deployment has every required one.
        raise _cache_damaged(workspace, exc.message) from None


def _load_named(path: Path, workspace: Workspace) -> DeploymentOutputs:
    """A file the user named is input: what is wrong with it is a usage error (exit 2)."""
    if not path.is_file():
        raise UsageError(
            f"outputs file {path} does not exist", hint="pass the file `terraform output -json` wrote"
        )
    try:
        return parse_outputs_document(_read_json(path), environment=workspace.env, origin=str(path))
    except OutputsMissingError as exc:
        # A file the user named is input: what it lacks is a usage error (exit 2), not a missing deployment.
        raise UsageError(
            f"{path}: {exc.message}", hint="pass the file `terraform output -json` wrote"
        ) from None


def _read_json(path: Path) -> Any:
    # Strict: bytes that are not UTF-8, nesting past the limit, NaN are one clear line (tooling.strict_json).
    try:
        return strict_json.loads(path.read_bytes(), str(path))
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno})") from None


def _check_cache_shape(data: dict[str, Any]) -> None:
    """Our own cache format: {"target": "aws"|"local", "environment": str, "outputs": {...}}."""
    if data["target"] not in ("aws", "local"):
        raise UsageError(f"target is {str(data['target'])[:40]!r}, not aws or local")
    if not isinstance(data["outputs"], dict):
        raise UsageError("outputs is not a JSON object")
    if not isinstance(data.get("environment", ""), str):
        raise UsageError("environment is not a string")


def _cache_damaged(workspace: Workspace, why: str) -> ToolingError:
    # The message names the file already; what is left of `why` is the reason.
    for prefix in (workspace.outputs_path, workspace.outputs_path.relative_to(workspace.root)):
        why = why.removeprefix(f"{prefix}: ")
    return damaged(
        workspace.outputs_path,
        why,
        hint=f"write it again: `tooling apply --env {workspace.env} --target local` (local target) or "
        f"`tooling outputs --env {workspace.env} --refresh` (aws); `tooling doctor --env {workspace.env}` "
        "checks every state file",
        what="the deployment outputs",
    )


def clear_outputs(workspace: Workspace) -> None:
    path = workspace.outputs_path
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)  # damage in the file's place: destroy is the way back from it
    else:
        path.unlink(missing_ok=True)
