"""The environment file (`environments/<env>.toml`): load, validate, and expose as typed models.

Loading reports every problem at once, each with its path (`rules[1].targets[0].retry_policy...: ...`),
as one ConfigError. Event patterns are checked by tooling.patterns, the same engine the local target
routes with, so a pattern AWS would refuse never reaches Terraform.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tooling import strict_json
from tooling.aws_limits import PUT_EVENTS_REQUEST_BYTES, TARGETS_PER_RULE
from tooling.errors import ConfigError, UsageError
from tooling.order_workflow import WORKFLOW_TARGET

FUNCTION_NAMES = ("processor", "notifier", "analytics", "batch-processor")
# Invoked by the batch queue's event source mapping (synchronously), never by a rule: not a target name, and
# deployed only while [batch_processor] is enabled.
BATCH_PROCESSOR = "batch-processor"
# Logical names a rule target may use; Terraform and the local target resolve them to the real resources.
TARGET_NAMES = (
    "processor", "notifier", "analytics", "notifications", "batch-queue", "order-workflow", "s3-archive"
)  # fmt: skip
TargetName = Literal[
    "processor", "notifier", "analytics", "notifications", "batch-queue", "order-workflow", "s3-archive"
]  # fmt: skip
# The routing-table target of [s3_archive]: the Firehose stream that writes the S3 event archive.
S3_ARCHIVE_TARGET = "s3-archive"
# The member key of the [forwarding] rule in the alarm catalogue (terraform/modules/monitoring/alarms.tf): its
# alarms are <prefix>-rule-forwarding-..., as a routing rule named "forwarding" would have.
FORWARDING_ALARM_KEY = "forwarding"
MAX_TARGETS_PER_RULE = TARGETS_PER_RULE
NAME_RE = re.compile(r"^[a-z][a-z0-9-]*$")
# No '.': a rule name becomes part of a Lambda permission's statement id, which allows only [a-zA-Z0-9-_].
RULE_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
AWS_NAME_LIMIT = 64
# The tags terraform/locals.tf adds to every resource through the provider's default_tags.
DEFAULT_TAG_KEYS = ("Project", "Environment", "ManagedBy")
SUFFIX_LENGTH = 6


class Model(BaseModel):
    # strict: `max_attempts = true` is a bool, not 1, and `"5"` is text, not 5 (TOML has real types; a
    # value of the wrong one is a mistake to report, never to coerce). Integers still fill float fields.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class FunctionSettings(Model):
    memory_mb: Annotated[int, Field(ge=128, le=10240)] = 256
    timeout_seconds: Annotated[int, Field(ge=1, le=900)] = 30
    # None leaves the function on the account's unreserved pool.
    reserved_concurrency: Annotated[int | None, Field(ge=0)] = None
    # Lambda's asynchronous invocation config (aws_lambda_function_event_invoke_config): EventBridge and SNS
    # invoke the functions asynchronously, so a function error is retried by Lambda (0-2 times, AWS's
    # default 2) while the event is younger than the maximum age (60 s to 6 h, default 6 h), then sent to
    # the function's dead-letter queue. The rules' retry policies never see a function error.
    maximum_retry_attempts: Annotated[int, Field(ge=0, le=2)] = 2
    maximum_event_age_seconds: Annotated[int, Field(ge=60, le=21600)] = 21600


class Functions(Model):
    # Dumped under the TOML names (`batch-processor`), so a dump validates again.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, serialize_by_alias=True)

    processor: FunctionSettings = FunctionSettings()
    notifier: FunctionSettings = FunctionSettings()
    analytics: FunctionSettings = FunctionSettings()
    # `[functions.batch-processor]` in TOML; a Python name cannot hold the '-'.
    batch_processor: FunctionSettings = Field(default=FunctionSettings(), alias="batch-processor")

    def items(self) -> list[tuple[str, FunctionSettings]]:
        return [(name, getattr(self, name.replace("-", "_"))) for name in FUNCTION_NAMES]


# SSM's rules for the hierarchical parameter names the stack reads (its IAM policy builds the ARN as
# `parameter<name>`): a leading '/', letters, digits and . _ - /, at most 1011 characters and 15 levels,
# no empty level, and no `aws`/`ssm` prefix (reserved by AWS).
SSM_PARAMETER_NAME_RE = re.compile(r"^(/[A-Za-z0-9_.-]+){1,15}$")
SSM_PARAMETER_NAME_MAX = 1011


def check_parameter_name(value: str) -> str:
    """The one check of an SSM parameter name (config, `tooling secret`); never echoes the value. The
    notifier checks WEBHOOK_PARAMETER by the same rule (lambda_src/event_processors/settings.py
    is_parameter_name): tests/robustness/test_webhook_rules_agree.py holds both to one table of cases."""
    if len(value) > SSM_PARAMETER_NAME_MAX or not SSM_PARAMETER_NAME_RE.match(value):
        raise ValueError(
            "must be an SSM parameter name such as /ecommerce/dev/webhook-url: a leading '/', then up to "
            "15 levels of letters, digits, '.', '_' and '-' separated by '/' (a name, never the URL itself)"
        )
    if re.match(r"^/(aws|ssm)", value, re.IGNORECASE):
        raise ValueError("must not start with /aws or /ssm: AWS reserves those names")
    return value


class Processing(Model):
    high_value_threshold: Annotated[float, Field(gt=0)] = 1000
    # The SSM Parameter Store parameter (SecureString, encrypted with the stack's key) that holds the URL
    # the notifier posts alerts to; without it, alerts are structured log lines. Only the name is
    # configuration: the URL is a secret (its token is in the path), so it never reaches this file,
    # tfvars, the Terraform state or the Lambda environment (docs/deploying.md, "The webhook secret").
    webhook_parameter: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_webhook_url(cls, data: Any) -> Any:
        if isinstance(data, dict) and "webhook_url" in data:
            # The value is not repeated: it is the secret that must leave this file.
            raise ValueError(
                "webhook_url is no longer read: the webhook URL is a secret and must not be in the "
                "environment file. Remove it, put the URL in SSM Parameter Store (`tooling secret set "
                'webhook-url`), and set webhook_parameter = "/<project>/<environment>/webhook-url" '
                '(docs/deploying.md, "The webhook secret")'
            )
        return data

    @field_validator("webhook_parameter")
    @classmethod
    def _parameter_name(cls, value: str | None) -> str | None:
        return None if value is None else check_parameter_name(value)


def _check_email(value: str | None) -> str | None:
    """The one email check of [notifications] email and [alarms] email."""
    if value is not None and not EMAIL_RE.match(value):
        raise ValueError("must be an email address such as ops@example.com, or be left out")
    return value


class Notifications(Model):
    email: str | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return _check_email(value)


class Archive(Model):
    # 0 keeps events forever (EventBridge's own meaning of retention 0).
    retention_days: Annotated[int, Field(ge=0, le=3650)] = 30


S3ArchiveStorageClass = Literal[
    "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"
]
# Firehose refuses dynamic partitioning (the source= part of the S3 layout) with a smaller buffer.
DYNAMIC_PARTITIONING_MIN_BUFFER_MB = 64


class S3Archive(Model):
    """`[s3_archive]`: every event a rule sends to the `s3-archive` target, written by an Amazon Data Firehose
    stream into an S3 bucket as gzip JSON lines under source=<source>/year=/month=/day=/. Created when
    enabled and a rule targets `s3-archive` (`Config.creates_s3_archive`).
    (`[archive]` is the EventBridge archive used by replay; this one is for analytics and long retention.)"""

    enabled: bool = True
    # Firehose writes an object when a partition's buffer reaches this size (uncompressed) or its oldest
    # record this age, whichever comes first. Dynamic partitioning needs at least 64 MB (see _cross_checks).
    buffer_size_mb: Annotated[int, Field(ge=1, le=128)] = 64
    buffer_interval_seconds: Annotated[int, Field(ge=0, le=900)] = 300
    # Objects move to storage_class this many days after they are written; expiration_days deletes them.
    transition_days: Annotated[int, Field(ge=0, le=36500)] = 30
    storage_class: S3ArchiveStorageClass = "GLACIER_IR"
    expiration_days: Annotated[int | None, Field(ge=1, le=36500)] = None

    @model_validator(mode="after")
    def _expiration_after_transition(self) -> S3Archive:
        if self.expiration_days is not None and self.expiration_days <= self.transition_days:
            raise ValueError(
                f"expiration_days ({self.expiration_days}) must be greater than transition_days "
                f"({self.transition_days}); S3 refuses a lifecycle that expires objects before they move"
            )
        if self.storage_class in ("STANDARD_IA", "ONEZONE_IA") and self.transition_days < 30:
            raise ValueError(
                f"transition_days ({self.transition_days}) must be at least 30 for {self.storage_class}; "
                "S3 moves objects to the IA classes only after 30 days"
            )
        return self


# The batch queue's visibility timeout (terraform/modules/messaging, 300 s): Lambda refuses an SQS event source
# mapping whose function timeout is longer than it.
BATCH_QUEUE_VISIBILITY_SECONDS = 300


class BatchProcessor(Model):
    """`[batch_processor]`: the batch queue's consumer (a Lambda behind an SQS event source mapping).

    maxReceiveCount is not here: the batch queue's redrive policy already has it (5, messaging module)."""

    enabled: bool = True
    # SQS event source mapping limits: 1-10000 messages per batch, a batching window of 0-300 s (a batch
    # size over 10 needs a window of at least 1 s; see _batch_checks).
    batch_size: Annotated[int, Field(ge=1, le=10000)] = 10
    batching_window_seconds: Annotated[int, Field(ge=0, le=300)] = 5
    # The event source mapping's filter (FilterCriteria, one pattern): Lambda deletes the messages it does
    # not match without invoking the function. It filters the SQS record, so the event is under "body":
    # { body = { detail-type = ["Order Created"] } }. A TOML table, or a JSON string. Checked as Lambda checks
    # it (config_limits.py: an event pattern, with the operators a Lambda filter takes).
    filter_pattern: dict[str, Any] | None = None

    @field_validator("filter_pattern", mode="before")
    @classmethod
    def _filter_json(cls, value: Any) -> Any:
        return _json_object_text(value)

    @property
    def filter_pattern_json(self) -> str | None:
        """The filter as Lambda's FilterCriteria Pattern string (compact JSON), or None."""
        if self.filter_pattern is None:
            return None
        return json.dumps(self.filter_pattern, separators=(",", ":"))


class EventStore(Model):
    """`[event_store]`: the DynamoDB table the batch processor writes every event to."""

    enabled: bool = True
    # Items expire this many days after the event's time (DynamoDB TTL; deletion lags by up to days).
    ttl_days: Annotated[int, Field(ge=1, le=3650)] = 90
    point_in_time_recovery: bool = True


class Logs(Model):
    retention_days: Literal[
        1,
        3,
        5,
        7,
        14,
        30,
        60,
        90,
        120,
        150,
        180,
        365,
        400,
        545,
        731,
        1096,
        1827,
        2192,
        2557,
        2922,
        3288,
        3653,
    ] = 14


class Alarms(Model):
    period_seconds: Literal[60, 300, 900, 3600] = 300
    evaluation_periods: Annotated[int, Field(ge=1, le=24)] = 1
    lambda_errors: Annotated[int, Field(ge=1)] = 1
    lambda_throttles: Annotated[int, Field(ge=1)] = 1
    failed_invocations: Annotated[int, Field(ge=1)] = 1
    dlq_messages: Annotated[int, Field(ge=1)] = 1
    # Subscribed to the operations topic every alarm notifies; without it the alarms notify nobody.
    email: str | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return _check_email(value)

    def thresholds(self) -> dict[str, int]:
        """The period and thresholds: Terraform's `alarms` object (the email is a variable of its own)."""
        return self.model_dump(exclude={"email"})


class Publisher(Model):
    # AWS's PutEvents request limit (tooling.aws_limits, 1 MiB since January 2026); lower it to keep requests
    # small, never above AWS's figure.
    max_request_bytes: Annotated[int, Field(ge=1024, le=PUT_EVENTS_REQUEST_BYTES)] = PUT_EVENTS_REQUEST_BYTES
    max_attempts: Annotated[int, Field(ge=1, le=20)] = 8
    concurrency: Annotated[int, Field(ge=1, le=64)] = 4


class Quotas(Model):
    """`[quotas]`: the account's adjustable EventBridge quotas, when raised above AWS's defaults (the checks
    of config_limits.py use AWS's defaults otherwise)."""

    # Rules per event bus (eb-quota: 300, 100 in af-south-1 and eu-south-1; adjustable).
    rules_per_bus: Annotated[int | None, Field(ge=1)] = None


class Backend(Model):
    """S3 backend settings for `terraform init -backend-config`; absent means local state per environment."""

    bucket: str
    key: str
    region: str
    use_lockfile: bool = True


# The services terraform/ talks to; the root variable `endpoints` accepts exactly these keys.
# sfn too: the provider validates the Step Functions definition at plan time (ValidateStateMachineDefinition).
EndpointService = Literal[
    "cloudwatch",
    "dynamodb",
    "events",
    "firehose",
    "iam",
    "kms",
    "lambda",
    "logs",
    # route53: [failover]'s health check (Route 53 is global; the provider sends it to one endpoint).
    "route53",
    "s3",
    "schemas",
    "sfn",
    "sns",
    "sqs",
    "sts",
]


class Terraform(Model):
    backend: Backend | None = None
    # Provider endpoint overrides (service -> URL) for an AWS-compatible emulator.
    endpoints: dict[EndpointService, Annotated[str, Field(pattern=r"^https?://")]] = {}
    # Account ids allowed to PutEvents on the bus; empty means no bus policy.
    publisher_account_ids: list[Annotated[str, Field(pattern=r"^\d{12}$")]] = []
    # The permissions boundary every IAM role of the stack carries (terraform/bootstrap's
    # github-<project>-<env>-boundary, which the CI deploy role requires); none when absent.
    permissions_boundary_arn: (
        Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:policy/.+$")] | None
    ) = None


class Schemas(Model):
    """`[schemas]`: the EventBridge schema registry built from the files under schemas/."""

    registry: bool = True
    # Schema discovery costs money per ingested event, and AWS refuses it on a bus encrypted with a
    # customer-managed key (which this project's bus always is); see _cross_checks.
    discoverer: bool = False


# Region names of every partition: us-east-1, us-gov-west-1, cn-north-1, us-isob-east-1, eu-isoe-west-1,
# eusc-de-east-1 (the AWS European Sovereign Cloud). terraform/variables.tf repeats it.
REGION_PATTERN = r"^[a-z]{2,4}(-[a-z]+)?-[a-z]+-\d{1,2}$"
# Region-name prefix -> partition, longest first; every other region is in the commercial partition.
PARTITION_PREFIXES = (
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-iso-", "aws-iso"),
    ("eusc-", "aws-eusc"),
    ("cn-", "aws-cn"),
)
ARCHIVE_NAME_LIMIT = 48


# Forwarded AWS service events keep their own source, `aws.<service>` (aws.ec2, aws.health, ...).
AWS_SOURCE_RE = re.compile(r"^aws\.[a-z0-9][a-z0-9.-]*$")
FORWARDING_RULE_SUFFIX = "-forward-default"


class Forwarding(Model):
    """`[forwarding]`: a rule on the account's default bus forwards these AWS service events to the custom
    bus (with a role that may only PutEvents there, and the events DLQ), where the routing table routes
    them. An empty `detail_types` forwards every event of the sources."""

    enabled: bool = True
    sources: list[str] = ["aws.ec2", "aws.health"]
    detail_types: list[Annotated[str, Field(min_length=1, max_length=128)]] = []

    @field_validator("sources")
    @classmethod
    def _sources(cls, value: list[str]) -> list[str]:
        for source in value:
            if not AWS_SOURCE_RE.match(source):
                raise ValueError(
                    f"{source!r} is not an AWS service source such as aws.ec2 or aws.health; the default "
                    "bus carries AWS service events (the e-commerce services publish on the custom bus)"
                )
        if len(set(value)) != len(value):
            raise ValueError("lists a source twice; list each once")
        return value

    @model_validator(mode="after")
    def _needs_sources(self) -> Forwarding:
        if self.enabled and not self.sources:
            raise ValueError(
                "sources is empty while forwarding is enabled; list AWS sources such as "
                'sources = ["aws.ec2"], or set enabled = false'
            )
        return self

    @property
    def pattern(self) -> dict[str, Any]:
        """The forwarding rule's event pattern: the sources, narrowed to the detail types when listed."""
        pattern: dict[str, Any] = {"source": list(self.sources)}
        if self.detail_types:
            pattern["detail-type"] = list(self.detail_types)
        return pattern


# The global endpoint's health alarm ([failover.health_alarm]): AWS/Events metrics an alarm on the primary
# region can watch. The latency metric is AWS's template (eb-ge-cfn); the counts fail over on errors instead.
HealthMetric = Literal[
    "IngestionToInvocationStartLatency",
    "FailedInvocations",
    "ThrottledRules",
    "InvocationsFailedToBeSentToDlq",
]
TreatMissingData = Literal["breaching", "notBreaching", "ignore", "missing"]
ENDPOINT_NAME_SUFFIX = "-endpoint"
HEALTH_ALARM_SUFFIX = "-failover-health"
# The longest IAM role name of the secondary region (modules/workflows' target role, with the -dr suffix).
SECONDARY_WORKFLOW_ROLE_SUFFIX = "-order-fulfilment-target-dr"
# CloudWatch: period x evaluation periods may not exceed one day.
ALARM_WINDOW_LIMIT_SECONDS = 86400


class HealthAlarm(Model):
    """`[failover.health_alarm]`: the CloudWatch alarm in the primary region that the Route 53 health check
    reports; ALARM makes the endpoint send to the secondary region, OK brings traffic back. The defaults are
    AWS's template (EventBridge guide, "Setting up the Route 53 health check for global endpoints"): the
    average IngestionToInvocationStartLatency above 30 s for 5 one-minute periods, missing data breaching."""

    metric: HealthMetric = "IngestionToInvocationStartLatency"
    # No percentiles: Route 53 health checks refuse alarms on extended statistics (API reference,
    # AlarmIdentifier).
    statistic: Literal["Average", "Maximum", "Sum"] = "Average"
    # Milliseconds for the latency metric, a count for the others; the alarm fires above it.
    threshold: Annotated[float, Field(ge=0)] = 30000
    period_seconds: int = 60
    evaluation_periods: Annotated[int, Field(ge=1, le=1440)] = 5
    # AWS's template breaches on missing data: a quiet bus then fails over. Choose deliberately.
    treat_missing_data: TreatMissingData = "breaching"

    @field_validator("period_seconds")
    @classmethod
    def _period(cls, value: int) -> int:
        # AWS/Events metrics are standard resolution (one point a minute), and Route 53 health checks refuse
        # high-resolution (10 or 30 s) alarms.
        if value < 60 or value % 60:
            raise ValueError(
                f"{value} is not a period the health alarm can use; use a multiple of 60 (AWS/Events metrics "
                "come once a minute, and Route 53 health checks refuse 10 and 30 s alarms)"
            )
        return value

    @model_validator(mode="after")
    def _can_fire(self) -> HealthAlarm:
        window = self.period_seconds * self.evaluation_periods
        if window > ALARM_WINDOW_LIMIT_SECONDS:
            raise ValueError(
                f"period_seconds x evaluation_periods is {window} s, over CloudWatch's one day; "
                "lower one of them"
            )
        if self.metric == "IngestionToInvocationStartLatency" and self.statistic == "Sum":
            raise ValueError(
                "a Sum of latencies grows with traffic, not with delay; use Average, Maximum or p99"
            )
        return self

    @property
    def window_seconds(self) -> int:
        """How long the metric must breach before the alarm (and so the endpoint) fails over."""
        return self.period_seconds * self.evaluation_periods


class Failover(Model):
    """`[failover]`: an EventBridge global endpoint over two buses of the same name, this stack's region
    (primary) and `secondary_region`, with the same rules and targets in both. Absent means one region."""

    secondary_region: Annotated[str, Field(pattern=REGION_PATTERN)]
    # The endpoint copies every event to the secondary bus too (AWS recommends it: the secondary stays
    # exercised and traffic returns by itself); consumers deduplicate on the business key.
    replication: bool = True
    # false: the secondary has its bus, rules' archive and KMS key but no targets; events reaching it while
    # failed over wait in its archive for `tooling replay` after recovery.
    secondary_consumers: bool = True
    health_alarm: HealthAlarm = HealthAlarm()


def partition_of(region: str) -> str:
    """The AWS partition of a region: what ARNs in it start with (arn:<partition>:...)."""
    return next((partition for prefix, partition in PARTITION_PREFIXES if region.startswith(prefix)), "aws")


class RetryPolicy(Model):
    maximum_retry_attempts: Annotated[int, Field(ge=0, le=185)] = 185
    maximum_event_age_seconds: Annotated[int, Field(ge=60, le=86400)] = 86400


class InputTransformer(Model):
    input_paths: dict[str, str] = {}
    input_template: Annotated[str, Field(min_length=1, max_length=8192)]

    @field_validator("input_paths")
    @classmethod
    def _paths(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 100:
            raise ValueError("at most 100 input paths are allowed")
        for key, path in value.items():
            if not re.match(r"^[A-Za-z0-9_-]+$", key):
                raise ValueError(f"input path name {key!r} may hold only letters, digits, '_' and '-'")
            if key.startswith("aws.events"):
                raise ValueError(f"input path name {key!r} is reserved by EventBridge")
            if not path.startswith("$"):
                raise ValueError(f"input path {key!r} must be a JSON path starting with '$', got {path!r}")
        return value


class Target(Model):
    target: TargetName
    # EventBridge target id; defaults to the logical name.
    id: Annotated[str | None, Field(pattern=r"^[\.\-_A-Za-z0-9]{1,64}$")] = None
    input_transformer: InputTransformer | None = None
    retry_policy: RetryPolicy = RetryPolicy()
    dead_letter_queue: bool = True

    @property
    def target_id(self) -> str:
        return self.id or self.target


RuleState = Literal["ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"]
CLOUDTRAIL_STATE = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"


def _json_object_text(value: Any) -> Any:
    """A pattern given as a JSON string, read as EventBridge reads it; a TOML table passes as it is."""
    if isinstance(value, str):
        try:
            return strict_json.loads(value, "the pattern", last_key_wins=True)  # as EventBridge reads it
        except strict_json.JSONRefused as exc:
            raise ValueError(exc.problem) from None
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
            ) from exc
    return value


class Rule(Model):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    description: Annotated[str, Field(max_length=512)] = ""
    enabled: bool = True
    # PutRule's State, when `enabled` is not enough: ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS also
    # matches the read-only management events CloudTrail delivers
    # (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html).
    # Given, it decides `enabled` (see _state).
    state: RuleState | None = None
    # A TOML table, or a JSON string (handy for null values, which TOML cannot write).
    pattern: dict[str, Any]
    targets: Annotated[list[Target], Field(min_length=1)]

    @model_validator(mode="before")
    @classmethod
    def _state(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if "schedule_expression" in data:
            # The Terraform provider documents the CloudTrail state as unusable with a schedule
            # (registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudwatch_event_rule#state),
            # and this routing table's rules are event-pattern rules of the custom bus in any case.
            if data.get("state") == CLOUDTRAIL_STATE:
                raise ValueError(
                    f"state {CLOUDTRAIL_STATE} cannot be used with a schedule_expression (AWS refuses the "
                    "pair); remove the schedule, or use state ENABLED"
                )
            raise ValueError(
                "schedule_expression is not a setting of this routing table: its rules match event patterns "
                "on the custom bus; schedule work with EventBridge Scheduler instead"
            )
        if data.get("state") is not None and "enabled" in data:
            raise ValueError("set either enabled or state, not both (state ENABLED/DISABLED says it already)")
        if isinstance(data.get("state"), str):
            data = {**data, "enabled": data["state"] != "DISABLED"}
        return data

    @field_validator("targets")
    @classmethod
    def _at_most_five(cls, value: list[Target]) -> list[Target]:
        if len(value) > TARGETS_PER_RULE:
            raise ValueError(
                f"has {len(value)} targets; EventBridge allows at most {TARGETS_PER_RULE} per rule "
                "(PutTargets, https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html): "
                "split it into two rules with the same pattern"
            )
        return value

    @property
    def rule_state(self) -> str:
        """PutRule's State for this rule."""
        return self.state or ("ENABLED" if self.enabled else "DISABLED")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not RULE_NAME_RE.match(value):
            raise ValueError("may hold only letters, digits, '_' and '-'")
        return value

    @field_validator("pattern", mode="before")
    @classmethod
    def _pattern_json(cls, value: Any) -> Any:
        return _json_object_text(value)

    @model_validator(mode="after")
    def _unique_target_ids(self) -> Rule:
        ids = [t.target_id for t in self.targets]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"target ids must be unique within a rule; repeated: {', '.join(dupes)}")
        return self

    @property
    def pattern_json(self) -> str:
        return json.dumps(self.pattern, separators=(",", ":"), sort_keys=False)


class Config(Model):
    project: Annotated[str, Field(min_length=2, max_length=20)]
    environment: Annotated[str, Field(min_length=2, max_length=10)]
    region: Annotated[str, Field(pattern=REGION_PATTERN)]
    tags: dict[str, str] = {}
    functions: Functions = Functions()
    processing: Processing = Processing()
    notifications: Notifications = Notifications()
    archive: Archive = Archive()
    s3_archive: S3Archive = S3Archive()
    logs: Logs = Logs()
    alarms: Alarms = Alarms()
    publisher: Publisher = Publisher()
    terraform: Terraform = Terraform()
    schemas: Schemas = Schemas()
    failover: Failover | None = None
    forwarding: Forwarding = Forwarding()
    batch_processor: BatchProcessor = BatchProcessor()
    event_store: EventStore = EventStore()
    quotas: Quotas = Quotas()
    rules: Annotated[list[Rule], Field(min_length=1)]

    @model_validator(mode="before")
    @classmethod
    def _replication_moved(cls, data: Any) -> Any:
        # [replication] (a forward-only replica bus) became [failover]; say how to move instead of "extra".
        if isinstance(data, dict) and "replication" in data:
            raise ValueError(
                "[replication] was replaced by [failover]: write [failover] with secondary_region = "
                '<the replication region> (docs/architecture.md: "Moving from [replication]")'
            )
        return data

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        # IAM treats tag keys case-insensitively: "project" next to the default "Project" fails every
        # IAM role's create on AWS (duplicate tag keys), and other services would keep both.
        for key in value:
            if key.lower().startswith("aws:"):
                raise ValueError(f"tag key {key!r} starts with 'aws:', which AWS reserves")
            clash = next((d for d in DEFAULT_TAG_KEYS if d.lower() == key.lower()), None)
            if clash is not None:
                raise ValueError(
                    f"tag key {key!r} clashes with the default tag {clash!r} (tag keys are "
                    "case-insensitive in IAM); remove it, terraform sets it"
                )
        return value

    @field_validator("project", "environment")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ValueError("must start with a letter and hold only lowercase letters, digits and '-'")
        return value

    def deployed_functions(self) -> list[tuple[str, FunctionSettings]]:
        """The functions that exist: the batch processor only while [batch_processor] is enabled."""
        return [
            (name, settings)
            for name, settings in self.functions.items()
            if name != BATCH_PROCESSOR or self.batch_processor.enabled
        ]

    def name_prefix(self, suffix: str) -> str:
        return f"{self.project}-{self.environment}-{suffix}"

    # What the stack creates is decided here, once: `tooling tfvars` hands Terraform the answers
    # (create_s3_archive, create_workflow) and the local target provisions by them.

    @property
    def creates_s3_archive(self) -> bool:
        """The S3 event archive exists: enabled, and a rule targets it (a routing table without one deploys
        no idle stream). Terraform's create_s3_archive; the primary region's only."""
        return self.s3_archive.enabled and self._targets(S3_ARCHIVE_TARGET)

    @property
    def creates_workflow(self) -> bool:
        """The order-fulfilment state machine exists: a rule targets it. Terraform's create_workflow."""
        return self._targets(WORKFLOW_TARGET)

    def _targets(self, target: str) -> bool:
        return any(t.target == target for rule in self.rules for t in rule.targets)

    def rule(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(name)


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":  # pydantic's marker for a bad mapping key
            out += " (key)"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _cross_checks(config: Config) -> list[str]:
    """Checks that need the whole document: unique rule names, name lengths, valid event patterns."""
    from tooling.patterns import check_pattern  # the pattern engine owns AWS's rules and messages

    problems: list[str] = []
    seen: set[str] = set()
    longest_prefix = len(config.name_prefix("x" * SUFFIX_LENGTH)) + 1
    for index, rule in enumerate(config.rules):
        if rule.name in seen:
            problems.append(
                f"rules[{index}].name: rule name {rule.name!r} is used twice; names must be unique"
            )
        seen.add(rule.name)
        if longest_prefix + len(rule.name) > AWS_NAME_LIMIT:
            problems.append(
                f"rules[{index}].name: {rule.name!r} makes the rule name longer than {AWS_NAME_LIMIT} "
                f"characters once prefixed with '<project>-<environment>-<suffix>-'; shorten it"
            )
        if rule.name == FORWARDING_ALARM_KEY and config.forwarding.enabled:
            problems.append(
                f"rules[{index}].name: {rule.name!r} would give this rule the alarm names of the [forwarding] "
                "rule (<prefix>-rule-forwarding-...); choose another name"
            )
        reason = check_pattern(rule.pattern)
        if reason is not None:
            problems.append(f"rules[{index}].pattern: {reason}")
    if config.schemas.discoverer:
        problems.append(
            "schemas.discoverer: AWS does not support schema discovery on an event bus encrypted with a "
            "customer-managed key, and this project's bus always is; set it to false (the registry holds "
            "the schemas of schemas/ instead)"
        )
    if config.failover is not None:
        problems += _failover_checks(config, config.failover)
    problems += _workflow_loop_checks(config)
    problems += _s3_archive_checks(config)
    problems += _batch_checks(config)
    from tooling.config_limits import limit_problems  # AWS's quotas and filter modes, a module of their own

    problems += limit_problems(config)
    return problems


def _s3_archive_checks(config: Config) -> list[str]:
    """A rule may target s3-archive only while [s3_archive] is enabled, and Firehose's partitioning minimum
    holds. Enabled without such a rule is fine: the archive is created only when a rule feeds it (as the
    order workflow is), so a routing table without one deploys no idle stream."""
    archive = config.s3_archive
    targeting = [
        index
        for index, rule in enumerate(config.rules)
        if any(t.target == S3_ARCHIVE_TARGET for t in rule.targets)
    ]
    if not archive.enabled:
        return [
            f"rules[{index}].targets: target {S3_ARCHIVE_TARGET!r} needs [s3_archive] enabled = true; "
            f"enable it or remove the target"
            for index in targeting
        ]
    problems: list[str] = []
    if archive.buffer_size_mb < DYNAMIC_PARTITIONING_MIN_BUFFER_MB:
        problems.append(
            f"s3_archive.buffer_size_mb: {archive.buffer_size_mb} is below {DYNAMIC_PARTITIONING_MIN_BUFFER_MB}, "
            "the minimum Firehose allows with dynamic partitioning (the source= prefix); set 64 to 128"
        )
    return problems


def _batch_checks(config: Config) -> list[str]:
    """What AWS refuses when it creates the event source mapping, and the store's dependency on it."""
    problems: list[str] = []
    batch = config.batch_processor
    if config.event_store.enabled and not batch.enabled:
        problems.append(
            "event_store.enabled: the event store is written by the batch processor, which is disabled; "
            "enable [batch_processor] or set event_store.enabled = false"
        )
    if not batch.enabled:
        return problems
    if batch.batch_size > 10 and batch.batching_window_seconds < 1:
        problems.append(
            f"batch_processor.batching_window_seconds: a batch_size over 10 ({batch.batch_size}) needs a "
            "batching window of at least 1 second (Lambda's rule for SQS); raise it or lower batch_size"
        )
    timeout = config.functions.batch_processor.timeout_seconds
    if timeout > BATCH_QUEUE_VISIBILITY_SECONDS:
        problems.append(
            f"functions.batch-processor.timeout_seconds: {timeout} is longer than the batch queue's "
            f"visibility timeout ({BATCH_QUEUE_VISIBILITY_SECONDS} s), which Lambda refuses for an SQS "
            f"event source; use at most {BATCH_QUEUE_VISIBILITY_SECONDS}"
        )
    return problems


def _workflow_loop_checks(config: Config) -> list[str]:
    """A rule that sends the order workflow's own events back to it would start executions forever.

    Only the pattern's `source` and `detail-type` are checked (dropping the other fields can only widen
    what a pattern matches), so a rule must keep the workflow's detail-types out by those two fields: a
    detail filter (totalAmount ranges, say) cannot prove the loop away for every order.
    """
    from tooling.order_workflow import sample_published_events
    from tooling.patterns import check_pattern, compile_pattern  # the engine the local target routes with

    problems: list[str] = []
    published = sample_published_events(config.processing.high_value_threshold)
    for index, rule in enumerate(config.rules):
        if not any(t.target == WORKFLOW_TARGET for t in rule.targets) or check_pattern(rule.pattern):
            continue
        envelope = {k: v for k, v in rule.pattern.items() if k in ("source", "detail-type")}
        pattern = compile_pattern(envelope) if envelope else None
        looping = sorted({e["detail-type"] for e in published if pattern is None or pattern.matches(e)})
        if looping:
            problems.append(
                f"rules[{index}].pattern: its source and detail-type admit the "
                f"{' and '.join(repr(t) for t in looping)} events the order-workflow target publishes, so "
                "an execution could start another one, forever; "
                'narrow the pattern (for instance to detail-type "Order Created")'
            )
    return problems


def _failover_checks(config: Config, failover: Failover) -> list[str]:
    """The endpoint needs two regions of one partition. (Its name, <prefix>-endpoint, is at most 47 of the
    64 characters EventBridge allows: project and environment lengths are capped above.) The secondary's IAM
    roles end in -dr (terraform/locals.tf): the workflow's target role is the longest."""
    problems: list[str] = []
    workflow = any(t.target == "order-workflow" for rule in config.rules for t in rule.targets)
    if failover.secondary_consumers and workflow:
        longest = len(config.name_prefix("x" * SUFFIX_LENGTH)) + len(SECONDARY_WORKFLOW_ROLE_SUFFIX)
        if longest > AWS_NAME_LIMIT:
            problems.append(
                f"failover: the secondary's role <project>-<environment>-<suffix>{SECONDARY_WORKFLOW_ROLE_SUFFIX} "
                f"would be {longest} characters, over IAM's {AWS_NAME_LIMIT}; shorten project or environment"
            )
    if failover.secondary_region == config.region:
        problems.append(
            f"failover.secondary_region: must differ from region ({config.region}); "
            "the secondary takes the traffic when that region fails"
        )
    elif partition_of(failover.secondary_region) != partition_of(config.region):
        problems.append(
            f"failover.secondary_region: {failover.secondary_region} is in another AWS partition than "
            f"{config.region}; a global endpoint's regions share one partition"
        )
    return problems


def parse_config(data: dict[str, Any], source: str = "<config>") -> Config:
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems = [f"{_format_loc(err['loc'])}: {_message(err)}" for err in exc.errors()]
        raise ConfigError(source, problems) from None
    problems = _cross_checks(config)
    if problems:
        raise ConfigError(source, problems)
    return config


# pydantic's strict type errors -> what the setting must be, in TOML's words.
STRICT_TYPES = {
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "a string",
}


def _message(err: Any) -> str:
    msg = str(err["msg"])
    if err["type"] == "extra_forbidden":
        return "unknown setting (check its spelling against the configuration reference in docs/configuration.md)"
    if err["type"] == "missing":
        return "is required"
    expected = STRICT_TYPES.get(str(err["type"]))
    if expected is not None:
        given = err.get("input")
        kind = "true/false" if isinstance(given, bool) else type(given).__name__
        return f"must be {expected}, not {kind} ({json.dumps(given, default=str)})"
    return msg.removeprefix("Value error, ")


def load_config(path: Path) -> Config:
    if not path.is_file():
        raise ConfigError(
            str(path), ["file not found: create it (copy environments/dev.toml) or pass --config"]
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise UsageError(
            f"{path} is not UTF-8 text: byte 0x{raw[exc.start]:02x} at line {line}, column {column}",
            hint="TOML files are UTF-8: save it as UTF-8 and run `tooling config validate` again",
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"(toml): {exc}"]) from None
    return parse_config(data, source=str(path))


def load_environment(path: Path, env: str) -> Config:
    """The environment file of `--env <env>`: valid, and declaring that environment (exit 2 otherwise;
    names, state folders and the terraform workspace all follow `environment`)."""
    config = load_config(path)
    if config.environment != env:
        raise ConfigError(
            str(path),
            [
                f"environment: the file declares {config.environment!r}, not {env!r} as --env says; "
                f"pass --env {config.environment}, or fix `environment` in the file"
            ],
        )
    return config
