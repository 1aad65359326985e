"""The policies as deployed: read live through the AWS APIs, never from the HCL.

Starting from the outputs (the bus, the functions, the forwarding rule, the archive stream, the event store,
the failover's global endpoint) it follows what the services report: the rules of the bus and their targets (ListTargetsByRule, so a target
changed out of band is seen), each target's role, dead-letter queue and key, each function's role,
dead-letter queue, log group and tables, each topic's subscriptions and their redrive queues, each queue's
redrive, the state machine's role and log group, the Firehose stream's role, bucket, key and log group, the
global endpoint's buses (both regions: key, archive, dead-letter queue) and its replication role. For
every resource met it keeps the rendered policy JSON (queue, topic, function, bus and bucket policies, key
policies, roles' inline and attached policies, trust policies and permissions boundaries), keyed by ARN.

The result, a Deployment, is plain data: it is what matrix.py evaluates, and what the unit tests record.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from pydantic import BaseModel, Field

from tooling.outputs import DeploymentOutputs

Document = dict[str, Any]


class Target(BaseModel):
    id: str
    arn: str
    role_arn: str | None = None
    dead_letter_arn: str | None = None


class Rule(BaseModel):
    name: str
    arn: str
    bus: str  # the bus's name ("default" for the forwarding rule)
    targets: list[Target] = Field(default_factory=list)


class Role(BaseModel):
    arn: str
    trust: Document
    inline: dict[str, Document] = Field(default_factory=dict)
    attached: dict[str, Document] = Field(default_factory=dict)  # managed policy ARN -> default version
    boundary_arn: str | None = None
    boundary: Document | None = None


class Queue(BaseModel):
    arn: str
    url: str
    policy: Document | None = None
    kms_key: str | None = None  # the key's ARN, None for SSE-SQS
    redrive_target: str | None = None  # the DLQ this queue redrives to
    redrive_allow: Document | None = None  # who may redrive into this queue


class Subscription(BaseModel):
    arn: str
    protocol: str
    endpoint: str
    dead_letter_arn: str | None = None


class Topic(BaseModel):
    arn: str
    policy: Document | None = None
    kms_key: str | None = None
    subscriptions: list[Subscription] = Field(default_factory=list)


class Function(BaseModel):
    arn: str
    name: str
    role_arn: str
    policy: Document | None = None
    dead_letter_arn: str | None = None
    kms_key: str | None = None
    log_group: str
    # DynamoDB table ARN -> the setting naming it (IDEMPOTENCY_TABLE, EVENT_STORE_TABLE): what it does there.
    tables: dict[str, str] = Field(default_factory=dict)
    event_sources: list[str] = Field(default_factory=list)  # queue ARNs of its event source mappings


class Bus(BaseModel):
    arn: str
    name: str
    policy: Document | None = None
    kms_key: str | None = None
    dead_letter_arn: str | None = None
    archives: dict[str, str | None] = Field(default_factory=dict)  # archive name -> its own key, if any


class Bucket(BaseModel):
    arn: str
    policy: Document | None = None
    kms_key: str | None = None


class StateMachine(BaseModel):
    arn: str
    role_arn: str
    log_groups: list[str] = Field(default_factory=list)  # log group ARNs


class Stream(BaseModel):
    arn: str
    role_arn: str
    bucket_arn: str
    kms_key: str | None = None
    log_group: str | None = None
    log_stream: str | None = None


class LogGroup(BaseModel):
    arn: str  # without the trailing ":*" AWS appends in DescribeLogGroups
    kms_key: str | None = None


class Table(BaseModel):
    arn: str
    kms_key: str | None = None


class Endpoint(BaseModel):
    """The failover's global endpoint as DescribeEndpoint reports it."""

    arn: str
    name: str
    bus_arns: list[str] = Field(default_factory=list)  # primary first, as the endpoint lists them
    replication: bool = False
    role_arn: str | None = None


class Deployment(BaseModel):
    """Everything the matrix evaluates, as the services answered."""

    environment: str
    account: str
    region: str
    outputs: DeploymentOutputs
    rules: list[Rule] = Field(default_factory=list)
    roles: dict[str, Role] = Field(default_factory=dict)
    queues: dict[str, Queue] = Field(default_factory=dict)
    topics: dict[str, Topic] = Field(default_factory=dict)
    functions: dict[str, Function] = Field(default_factory=dict)
    buses: dict[str, Bus] = Field(default_factory=dict)
    buckets: dict[str, Bucket] = Field(default_factory=dict)
    keys: dict[str, Document] = Field(default_factory=dict)  # key ARN -> key policy
    state_machines: dict[str, StateMachine] = Field(default_factory=dict)
    streams: dict[str, Stream] = Field(default_factory=dict)
    log_groups: dict[str, LogGroup] = Field(default_factory=dict)  # name -> group
    tables: dict[str, Table] = Field(default_factory=dict)
    publisher_policy: Document | None = None
    publisher_policy_arn: str | None = None
    endpoint: Endpoint | None = None


ClientFactory = Callable[[str, str], Any]


def _boto_client(service: str, region: str) -> Any:
    from tooling import clients

    return clients.client(service, region)


def _doc(text: str | None) -> Document | None:
    if not text:
        return None
    parsed = json.loads(unquote(text) if text.startswith("%7B") else text)
    return parsed if isinstance(parsed, dict) else None


def _region(arn: str) -> str:
    return arn.split(":")[3]


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


class Collector:
    """Reads one deployment; each resource once, in whatever region its ARN names."""

    def __init__(self, outputs: DeploymentOutputs, client: ClientFactory = _boto_client) -> None:
        self.outputs = outputs
        self._client = client
        self._clients: dict[tuple[str, str], Any] = {}
        account = outputs.event_bus_arn.split(":")[4]
        self.found = Deployment(
            environment=outputs.environment, account=account, region=outputs.region, outputs=outputs
        )

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.outputs.region)
        if key not in self._clients:
            self._clients[key] = self._client(*key)
        return self._clients[key]

    # -- entry point ----------------------------------------------------------------------------------------

    def collect(self) -> Deployment:
        outputs = self.outputs
        self.bus(outputs.event_bus_arn)
        events = self.client("events")
        for page in _pages(events.list_rules, "Rules", EventBusName=outputs.event_bus_name):
            if not page.get("ManagedBy"):  # the archive's own rule is EventBridge's, not a route
                self.rule(page["Name"], page["Arn"], outputs.event_bus_name)
        if outputs.forwarding_rule_arn:
            self.rule(outputs.forwarding_rule_arn.rsplit("/", 1)[-1], outputs.forwarding_rule_arn, "default")
        for name in outputs.function_names.values():
            self.function(name)
        self.queue_by_url(outputs.batch_queue_url)
        for url in outputs.dead_letter_queue_urls.values():
            self.queue_by_url(url)
        self.topic(outputs.notifications_topic_arn)
        if outputs.s3_archive_stream_name:
            self.stream(outputs.s3_archive_stream_name)
        if outputs.event_store_table_name:
            self.table(outputs.event_store_table_name)
        if outputs.publisher_policy_arn:
            self.found.publisher_policy_arn = outputs.publisher_policy_arn
            self.found.publisher_policy = self.managed_policy(outputs.publisher_policy_arn)
        if outputs.failover is not None:
            self.endpoint(outputs.failover.endpoint_name)
        return self.found

    # -- EventBridge ----------------------------------------------------------------------------------------

    def bus(self, arn: str) -> None:
        if arn in self.found.buses:
            return
        answer = self.client("events", _region(arn)).describe_event_bus(Name=arn)
        bus = Bus(
            arn=answer["Arn"],
            name=answer["Name"],
            policy=_doc(answer.get("Policy")),
            kms_key=self.key(answer.get("KmsKeyIdentifier"), _region(arn)),
            dead_letter_arn=(answer.get("DeadLetterConfig") or {}).get("Arn"),
        )
        self.found.buses[arn] = bus
        events = self.client("events", _region(arn))
        for archive in events.list_archives(EventSourceArn=arn).get("Archives", []):
            described = events.describe_archive(ArchiveName=archive["ArchiveName"])
            bus.archives[archive["ArchiveName"]] = self.key(described.get("KmsKeyIdentifier"), _region(arn))
        if bus.dead_letter_arn:
            self.queue(bus.dead_letter_arn)

    def endpoint(self, name: str) -> None:
        """The global endpoint (it lives in the primary region), both its buses and its replication role."""
        answer = self.client("events").describe_endpoint(Name=name)
        state = (answer.get("ReplicationConfig") or {}).get("State", "ENABLED")  # AWS's default
        endpoint = Endpoint(
            arn=answer["Arn"],
            name=answer["Name"],
            bus_arns=[bus["EventBusArn"] for bus in answer.get("EventBuses", [])],
            replication=state == "ENABLED",
            role_arn=answer.get("RoleArn") or None,
        )
        self.found.endpoint = endpoint
        for arn in endpoint.bus_arns:
            unless_absent(self.bus, arn)
        if endpoint.role_arn:
            unless_absent(self.role, endpoint.role_arn)

    def rule(self, name: str, arn: str, bus: str) -> None:
        events = self.client("events", _region(arn))
        rule = Rule(name=name, arn=arn, bus=bus)
        for target in _pages(events.list_targets_by_rule, "Targets", Rule=name, EventBusName=bus):
            rule.targets.append(
                Target(
                    id=target["Id"],
                    arn=target["Arn"],
                    role_arn=target.get("RoleArn"),
                    dead_letter_arn=(target.get("DeadLetterConfig") or {}).get("Arn"),
                )
            )
            # A target, role or queue deleted out of band is left out: its hop then fails as delivery would.
            unless_absent(self.target, target["Arn"])
            if target.get("RoleArn"):
                unless_absent(self.role, target["RoleArn"])
            if (target.get("DeadLetterConfig") or {}).get("Arn"):
                unless_absent(self.queue, target["DeadLetterConfig"]["Arn"])
        self.found.rules.append(rule)

    def target(self, arn: str) -> None:
        service = arn.split(":")[2]
        if service == "lambda":
            self.function(arn)
        elif service == "sqs":
            self.queue(arn)
        elif service == "sns":
            self.topic(arn)
        elif service == "events":
            self.bus(arn)
        elif service == "states":
            self.state_machine(arn)
        elif service == "firehose":
            self.stream(arn.rsplit("/", 1)[-1], _region(arn))

    # -- Lambda ---------------------------------------------------------------------------------------------

    def function(self, name_or_arn: str) -> None:
        region = _region(name_or_arn) if name_or_arn.startswith("arn:") else None
        lam = self.client("lambda", region)
        config = lam.get_function_configuration(FunctionName=name_or_arn)
        arn = config["FunctionArn"]
        if arn in self.found.functions:
            return
        try:
            policy = _doc(lam.get_policy(FunctionName=arn)["Policy"])
        except Exception as exc:  # no policy at all: ResourceNotFoundException
            if _error_code(exc) != "ResourceNotFoundException":
                raise
            policy = None
        log_group = (config.get("LoggingConfig") or {}).get(
            "LogGroup"
        ) or f"/aws/lambda/{config['FunctionName']}"
        function = Function(
            arn=arn,
            name=config["FunctionName"],
            role_arn=config["Role"],
            policy=policy,
            dead_letter_arn=(config.get("DeadLetterConfig") or {}).get("TargetArn"),
            kms_key=self.key(config.get("KMSKeyArn"), _region(arn)),
            log_group=log_group,
        )
        self.found.functions[arn] = function
        self.role(config["Role"])
        self.log_group(log_group, _region(arn))
        if function.dead_letter_arn:
            self.queue(function.dead_letter_arn)
        variables = (config.get("Environment") or {}).get("Variables") or {}
        for setting in ("IDEMPOTENCY_TABLE", "EVENT_STORE_TABLE"):
            if variables.get(setting):
                function.tables[self.table(variables[setting], _region(arn))] = setting
        mappings = lam.list_event_source_mappings(FunctionName=arn).get("EventSourceMappings", [])
        for mapping in mappings:
            source = mapping.get("EventSourceArn", "")
            function.event_sources.append(source)
            if source.split(":")[2:3] == ["sqs"]:
                self.queue(source)

    # -- IAM ------------------------------------------------------------------------------------------------

    def role(self, arn: str) -> None:
        if arn in self.found.roles:
            return
        iam = self.client("iam")
        name = arn.rsplit("/", 1)[-1]
        answer = iam.get_role(RoleName=name)["Role"]
        role = Role(arn=arn, trust=_doc(_as_text(answer["AssumeRolePolicyDocument"])) or {})
        for policy_name in _pages(iam.list_role_policies, "PolicyNames", RoleName=name):
            document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            role.inline[policy_name] = _doc(_as_text(document)) or {}
        for attached in _pages(iam.list_attached_role_policies, "AttachedPolicies", RoleName=name):
            role.attached[attached["PolicyArn"]] = self.managed_policy(attached["PolicyArn"]) or {}
        boundary = (answer.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if boundary:
            role.boundary_arn = boundary
            role.boundary = self.managed_policy(boundary)
        self.found.roles[arn] = role

    def managed_policy(self, arn: str) -> Document | None:
        iam = self.client("iam")
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        return _doc(_as_text(document))

    # -- SQS, SNS -------------------------------------------------------------------------------------------

    def queue_by_url(self, url: str) -> None:
        name = url.rstrip("/").rsplit("/", 1)[-1]
        arn = f"arn:{self.outputs.event_bus_arn.split(':')[1]}:sqs:{self.outputs.region}:{self.found.account}:{name}"
        self.queue(arn)

    def queue(self, arn: str) -> None:
        if arn in self.found.queues:
            return
        sqs = self.client("sqs", _region(arn))
        account, name = arn.split(":")[4], arn.split(":")[5]
        url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]).get("Attributes", {})
        redrive = _doc(attributes.get("RedrivePolicy"))
        queue = Queue(
            arn=arn,
            url=url,
            policy=_doc(attributes.get("Policy")),
            kms_key=self.key(attributes.get("KmsMasterKeyId"), _region(arn)),
            redrive_target=(redrive or {}).get("deadLetterTargetArn"),
            redrive_allow=_doc(attributes.get("RedriveAllowPolicy")),
        )
        self.found.queues[arn] = queue
        if queue.redrive_target:
            self.queue(queue.redrive_target)

    def topic(self, arn: str) -> None:
        if arn in self.found.topics:
            return
        sns = self.client("sns", _region(arn))
        attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        topic = Topic(
            arn=arn,
            policy=_doc(attributes.get("Policy")),
            kms_key=self.key(attributes.get("KmsMasterKeyId"), _region(arn)),
        )
        self.found.topics[arn] = topic
        for item in _pages(sns.list_subscriptions_by_topic, "Subscriptions", TopicArn=arn):
            if item["SubscriptionArn"] in ("PendingConfirmation", "Deleted"):
                continue
            details = sns.get_subscription_attributes(SubscriptionArn=item["SubscriptionArn"])["Attributes"]
            dlq = (_doc(details.get("RedrivePolicy")) or {}).get("deadLetterTargetArn")
            topic.subscriptions.append(
                Subscription(
                    arn=item["SubscriptionArn"],
                    protocol=item["Protocol"],
                    endpoint=item["Endpoint"],
                    dead_letter_arn=dlq,
                )
            )
            if item["Protocol"] == "lambda":
                self.function(item["Endpoint"])
            if dlq:
                self.queue(dlq)

    # -- KMS, logs, DynamoDB, S3, Step Functions, Firehose ----------------------------------------------------

    def key(self, key_id: str | None, region: str) -> str | None:
        """The key's ARN (any id, alias or ARN resolved by DescribeKey), its policy kept; None for none or
        AWS-managed keys (alias/aws/...), whose policies are AWS's."""
        if not key_id or key_id.startswith("alias/aws/"):
            return None
        kms = self.client("kms", _region(key_id) if key_id.startswith("arn:") else region)
        arn = str(kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"])
        if arn not in self.found.keys:
            self.found.keys[arn] = _doc(kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"]) or {}
        return arn

    def log_group(self, name: str, region: str) -> None:
        if name in self.found.log_groups:
            return
        logs = self.client("logs", region)
        for group in logs.describe_log_groups(logGroupNamePrefix=name).get("logGroups", []):
            if group["logGroupName"] == name:
                arn = str(group["arn"]).removesuffix(":*")
                self.found.log_groups[name] = LogGroup(
                    arn=arn, kms_key=self.key(group.get("kmsKeyId"), region)
                )

    def table(self, name: str, region: str | None = None) -> str:
        described = self.client("dynamodb", region).describe_table(TableName=name)["Table"]
        arn = str(described["TableArn"])
        sse = described.get("SSEDescription") or {}
        self.found.tables[arn] = Table(arn=arn, kms_key=self.key(sse.get("KMSMasterKeyArn"), _region(arn)))
        return arn

    def state_machine(self, arn: str) -> None:
        if arn in self.found.state_machines:
            return
        described = self.client("stepfunctions", _region(arn)).describe_state_machine(stateMachineArn=arn)
        destinations = (described.get("loggingConfiguration") or {}).get("destinations") or []
        groups = [
            str(d["cloudWatchLogsLogGroup"]["logGroupArn"]).removesuffix(":*")
            for d in destinations
            if "cloudWatchLogsLogGroup" in d
        ]
        self.found.state_machines[arn] = StateMachine(
            arn=arn, role_arn=described["roleArn"], log_groups=groups
        )
        self.role(described["roleArn"])
        for group in groups:
            self.log_group(group.split(":log-group:", 1)[1], _region(arn))

    def stream(self, name: str, region: str | None = None) -> None:
        described = self.client("firehose", region).describe_delivery_stream(DeliveryStreamName=name)
        description = described["DeliveryStreamDescription"]
        arn = description["DeliveryStreamARN"]
        if arn in self.found.streams:
            return
        destination = description["Destinations"][0]
        s3 = destination.get("ExtendedS3DestinationDescription") or destination["S3DestinationDescription"]
        kms = (s3.get("EncryptionConfiguration") or {}).get("KMSEncryptionConfig", {}).get("AWSKMSKeyARN")
        logging = s3.get("CloudWatchLoggingOptions") or {}
        stream = Stream(
            arn=arn,
            role_arn=s3["RoleARN"],
            bucket_arn=s3["BucketARN"],
            kms_key=self.key(kms, _region(arn)),
            log_group=logging.get("LogGroupName") if logging.get("Enabled") else None,
            log_stream=logging.get("LogStreamName") if logging.get("Enabled") else None,
        )
        self.found.streams[arn] = stream
        self.role(stream.role_arn)
        self.bucket(stream.bucket_arn)
        if stream.log_group:
            self.log_group(stream.log_group, _region(arn))

    def bucket(self, arn: str) -> None:
        if arn in self.found.buckets:
            return
        s3 = self.client("s3")
        name = arn.rsplit(":", 1)[-1]
        try:
            policy = _doc(s3.get_bucket_policy(Bucket=name)["Policy"])
        except Exception as exc:
            if _error_code(exc) != "NoSuchBucketPolicy":
                raise
            policy = None
        try:
            rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
            default = rules[0]["ApplyServerSideEncryptionByDefault"]
            key_id = default.get("KMSMasterKeyID") if default.get("SSEAlgorithm") == "aws:kms" else None
        except Exception as exc:
            if _error_code(exc) != "ServerSideEncryptionConfigurationNotFoundError":
                raise
            key_id = None
        self.found.buckets[arn] = Bucket(
            arn=arn, policy=policy, kms_key=self.key(key_id, self.outputs.region)
        )


# The error codes of a Describe/Get call whose resource does not exist.
_ABSENT = {
    "ResourceNotFoundException",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "NotFound",
    "NotFoundException",
    "NoSuchEntity",
    "StateMachineDoesNotExist",
    "NoSuchBucket",
}


def unless_absent(read: Callable[[str], Any], arn: str) -> None:
    try:
        read(arn)
    except Exception as exc:
        if _error_code(exc) not in _ABSENT:
            raise


def _as_text(document: Any) -> str:
    """IAM answers policy documents URL-encoded (boto3 decodes them to a dict already; moto's may not)."""
    return document if isinstance(document, str) else json.dumps(document)


def _pages(call: Callable[..., Any], key: str, **kwargs: Any) -> list[Any]:
    """Every item of a paginated list call (NextToken or Marker)."""
    items: list[Any] = []
    token: dict[str, str] = {}
    while True:
        answer = call(**kwargs, **token)
        items += answer.get(key, [])
        if answer.get("NextToken"):
            token = {"NextToken": answer["NextToken"]}
        elif answer.get("IsTruncated") and answer.get("Marker"):
            token = {"Marker": answer["Marker"]}
        else:
            return items


def collect(outputs: DeploymentOutputs, client: ClientFactory = _boto_client) -> Deployment:
    """Read the deployment `outputs` describe, as the services hold it now."""
    return Collector(outputs, client).collect()
