"""The IAM authorizations one API call needs: action, resource ARN and the condition keys AWS sets.

Most actions are named as their operation; S3's are not (the table below, from the S3 documentation's "Policy
actions for S3 API operations"). The resource is built from the parameters that name it, as the Service
Authorization Reference defines each action's resource type; an action without resource-level permissions is
evaluated against "*". Some calls need more than their own action, and a request to the emulator does not show
it, so it is added here, each with the rule that forces it:

- tag-on-create: the service's tagging action too, with the request's tags (IAM, KMS, SQS, SNS, Lambda, Logs,
  DynamoDB, EventBridge, Step Functions, Firehose, CloudWatch, Schemas, S3 document it);
- `iam:PassRole` of every role a call hands to a service (`iam:PassedToService`);
- the caller's KMS use by a service that encrypts with the stack's key on the caller's behalf: Lambda
  environment variables (`kms:Encrypt`, `kms:CreateGrant` on create/update, `kms:Decrypt` on read), DynamoDB
  tables (`kms:DescribeKey`, `kms:CreateGrant`), Firehose server-side encryption (`kms:CreateGrant`), with
  `kms:ViaService` of that service and `kms:GrantIsForAWSResource`.

Calls that need no authorization (`sts:GetCallerIdentity`, describing an AWS managed key) map to none.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

from tooling.access.evaluator import ContextValue
from tooling.errors import ToolingError

# S3 API operations whose policy action has another name (S3 User Guide, "Required permissions for Amazon S3
# API operations"). Others are s3:<Operation>.
S3_ACTIONS = {
    "HeadBucket": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "HeadObject": "s3:GetObject",
    "DeleteObjects": "s3:DeleteObject",
    "GetBucketAccelerateConfiguration": "s3:GetAccelerateConfiguration",
    "GetBucketCors": "s3:GetBucketCORS",
    "PutBucketCors": "s3:PutBucketCORS",
    "DeleteBucketCors": "s3:PutBucketCORS",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "GetBucketReplication": "s3:GetReplicationConfiguration",
    "DeleteBucketReplication": "s3:PutReplicationConfiguration",
    "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "PutObjectLockConfiguration": "s3:PutBucketObjectLockConfiguration",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "DeleteBucketTagging": "s3:PutBucketTagging",
    "DeleteBucketWebsite": "s3:DeleteBucketWebsite",
    "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
    "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
}
_S3_OBJECT_OPERATIONS = {"GetObject", "PutObject", "DeleteObject", "HeadObject"}

# IAM service prefixes of the botocore service names that differ.
PREFIXES = {"stepfunctions": "states"}

# Calls AWS answers without any authorization.
UNAUTHORIZED = {("sts", "GetCallerIdentity")}

# The tagging action a create call with tags needs too, and where the call carries them.
TAG_ON_CREATE = {
    ("iam", "CreateRole"): "iam:TagRole",
    ("iam", "CreatePolicy"): "iam:TagPolicy",
    ("kms", "CreateKey"): "kms:TagResource",
    ("sqs", "CreateQueue"): "sqs:TagQueue",
    ("sns", "CreateTopic"): "sns:TagResource",
    ("lambda", "CreateFunction"): "lambda:TagResource",
    ("lambda", "CreateEventSourceMapping"): "lambda:TagResource",
    ("logs", "CreateLogGroup"): "logs:TagResource",
    ("dynamodb", "CreateTable"): "dynamodb:TagResource",
    ("events", "CreateEventBus"): "events:TagResource",
    ("events", "PutRule"): "events:TagResource",
    ("stepfunctions", "CreateStateMachine"): "states:TagResource",
    ("firehose", "CreateDeliveryStream"): "firehose:TagDeliveryStream",
    ("cloudwatch", "PutMetricAlarm"): "cloudwatch:TagResource",
    ("schemas", "CreateRegistry"): "schemas:TagResource",
    ("schemas", "CreateSchema"): "schemas:TagResource",
    ("schemas", "CreateDiscoverer"): "schemas:TagResource",
}


class UnmappedCallError(ToolingError):
    """A recorded call this module cannot turn into IAM requests: it refuses rather than guess."""


@dataclass(frozen=True)
class Authorization:
    """One IAM request a call makes: what the policies are evaluated against."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    call: str = ""  # the API call ("lambda CreateFunction") that needs it
    why: str = ""  # set when the call needs it beyond its own action

    def as_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "resource": self.resource,
            "context": dict(self.context),
            "call": self.call,
            **({"why": self.why} if self.why else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Authorization:
        return cls(
            str(data["action"]), str(data["resource"]), dict(data.get("context") or {}),
            str(data.get("call", "")), str(data.get("why", "")),
        )  # fmt: skip


@dataclass(frozen=True)
class Call:
    """What authorizations() needs of a recorded call (api_requests.ApiRequest has this shape)."""

    service: str
    operation: str
    params: Mapping[str, Any]
    region: str
    facts: Mapping[str, Any]


class _Arns:
    def __init__(self, partition: str, account: str, region: str) -> None:
        self.partition, self.account, self.region = partition, account, region

    def __call__(
        self, service: str, resource: str, *, region: str | None = None, account: bool = True
    ) -> str:
        where = self.region if region is None else region
        return f"arn:{self.partition}:{service}:{where}:{self.account if account else ''}:{resource}"


def _name(value: str, marker: str) -> str:
    """A name or an ARN given where a name is expected: the name (the part after `marker`)."""
    return value.split(marker, 1)[1] if value.startswith("arn:") and marker in value else value


def _tags(params: Mapping[str, Any]) -> dict[str, str]:
    """The tags a call sets, in any of the shapes the APIs use."""
    raw = params.get("Tags", params.get("tags", params.get("Tagging", {}).get("TagSet")))
    if isinstance(raw, Mapping):
        return {str(k): str(v) for k, v in raw.items()}
    found: dict[str, str] = {}
    for tag in raw or []:
        key = tag.get("Key", tag.get("TagKey"))
        if key is not None:
            found[str(key)] = str(tag.get("Value", tag.get("TagValue", "")))
    return found


def _request_tags(tags: Mapping[str, str]) -> dict[str, ContextValue]:
    context: dict[str, ContextValue] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    if tags:
        context["aws:TagKeys"] = sorted(tags)
    return context


def _resource_tags(tags: Mapping[str, str]) -> dict[str, ContextValue]:
    return {f"aws:ResourceTag/{k}": v for k, v in tags.items()}


def authorizations(call: Call, *, account: str, partition: str = "aws") -> list[Authorization]:
    """Every IAM request `call` makes (its own action first)."""
    if (call.service, call.operation) in UNAUTHORIZED:
        return []
    arns = _Arns(partition, account, call.region)
    builder = _BUILDERS.get(call.service)
    if builder is None:
        raise UnmappedCallError(f"{call.service} {call.operation}: no IAM mapping for this service")
    found = builder(call, arns)
    label = f"{call.service} {call.operation}"
    found = [
        Authorization(a.action, a.resource, a.context, label, a.why)
        for a in [*found, *_implied(call, arns, found)]
    ]
    return found


# -- services -------------------------------------------------------------------------------------------------


def _own(call: Call, resource: str, context: Mapping[str, ContextValue] | None = None) -> Authorization:
    prefix = PREFIXES.get(call.service, call.service)
    return Authorization(f"{prefix}:{call.operation}", resource, dict(context or {}))


def _sqs(call: Call, arns: _Arns) -> list[Authorization]:
    p = call.params
    if "QueueUrl" in p:
        parts = urlparse(str(p["QueueUrl"])).path.strip("/").split("/")
        return [_own(call, f"arn:{arns.partition}:sqs:{call.region}:{parts[-2]}:{parts[-1]}")]
    if "QueueName" in p:
        return [_own(call, arns("sqs", str(p["QueueName"])))]
    if call.operation == "ListQueues":
        return [_own(call, "*")]
    raise UnmappedCallError(f"sqs {call.operation}: no queue named")


def _sns(call: Call, arns: _Arns) -> list[Authorization]:
    p = call.params
    if call.operation in (
        "Unsubscribe",
        "GetSubscriptionAttributes",
        "SetSubscriptionAttributes",
        "ListTopics",
    ):
        return [_own(call, "*")]  # no resource-level permissions (Service Authorization Reference)
    if call.operation == "CreateTopic":
        return [_own(call, arns("sns", str(p["Name"])))]
    arn = p.get("TopicArn", p.get("ResourceArn"))
    if arn:
        return [_own(call, str(arn))]
    raise UnmappedCallError(f"sns {call.operation}: no topic named")


def _function_arn(value: str, arns: _Arns) -> str:
    name = unquote(value)
    if name.startswith("arn:"):
        parts = name.split(":")
        return ":".join(parts[:7])  # without a version or alias qualifier
    return arns("lambda", f"function:{name.split(':')[0]}")


def _lambda(call: Call, arns: _Arns) -> list[Authorization]:
    p, op = call.params, call.operation
    if op in ("CreateEventSourceMapping", "ListEventSourceMappings"):
        function = p.get("FunctionName")
        context = {"lambda:FunctionArn": _function_arn(str(function), arns)} if function else {}
        return [_own(call, "*", context)]
    if "UUID" in p:
        function = call.facts.get("mapping_function")
        context = {"lambda:FunctionArn": str(function)} if function else {}
        return [_own(call, arns("lambda", f"event-source-mapping:{p['UUID']}"), context)]
    if op in ("TagResource", "UntagResource", "ListTags"):
        return [_own(call, _function_arn(str(p["Resource"]), arns))]
    if "FunctionName" in p:
        return [_own(call, _function_arn(str(p["FunctionName"]), arns))]
    raise UnmappedCallError(f"lambda {op}: no function named")


def _log_group(name: str, arns: _Arns) -> str:
    return arns("logs", f"log-group:{name}")


def _logs(call: Call, arns: _Arns) -> list[Authorization]:
    p, op = call.params, call.operation
    if op == "DescribeLogGroups":
        return [_own(call, "*")]  # no resource-level permissions
    if op in ("ListTagsForResource", "TagResource", "UntagResource"):
        return [_own(call, str(p["resourceArn"]).removesuffix(":*"))]
    if op in ("CreateLogStream", "DeleteLogStream", "PutLogEvents"):
        group = _log_group(str(p["logGroupName"]), arns)
        return [_own(call, f"{group}:log-stream:{p['logStreamName']}")]
    if "logGroupName" in p:
        return [_own(call, _log_group(str(p["logGroupName"]), arns))]
    raise UnmappedCallError(f"logs {op}: no log group named")


def _cloudwatch(call: Call, arns: _Arns) -> list[Authorization]:
    p, op = call.params, call.operation
    if op in ("PutDashboard", "GetDashboard"):
        return [_own(call, arns("cloudwatch", f"dashboard/{p['DashboardName']}", region=""))]
    if op == "DeleteDashboards":
        return [_own(call, arns("cloudwatch", f"dashboard/{n}", region="")) for n in p["DashboardNames"]]
    if op in ("ListTagsForResource", "TagResource", "UntagResource"):
        return [_own(call, str(p["ResourceARN"]))]
    names = p.get("AlarmNames") or ([p["AlarmName"]] if "AlarmName" in p else [])
    if names:
        return [_own(call, arns("cloudwatch", f"alarm:{n}")) for n in names]
    if op == "DescribeAlarms":
        return [_own(call, "*")]
    raise UnmappedCallError(f"cloudwatch {op}: no alarm or dashboard named")


# Adding or removing a global table's replica: UpdateTable in the table's region, plus these on the table in
# the replica's region (DynamoDB developer guide, "Global tables security": the replica's creation and its
# initial copy of the items).
REPLICA_CREATE_ACTIONS = (
    "dynamodb:CreateTableReplica", "dynamodb:Scan", "dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem",
    "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
)  # fmt: skip


def _dynamodb(call: Call, arns: _Arns) -> list[Authorization]:
    p = call.params
    if "TableName" in p:
        table = f"table/{_name(str(p['TableName']), ':table/')}"
        found = [_own(call, arns("dynamodb", table))]
        for update in p.get("ReplicaUpdates", []) if call.operation == "UpdateTable" else []:
            for verb, actions in (
                ("Create", REPLICA_CREATE_ACTIONS),
                ("Delete", ("dynamodb:DeleteTableReplica",)),
            ):
                if verb in update:
                    replica = arns("dynamodb", table, region=str(update[verb]["RegionName"]))
                    found += [Authorization(action, replica, {}) for action in actions]
        return found
    if "ResourceArn" in p:
        return [_own(call, str(p["ResourceArn"]))]
    raise UnmappedCallError(f"dynamodb {call.operation}: no table named")


def _bus(value: str | None, arns: _Arns) -> str:
    name = _name(value or "default", ":event-bus/")
    return arns("events", f"event-bus/{name}")


def _events(call: Call, arns: _Arns) -> list[Authorization]:
    p, op = call.params, call.operation
    if op in ("CreateEventBus", "DescribeEventBus", "DeleteEventBus", "UpdateEventBus"):
        return [_own(call, _bus(p.get("Name"), arns))]
    if op in ("PutPermission", "RemovePermission"):
        return [_own(call, _bus(p.get("EventBusName"), arns))]
    if op in ("CreateArchive", "DescribeArchive", "DeleteArchive", "UpdateArchive"):
        return [_own(call, arns("events", f"archive/{p['ArchiveName']}"))]
    if op in ("ListTagsForResource", "TagResource", "UntagResource"):
        return [_own(call, str(p["ResourceARN"]))]
    if op in ("CreateEndpoint", "DescribeEndpoint", "UpdateEndpoint", "DeleteEndpoint"):
        return [_own(call, arns("events", f"endpoint/{p['Name']}"))]
    if op == "ListEndpoints":
        return [_own(call, "*")]
    if op == "PutEvents":  # on each bus an entry names (the default bus when none)
        buses = {str(entry.get("EventBusName") or "default") for entry in p.get("Entries", [])}
        return [_own(call, _bus(bus, arns)) for bus in sorted(buses)]
    rule = p.get("Name", p.get("Rule"))
    if rule is not None:
        bus = _name(str(p.get("EventBusName") or "default"), ":event-bus/")
        resource = arns("events", f"rule/{rule}" if bus == "default" else f"rule/{bus}/{rule}")
        context: dict[str, ContextValue] = {}
        if op == "PutTargets":
            context["events:TargetArn"] = [str(t["Arn"]) for t in p.get("Targets", [])]
        return [_own(call, resource, context)]
    raise UnmappedCallError(f"events {op}: no bus, rule or archive named")


def _firehose(call: Call, arns: _Arns) -> list[Authorization]:
    name = call.params.get("DeliveryStreamName")
    if name:
        return [_own(call, arns("firehose", f"deliverystream/{name}"))]
    raise UnmappedCallError(f"firehose {call.operation}: no stream named")


def _iam(call: Call, arns: _Arns) -> list[Authorization]:
    p, op = call.params, call.operation
    if op == "GetUser" and "UserName" not in p:
        return [_own(call, arns("iam", "user/${caller}", region=""))]
    if "RoleName" in p:
        resource = arns("iam", f"role/{p['RoleName']}", region="")
        context: dict[str, ContextValue] = {}
        boundary = p.get("PermissionsBoundary") if op == "CreateRole" else call.facts.get("role_boundary")
        if boundary:
            context["iam:PermissionsBoundary"] = str(boundary)
        return [_own(call, resource, context)]
    if op == "CreatePolicy":
        return [_own(call, arns("iam", f"policy{p.get('Path', '/')}{p['PolicyName']}", region=""))]
    if "PolicyArn" in p:
        return [_own(call, str(p["PolicyArn"]))]
    raise UnmappedCallError(f"iam {op}: no role or policy named")


def _key(call: Call, name: str) -> tuple[str, dict[str, ContextValue]]:
    fact = (call.facts.get("kms_keys") or {}).get(name)
    if not fact:
        raise UnmappedCallError(f"kms {call.operation}: the key {name} was not known to the server")
    return str(fact["arn"]), _resource_tags(fact.get("tags") or {})


def _kms(call: Call, arns: _Arns) -> list[Authorization]:
    p, op = call.params, call.operation
    if op in ("CreateKey", "ListAliases", "ListKeys"):
        return [_own(call, "*", _request_tags(_tags(p)) if op == "CreateKey" else {})]
    if op in ("CreateAlias", "UpdateAlias", "DeleteAlias"):
        alias = arns("kms", str(p["AliasName"]))
        target = str(p.get("TargetKeyId") or p["AliasName"])
        key, tags = _key(call, target)
        return [_own(call, alias), _own(call, key, tags)]
    if str(p.get("KeyId", "")).startswith("alias/aws/"):
        # An AWS managed key (the provider describes alias/aws/dynamodb): its key policy lets every principal
        # of the account describe and use it through its service; no identity policy is consulted.
        return []
    if "KeyId" in p:
        key, tags = _key(call, str(p["KeyId"]))
        context: dict[str, ContextValue] = dict(tags)
        if op in ("TagResource", "UntagResource"):
            keys = _tags(p) if op == "TagResource" else {k: "" for k in p.get("TagKeys", [])}
            context.update(_request_tags(keys) if op == "TagResource" else {"aws:TagKeys": sorted(keys)})
        return [_own(call, key, context)]
    raise UnmappedCallError(f"kms {op}: no key named")


def _schemas(call: Call, arns: _Arns) -> list[Authorization]:
    p, op = call.params, call.operation
    if op in ("ListTagsForResource", "TagResource", "UntagResource"):
        return [_own(call, str(p["ResourceArn"]))]
    if op == "CreateDiscoverer":
        return [_own(call, "*", _request_tags(_tags(p)))]
    if "DiscovererId" in p:
        return [_own(call, arns("schemas", f"discoverer/{p['DiscovererId']}"))]
    if "SchemaName" in p:
        return [_own(call, arns("schemas", f"schema/{p['RegistryName']}/{p['SchemaName']}"))]
    if "RegistryName" in p:
        return [_own(call, arns("schemas", f"registry/{p['RegistryName']}"))]
    raise UnmappedCallError(f"schemas {op}: no registry, schema or discoverer named")


def _states(call: Call, arns: _Arns) -> list[Authorization]:
    p, op = call.params, call.operation
    if op == "ValidateStateMachineDefinition":
        return [_own(call, "*")]  # no resource-level permissions
    if op == "CreateStateMachine":
        return [_own(call, arns("states", f"stateMachine:{p['name']}"))]
    if "executionArn" in p:  # DescribeExecution, StopExecution: the execution's own ARN
        return [_own(call, str(p["executionArn"]))]
    arn = p.get("stateMachineArn", p.get("resourceArn"))
    if arn:
        return [_own(call, str(arn).split(":version")[0])]
    raise UnmappedCallError(f"stepfunctions {op}: no state machine named")


def _s3(call: Call, arns: _Arns) -> list[Authorization]:
    p, op = call.params, call.operation
    action = S3_ACTIONS.get(op, f"s3:{op}")
    bucket = f"arn:{arns.partition}:s3:::{p['Bucket']}"
    if op == "DeleteObjects":
        keys = [o["Key"] for o in p.get("Delete", {}).get("Objects", [])]
        return [Authorization(action, f"{bucket}/{k}") for k in keys]
    if op in _S3_OBJECT_OPERATIONS:
        return [Authorization(action, f"{bucket}/{p['Key']}")]
    return [Authorization(action, bucket)]


def _route53(call: Call, arns: _Arns) -> list[Authorization]:
    """Health checks: CreateHealthCheck has no resource (IAM requires "*"); the others name the check, whose
    ARN has neither region nor account (Service Authorization Reference, Route 53)."""
    p, op = call.params, call.operation
    if op == "CreateHealthCheck":
        return [_own(call, "*")]
    check = p.get("HealthCheckId", p.get("ResourceId"))
    if check is not None and op in (
        "GetHealthCheck", "UpdateHealthCheck", "DeleteHealthCheck", "GetHealthCheckStatus",
        "ChangeTagsForResource", "ListTagsForResource",
    ):  # fmt: skip
        return [_own(call, f"arn:{arns.partition}:route53:::healthcheck/{check}")]
    raise UnmappedCallError(f"route53 {op}: no health check named")


def _sts(call: Call, arns: _Arns) -> list[Authorization]:
    raise UnmappedCallError(f"sts {call.operation}: not a call a deploy makes")


_BUILDERS = {
    "sqs": _sqs, "sns": _sns, "lambda": _lambda, "logs": _logs, "cloudwatch": _cloudwatch,
    "dynamodb": _dynamodb, "events": _events, "firehose": _firehose, "iam": _iam, "kms": _kms,
    "schemas": _schemas, "stepfunctions": _states, "s3": _s3, "sts": _sts, "route53": _route53,
}  # fmt: skip


# -- what a call needs beyond its own action ------------------------------------------------------------------


def _passed_roles(call: Call) -> list[tuple[str, str]]:
    """(role ARN, service it is passed to) of every role the call hands to a service."""
    p, op = call.params, call.operation
    if call.service == "lambda" and op in ("CreateFunction", "UpdateFunctionConfiguration") and p.get("Role"):
        return [(str(p["Role"]), "lambda.amazonaws.com")]
    if (
        call.service == "stepfunctions"
        and op in ("CreateStateMachine", "UpdateStateMachine")
        and p.get("roleArn")
    ):
        return [(str(p["roleArn"]), "states.amazonaws.com")]
    if call.service == "events" and op == "PutTargets":
        return [(str(t["RoleArn"]), "events.amazonaws.com") for t in p.get("Targets", []) if t.get("RoleArn")]
    if call.service == "events" and op in ("CreateEndpoint", "UpdateEndpoint") and p.get("RoleArn"):
        return [(str(p["RoleArn"]), "events.amazonaws.com")]  # the endpoint's replication role
    if call.service == "firehose" and op in ("CreateDeliveryStream", "UpdateDestination"):
        text = json.dumps(p)
        roles = {r for r in _role_arns(text)}
        return [(r, "firehose.amazonaws.com") for r in sorted(roles)]
    return []


def _role_arns(text: str) -> list[str]:
    import re

    return re.findall(r"arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+", text)


def _key_uses(call: Call, arns: _Arns) -> list[tuple[str, str, list[str]]]:
    """(key identifier as the call names it, service, KMS actions) the service performs as the caller."""
    p, op = call.params, call.operation
    if (
        call.service == "lambda"
        and op in ("CreateFunction", "UpdateFunctionConfiguration")
        and p.get("KMSKeyArn")
    ):
        return [(str(p["KMSKeyArn"]), "lambda", ["kms:Encrypt", "kms:CreateGrant"])]
    if call.service == "lambda" and op in ("GetFunction", "GetFunctionConfiguration"):
        key = call.facts.get("function_key")
        return [(str(key["arn"]), "lambda", ["kms:Decrypt"])] if key else []
    if call.service == "dynamodb" and op in ("CreateTable", "UpdateTable"):
        key = (p.get("SSESpecification") or {}).get("KMSMasterKeyId")
        return [(str(key), "dynamodb", ["kms:DescribeKey", "kms:CreateGrant"])] if key else []
    if call.service == "firehose" and op in ("CreateDeliveryStream", "StartDeliveryStreamEncryption"):
        config = p.get("DeliveryStreamEncryptionConfigurationInput") or {}
        key = config.get("KeyARN")
        return [(str(key), "firehose", ["kms:CreateGrant"])] if key else []
    return []


def _implied(call: Call, arns: _Arns, own: list[Authorization]) -> list[Authorization]:
    extra: list[Authorization] = []
    tag_action = TAG_ON_CREATE.get((call.service, call.operation))
    tags = _tags(call.params) if tag_action else {}
    if tag_action and tags:
        resource = "*" if call.service == "kms" else own[0].resource
        extra.append(Authorization(tag_action, resource, _request_tags(tags), why="tags on create"))
    for role, service in _passed_roles(call):
        extra.append(
            Authorization(
                "iam:PassRole", role, {"iam:PassedToService": service}, why=f"role passed to {service}"
            )
        )
    keys = call.facts.get("kms_keys") or {}
    for name, service, actions in _key_uses(call, arns):
        fact = keys.get(name) or (call.facts.get("function_key") if service == "lambda" else None)
        if not fact:
            raise UnmappedCallError(
                f"{call.service} {call.operation}: the key {name} was not known to the server"
            )
        context: dict[str, ContextValue] = {
            **_resource_tags(fact.get("tags") or {}),
            "kms:ViaService": f"{service}.{call.region}.amazonaws.com",
        }
        for action in actions:
            extra_context = {
                **context,
                **({"kms:GrantIsForAWSResource": True} if action == "kms:CreateGrant" else {}),
            }
            extra.append(
                Authorization(
                    action, str(fact["arn"]), extra_context, why=f"{service} uses the key as the caller"
                )
            )
    return extra
