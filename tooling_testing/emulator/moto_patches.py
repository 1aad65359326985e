"""In-process fixes for the gaps of moto 5.2.5 that real Terraform runs into, applied by emulator/__main__.py.

Each patch makes moto answer as AWS does for one behaviour the provider depends on; none changes what
Terraform is asked to do. README ("The AWS path without an account") lists them.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

MOTO_VERSION = "5.2.5"


def _moto(module: str) -> Any:
    """A moto module, untyped: the patches replace its methods, which its own annotations forbid."""
    return importlib.import_module(module)


def apply_all() -> list[str]:
    """Apply every patch; return one line per patch saying what it covers."""
    # Regional failover (a global endpoint, its health check, replication, global tables): modules of
    # their own, as the endpoints API is (endpoints_api.py).
    from tooling_testing.emulator import function_runner, global_tables, health_checks, replication

    patches = (
        _lambda_without_docker, _sqs_attributes, _lambda_configuration, _sfn_calls, _events_targets,
        _firehose_s3_delivery, _s3_secure_transport, _sqs_event_source_one_poller, _sns_lambda_authorized,
        _events_entry_size,
        health_checks.patch, replication.patch, global_tables.patch, function_runner.patch,
    )  # fmt: skip
    return [patch() for patch in patches]


def _lambda_without_docker() -> str:
    default_user_config = _moto("moto.core.config").default_user_config
    # PutEvents to a rule with a Lambda target (and SNS -> Lambda) invokes the function; moto's default
    # runs it in Docker and answers HTTP 500 without one. Without Docker moto records the invocation.
    default_user_config["lambda"]["use_docker"] = False
    return "lambda: invocations are recorded without Docker (moto config lambda.use_docker=false)"


def _sqs_attributes() -> str:
    sqs = _moto("moto.sqs.models")
    Queue, SQSBackend = sqs.Queue, sqs.SQSBackend
    set_attributes = Queue._set_attributes

    def _set_attributes(self: Any, attributes: dict[str, Any], now: float | None = None) -> None:
        # AWS changes only the attributes named in SetQueueAttributes; moto resets Policy to none when
        # it is absent, so aws_sqs_queue_redrive_allow_policy erased aws_sqs_queue_policy's write and the
        # provider waited forever for the policy to read back.
        policy = getattr(self, "policy", None)
        set_attributes(self, attributes, now)
        if "Policy" not in attributes:
            self.policy = policy

    attributes_of = Queue.attributes.fget

    def attributes(self: Any) -> dict[str, Any]:
        result: dict[str, Any] = attributes_of(self)
        if self.redrive_policy:  # AWS answers compact JSON; moto's spaced JSON is a perpetual diff
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        if getattr(self, "redrive_allow_policy", None):  # stored by moto, never returned
            result["RedriveAllowPolicy"] = self.redrive_allow_policy
        return result

    get_queue_attributes = SQSBackend.get_queue_attributes

    def get_attributes(self: Any, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
        # moto rejects the name RedriveAllowPolicy (InvalidAttributeName); AWS returns it.
        names = [n for n in attribute_names if n != "RedriveAllowPolicy"]
        result: dict[str, Any] = get_queue_attributes(self, queue_name, names) if names else {}
        queue = self.get_queue(queue_name)
        wanted = "RedriveAllowPolicy" in attribute_names or "All" in attribute_names
        if wanted and "RedriveAllowPolicy" in queue.attributes:
            result["RedriveAllowPolicy"] = queue.attributes["RedriveAllowPolicy"]
        return result

    Queue._set_attributes = _set_attributes
    Queue.attributes = property(attributes)
    SQSBackend.get_queue_attributes = get_attributes
    return (
        "sqs: SetQueueAttributes keeps attributes it is not given; RedriveAllowPolicy is returned; "
        "RedrivePolicy is compact JSON"
    )


def _lambda_configuration() -> str:
    LambdaFunction = _moto("moto.awslambda.models").LambdaFunction
    init = LambdaFunction.__init__
    get_configuration = LambdaFunction.get_configuration
    update_configuration = LambdaFunction.update_configuration

    def __init__(self: Any, account_id: str, spec: dict[str, Any], region: str, version: Any = 1) -> None:
        init(self, account_id, spec, region, version)
        self.dead_letter_config = spec.get("DeadLetterConfig")
        self.logging_config = spec.get("LoggingConfig")

    def configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        # moto omits both, so every re-plan wanted to add dead_letter_config and logging_config.
        config: dict[str, Any] = get_configuration(self, on_create)
        if getattr(self, "dead_letter_config", None):
            config["DeadLetterConfig"] = self.dead_letter_config
        logging = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{self.function_name}"}  # AWS's default
        config["LoggingConfig"] = {**logging, **(getattr(self, "logging_config", None) or {})}
        return config

    def update(self: Any, updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in updates:
            self.dead_letter_config = updates["DeadLetterConfig"]
        if "LoggingConfig" in updates:
            self.logging_config = updates["LoggingConfig"]
        result: dict[str, Any] = update_configuration(self, updates)
        return result

    LambdaFunction.__init__ = __init__
    LambdaFunction.get_configuration = configuration
    LambdaFunction.update_configuration = update
    return "lambda: GetFunction returns DeadLetterConfig and LoggingConfig"


def _sfn_calls() -> str:
    ActionResult = _moto("moto.core.responses").ActionResult
    StepFunctionResponse = _moto("moto.stepfunctions.responses").StepFunctionResponse

    def validate_state_machine_definition(self: Any) -> Any:
        # The provider calls it at plan time; moto answers "not implemented" (HTTP 500) and the provider
        # retries for many minutes. The definition's correctness is tested against the local emulation.
        return ActionResult({"result": "OK", "diagnostics": [], "truncated": False})

    def list_state_machine_versions(self: Any) -> Any:
        # Read after create; moto does not implement it. The stack publishes no versions.
        return ActionResult({"stateMachineVersions": []})

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition
    StepFunctionResponse.list_state_machine_versions = list_state_machine_versions
    return "stepfunctions: ValidateStateMachineDefinition answers OK; ListStateMachineVersions answers none"


def _events_targets() -> str:
    import copy
    import sys
    from datetime import UTC, datetime

    lambda_backend = _moto("moto.awslambda.utils").get_backend
    events = _moto("moto.events.models")
    EventTemplateParser, Rule = events.EventTemplateParser, events.Rule
    sns_backends = _moto("moto.sns.models").sns_backends
    stepfunctions_backends = _moto("moto.stepfunctions.models").stepfunctions_backends
    firehose_backends = _moto("moto.firehose.models").firehose_backends
    sqs_backends = _moto("moto.sqs.models").sqs_backends
    cloudwatch_backends = _moto("moto.cloudwatch.models").cloudwatch_backends
    parse_arn = _moto("moto.utilities.arns").parse_arn
    from tooling import aws_limits
    from tooling_testing.checks import authorization

    send_to_targets = Rule.send_to_targets

    def deliver(target: dict[str, Any], payload: str) -> None:
        arn = parse_arn(target["Arn"])
        if arn.service == "lambda":  # asynchronous, as EventBridge invokes functions
            function = arn.resource_id.split(":")[0]
            lambda_backend(arn.account, arn.region).invoke(
                function, None, payload, {"X-Amz-Invocation-Type": "Event"}, {}
            )
        elif arn.service == "sns":
            sns_backends[arn.account][arn.region].publish(payload, arn=target["Arn"])
        elif arn.service == "firehose":  # PutRecord with the target's role (the S3 event archive)
            stream = arn.resource_id.removeprefix("deliverystream/")
            firehose_backends[arn.account][arn.region].put_record(stream, {"Data": payload.encode()})
        else:  # states
            stepfunctions_backends[arn.account][arn.region].start_execution(target["Arn"], "", payload)

    def send(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
        # moto delivers to queues, log groups and buses only and raises NotImplementedError (HTTP 500 for
        # the whole PutEvents) for the stack's Lambda, SNS, Step Functions and Firehose targets. And moto
        # enforces no policy: every target is first authorized as AWS would (authorization.py).
        if getattr(self, "managed_by", None):  # an archive's own rule: EventBridge's, no policy applies
            send_to_targets(self, original_event, transform_input)
            return
        if not self.event_pattern.matches_event(original_event):
            return
        verdicts = authorization.rule_verdicts(self)
        allowed = [t for t in self.targets if verdicts[t["Id"]].allowed]
        for target in self.targets:
            verdict = verdicts[target["Id"]]
            if not verdict.allowed:
                fail(self, target, original_event, "NO_PERMISSIONS", verdict.message, verdict)
        ours = [t for t in allowed if parse_arn(t["Arn"]).service in ("lambda", "sns", "states", "firehose")]
        rest = copy.copy(self)
        rest.targets = [t for t in allowed if t not in ours]
        if rest.targets:
            send_to_targets(rest, original_event, transform_input)
        # moto keeps an event's time as epoch seconds and writes it as EventBridge does (ISO 8601, UTC, to
        # the second) only for its own targets (queues, log groups); these get the same text, which the
        # handlers validate.
        delivered = dict(original_event)
        if isinstance(delivered.get("time"), int | float):
            delivered["time"] = datetime.fromtimestamp(float(delivered["time"]), UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
        for target in ours:
            transformer = target.get("InputTransformer")
            event: Any = delivered
            if transform_input and transformer:
                event = EventTemplateParser.parse(
                    input_template=transformer.get("InputTemplate"),
                    input_paths_map=transformer.get("InputPathsMap", {}),
                    event=delivered,
                )
            payload = event if isinstance(event, str) else json.dumps(event)
            too_large = aws_limits.delivery_refusal(parse_arn(target["Arn"]).service, payload)
            if too_large is not None:  # SNS, Step Functions, Firehose take less than EventBridge's 1 MiB
                fail(
                    self,
                    target,
                    original_event,
                    aws_limits.DELIVERY_ERROR_CODE,
                    too_large,
                    verdicts[target["Id"]],
                )
                continue
            try:
                deliver(target, payload)
            except (
                Exception
            ) as exc:  # a failed delivery is the rule's FailedInvocations, not PutEvents' error
                print(f"delivery to {target['Arn']} failed: {exc!r}", file=sys.stderr)

    def fail(
        rule: Any, target: dict[str, Any], event: dict[str, Any], code: str, message: str, verdict: Any
    ) -> None:
        """A client error (a denied hop, a payload the service refuses): not retried; FailedInvocations, and
        the event in the target's DLQ when that hop is allowed."""
        arn = parse_arn(rule.arn)
        print(f"delivery of {rule.name} to {target['Arn']} refused: {message}", file=sys.stderr)
        metrics = ["FailedInvocations"]
        dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
        if dlq and verdict.dead_letter_allowed:
            queue = parse_arn(dlq)
            attributes = authorization.dead_letter_attributes(rule.arn, target["Arn"], message, code)
            sqs_backends[queue.account][queue.region].send_message(
                queue.resource_id, authorization.event_body(event), message_attributes=attributes
            )
            metrics.append("InvocationsSentToDLQ")
        elif dlq:
            metrics.append("InvocationsFailedToBeSentToDLQ")
        cloudwatch_backends[arn.account][arn.region].put_metric_data(
            "AWS/Events",
            [{"MetricName": name, "Value": 1.0, "Unit": "Count",
              "Dimensions": [{"Name": "RuleName", "Value": rule.name}]} for name in metrics],
        )  # fmt: skip

    Rule.send_to_targets = send
    return (
        "events: rules deliver to Lambda (async invoke), SNS topics, Step Functions state machines and "
        "Firehose streams, the event's time as EventBridge writes it; every target only when the access "
        "evaluator allows the hop and its service takes the payload's size (else FailedInvocations and the "
        "DLQ, as AWS)"
    )


def _events_entry_size() -> str:
    from tooling.aws_limits import PUT_EVENTS_REQUEST_BYTES
    from tooling.publish.events import entry_size

    EventsBackend = _moto("moto.events.models").EventsBackend
    ValidationException = _moto("moto.events.exceptions").ValidationException
    put_events = EventsBackend.put_events

    def checked(self: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # moto takes entries of any size; AWS refuses a request whose entries add up to more than 1 MiB,
        # counted as it documents (tooling.aws_limits, eb-putevent-size), the local target's answer too.
        if sum(entry_size(event) for event in events) > PUT_EVENTS_REQUEST_BYTES:
            raise ValidationException("Total size of the entries in the request is over the limit.")
        result: list[dict[str, Any]] = put_events(self, events)
        return result

    EventsBackend.put_events = checked
    return (
        "events: PutEvents refuses a request whose entries add up to more than 1 MiB (AWS's entry-size count)"
    )


def _firehose_s3_delivery() -> str:
    import gzip
    import re
    from datetime import UTC, datetime

    firehose = _moto("moto.firehose.models")
    s3_backends = _moto("moto.s3.models").s3_backends
    Backend, mock_random = firehose.FirehoseBackend, firehose.mock_random
    timestamp = re.compile(r"!\{timestamp:([^}]+)\}")
    java_to_strftime = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H"}

    def processors(destination: dict[str, Any]) -> list[dict[str, Any]]:
        config = destination.get("ProcessingConfiguration") or {}
        return list(config.get("Processors", [])) if config.get("Enabled", True) else []

    def partitioned_prefix(destination: dict[str, Any], record: bytes, now: datetime) -> str:
        """The prefix with the MetadataExtraction query's `source` and the arrival time substituted."""
        prefix = str(destination.get("Prefix", ""))
        try:
            source = json.loads(record).get("source")
        except (ValueError, AttributeError):
            source = None
        if not isinstance(source, str):
            prefix = str(destination.get("ErrorOutputPrefix", "errors/")).replace(
                "!{firehose:error-output-type}", "partitioning-failed"
            )
        prefix = prefix.replace("!{partitionKeyFromQuery:source}", str(source))
        return timestamp.sub(lambda m: now.strftime(java_to_strftime.get(m[1], m[1])), prefix)

    def put_s3_records(
        self: Any, name: str, version_id: str, destination: dict[str, Any], records: list[dict[str, bytes]]
    ) -> list[dict[str, str]]:
        # moto writes each PutRecord as one object under the literal prefix plus YYYY/MM/DD/HH/, ignoring
        # dynamic partitioning, processors and compression. Firehose (with the stack's configuration)
        # partitions by the query's keys, appends the delimiter and gzips; here too, one object per
        # partition of the call (Firehose buffers longer; the layout and contents are what matter).
        if not (destination.get("DynamicPartitioningConfiguration") or {}).get("Enabled"):
            answer: list[dict[str, str]] = put_s3_records_of_moto(
                self, name, version_id, destination, records
            )
            return answer
        now = datetime.now(UTC)
        delimiter = any(p.get("Type") == "AppendDelimiterToRecord" for p in processors(destination))
        partitions: dict[str, list[bytes]] = {}
        for record in records:
            data = record["Data"] + (b"\n" if delimiter else b"")
            partitions.setdefault(partitioned_prefix(destination, record["Data"], now), []).append(data)
        bucket = destination["BucketARN"].split(":")[-1]
        for prefix, chunks in partitions.items():
            body = b"".join(chunks)
            gzipped = destination.get("CompressionFormat") == "GZIP"
            key = f"{prefix}{name}-{version_id}-{now:%Y-%m-%d-%H-%M-%S}-{mock_random.uuid4()}" + (
                ".gz" if gzipped else ""
            )
            s3_backends[self.account_id][self.partition].put_object(
                bucket, key, gzip.compress(body) if gzipped else body
            )
        return [{"RecordId": str(mock_random.uuid4())} for _ in records]

    put_s3_records_of_moto = Backend.put_s3_records
    Backend.put_s3_records = put_s3_records
    return "firehose: S3 delivery applies dynamic partitioning, AppendDelimiterToRecord and GZIP"


def _s3_secure_transport() -> str:
    FakeBucket = _moto("moto.s3.models").FakeBucket
    access_control = _moto("moto.iam.access_control")
    get_permission = FakeBucket.get_permission

    def insecure_only(statement: dict[str, Any]) -> bool:
        condition = statement.get("Condition") or {}
        values = (condition.get("Bool") or {}).get("aws:SecureTransport")
        values = values if isinstance(values, list) else [values]
        return statement.get("Effect") == "Deny" and [str(v).lower() for v in values] == ["false"]

    def permission(self: Any, action: str, resource: str) -> Any:
        # moto evaluates bucket policies for object requests without their Condition, so the archive
        # bucket's TLS-only statement (Deny unless aws:SecureTransport) denied every GetObject. The
        # emulator's loopback HTTP stands in for AWS's TLS: requests count as secure, and statements that
        # deny only insecure transport do not apply; every other statement is evaluated as moto does.
        if self.policy is None:
            return get_permission(self, action, resource)
        document = json.loads(self.policy.decode())
        statements = document.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        kept = [s for s in statements if not insecure_only(s)]
        if len(kept) == len(statements):
            return get_permission(self, action, resource)
        if not kept:
            return access_control.PermissionResult.NEUTRAL
        policy = access_control.IAMPolicy(json.dumps({**document, "Statement": kept}))
        return policy.is_action_permitted(action, resource)

    FakeBucket.get_permission = permission
    return "s3: bucket policies deny only insecure transport never apply (the emulator stands in for TLS)"


def _sqs_event_source_one_poller() -> str:
    import threading

    Queue = _moto("moto.sqs.models").Queue
    add_message = Queue.add_message
    locks: dict[int, threading.Lock] = {}
    guard = threading.Lock()

    def add_message_polled_once(self: Any, message: Any) -> None:
        # A queue with an event source mapping runs the mapping inside SendMessage (receive, invoke,
        # delete). Concurrent PutEvents calls (the publisher sends several at once) ran it in parallel and
        # raced on the same messages' receipt handles: DeleteMessage failed with ReceiptHandleIsInvalid and
        # moto answered the whole PutEvents with HTTP 400. One poller per queue here.
        if not self.lambda_event_source_mappings:
            add_message(self, message)
            return
        with guard:
            lock = locks.setdefault(id(self), threading.Lock())
        with lock:
            add_message(self, message)

    Queue.add_message = add_message_polled_once
    return "sqs: a queue's event source mapping runs one batch at a time (concurrent sends raced on receipts)"


def _sns_lambda_authorized() -> str:
    Subscription = _moto("moto.sns.models").Subscription
    sqs_backends = _moto("moto.sqs.models").sqs_backends
    cloudwatch_backends = _moto("moto.cloudwatch.models").cloudwatch_backends
    publish = Subscription.publish
    from tooling_testing.checks import authorization

    def authorized_publish(self: Any, message: str, message_id: str, *args: Any, **kwargs: Any) -> None:
        # moto invokes a subscribed function whatever its policy says. SNS needs the function's permission
        # for sns.amazonaws.com with the topic as aws:SourceArn; without it the delivery fails (a client
        # error, not retried) and the notification goes to the subscription's redrive DLQ.
        if self.protocol != "lambda":
            publish(self, message, message_id, *args, **kwargs)
            return
        redrive = json.loads(self.attributes.get("RedrivePolicy") or "{}")
        dlq = redrive.get("deadLetterTargetArn")
        verdict = authorization.subscription_verdict(self.topic.arn, self.endpoint, dlq)
        if verdict.allowed:
            invoke_subscriber(self, message, message_id, kwargs.get("subject"))
            return
        import sys

        print(f"SNS delivery to {self.endpoint} refused: {verdict.message}", file=sys.stderr)
        account, region, name = self.topic.arn.split(":")[4], self.topic.arn.split(":")[3], self.topic.name
        metrics = ["NumberOfNotificationsFailed"]
        if dlq and verdict.dead_letter_allowed:
            body = json.dumps(self.get_post_data(message, message_id, kwargs.get("subject")))
            queue = dlq.split(":")
            sqs_backends[queue[4]][queue[3]].send_message(queue[5], body)
            metrics.append("NumberOfNotificationsRedrivenToDlq")
        cloudwatch_backends[account][region].put_metric_data(
            "AWS/SNS",
            [{"MetricName": m, "Value": 1.0, "Unit": "Count", "Dimensions": [{"Name": "TopicName", "Value": name}]}
             for m in metrics],
        )  # fmt: skip

    def invoke_subscriber(subscription: Any, message: str, message_id: str, subject: str | None) -> None:
        # moto hands the message to the function object, whose invoke runs Docker (none here: the delivery
        # failed and no code ran). Through the backend's invoke instead, asynchronously as SNS invokes, with
        # the notification's own MessageId and TopicArn (moto's fixed example ids would make every message
        # one idempotency key): function_runner.py then runs the handler while switched on.
        from datetime import UTC, datetime

        get_backend = _moto("moto.awslambda.utils").get_backend
        parts = subscription.endpoint.split(":")
        function, qualifier = parts[6], (parts[7] if len(parts) == 8 else None)
        sns = {
            "Type": "Notification", "MessageId": message_id, "TopicArn": subscription.topic.arn,
            "Subject": subject, "Message": message, "MessageAttributes": {},
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        }  # fmt: skip
        event = {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
                              "EventSubscriptionArn": subscription.arn, "Sns": sns}]}  # fmt: skip
        get_backend(subscription.account_id, parts[3]).invoke(
            function, qualifier, json.dumps(event), {"X-Amz-Invocation-Type": "Event"}, {}
        )

    Subscription.publish = authorized_publish
    return (
        "sns: a Lambda subscription is delivered only when the access evaluator allows it (else its DLQ), "
        "through the function's invoke with the notification's MessageId and TopicArn"
    )
