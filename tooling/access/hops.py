"""The hops of a deployment and their negative twins, built from the policies as deployed (collect.py).

Each hop names the principal AWS sees, the action, the resource and the request context AWS sets for that
call (aws:SourceArn/aws:SourceAccount when a service acts for a rule or topic, aws:SecureTransport, the
kms:EncryptionContext:* pairs and kms:ViaService of each service's KMS calls). The hop list follows the
routing the services report (ListTargetsByRule, subscriptions, event source mappings, dead-letter configs),
not the environment file, so a route added or changed out of band is evaluated too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tooling.access.collect import Deployment, Endpoint, Function, Rule, Target
from tooling.access.evaluator import ContextValue, Policy, Principal, Request
from tooling.access.matrix import Hop, Matrix, Step, evaluate_hops
from tooling.access.steps import PLAIN_HTTP, TLS, Steps

OTHER_ACCOUNT = "210987654321"  # "another account" in the twins: no policy of the stack may name it
EVENTS = Principal.service("events.amazonaws.com")
SNS = Principal.service("sns.amazonaws.com")
STATES = Principal.service("states.amazonaws.com")
FIREHOSE = Principal.service("firehose.amazonaws.com")
# Actions per table setting: what the function's code does there.
TABLE_ACTIONS = {
    "IDEMPOTENCY_TABLE": (
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    ),
    "EVENT_STORE_TABLE": ("dynamodb:PutItem",),
}
# The X-Ray calls the Lambda runtime makes for Active tracing.
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")


# A hop's negative twins: (what the twin changes, its steps).
Twins = list[tuple[str, list[Step]]] | tuple[()]


PLAIN_HTTP_TWIN = "plain HTTP"


def tls_only(policy: Policy | None) -> bool:
    """Whether the policy denies requests without TLS (a Deny on aws:SecureTransport false)."""
    if policy is None:
        return False
    statements = policy.document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        values = ((statement.get("Condition") or {}).get("Bool") or {}).get("aws:SecureTransport")
        values = values if isinstance(values, list) else [values]
        if statement.get("Effect") == "Deny" and [str(v).lower() for v in values] == ["false"]:
            return True
    return False


def other_account(arn: str) -> str:
    parts = arn.split(":")
    return ":".join([*parts[:4], OTHER_ACCOUNT, *parts[5:]]) if len(parts) > 5 else arn


class Builder(Steps):
    """The hops of one Deployment, each followed by its negative twins."""

    def __init__(self, deployment: Deployment) -> None:
        super().__init__(deployment)
        self.hops: list[Hop] = []

    # -- hops -----------------------------------------------------------------------------------------------

    def add(self, name: str, kind: str, steps: list[Step], twins: Twins = ()) -> None:
        self.hops.append(Hop(name, kind, tuple(steps)))
        for change, twin_steps in twins:
            if change == PLAIN_HTTP_TWIN and not any(tls_only(s.resource) for s in twin_steps):
                continue  # plain HTTP must be refused only where a policy says so (a TLS-only statement)
            self.hops.append(Hop(f"{name} [twin: {change}]", kind, tuple(twin_steps), False, name, change))

    def build(self) -> list[Hop]:
        for rule in self.d.rules:
            for target in rule.targets:
                self.rule_target(rule, target)
            self.rule_dead_letters(rule)
        for bus in self.d.buses.values():
            self.bus(bus.arn)
        for topic in self.d.topics.values():
            for subscription in topic.subscriptions:
                self.subscription(
                    topic.arn, subscription.protocol, subscription.endpoint, subscription.dead_letter_arn
                )
        for queue in self.d.queues.values():
            if queue.redrive_target:
                self.redrive(queue.arn, queue.redrive_target)
        for function in self.d.functions.values():
            self.function(function)
        for machine in self.d.state_machines.values():
            self.state_machine(machine.arn)
        for stream in self.d.streams.values():
            self.firehose(stream.arn)
        if self.d.endpoint is not None:
            self.endpoint_replication(self.d.endpoint)
        self.producer()
        return self.hops

    # rule -> target --------------------------------------------------------------------------------------------

    def other_rule(self, rule: Rule, target_arn: str) -> str:
        """Another rule of the same bus that does not deliver to this target (a made-up name if none)."""
        for other in self.d.rules:
            if (
                other.bus == rule.bus
                and other.arn != rule.arn
                and all(t.arn != target_arn for t in other.targets)
            ):
                return other.arn
        return rule.arn.rsplit("/", 1)[0] + f"/{self.prefix}-not-a-route"

    def rule_target(self, rule: Rule, target: Target) -> None:
        service = target.arn.split(":")[2]
        name = f"rule {self.short(rule.name)} -> {self.short(target.arn)}"
        other = self.other_rule(rule, target.arn)
        source = {"aws:SourceArn": rule.arn, "aws:SourceAccount": self.account}

        def steps(src: Mapping[str, ContextValue], transport: Mapping[str, ContextValue] = TLS) -> list[Step]:
            return self.delivery_steps(rule, target, service, src, transport)

        twin_source = {"aws:SourceArn": other, "aws:SourceAccount": self.account}
        twins = [(f"another rule of the bus ({self.short(other)})", steps(twin_source))]
        if service in ("sqs", "sns"):
            twins.append((PLAIN_HTTP_TWIN, steps(source, PLAIN_HTTP)))
            twins += self.key_scope_twin(service, target.arn)
        if service in ("events", "firehose", "states"):
            foreign = {"aws:SourceArn": other_account(rule.arn), "aws:SourceAccount": OTHER_ACCOUNT}
            twins.append(("the same rule in another account", steps(foreign)))
        self.add(name, "rule-target", steps(source), twins)

    def key_scope_twin(self, service: str, arn: str) -> list[tuple[str, list[Step]]]:
        """The key statement EventBridge delivers with is pinned to this topic or queue: the same call with
        another one's encryption context (the operations topic, another queue of the stack) is refused."""
        found = self.d.topics.get(arn) if service == "sns" else self.d.queues.get(arn)
        if found is None or found.kms_key is None:
            return []
        if service == "sns":
            other, key_name = self.operations_topic(arn), "kms:EncryptionContext:aws:sns:topicArn"
        else:
            queues = [q for q in self.d.queues if q != arn]
            other = queues[0] if queues else other_account(arn)
            key_name = "kms:EncryptionContext:aws:sqs:arn"
        context = {key_name: other, "kms:ViaService": self.service_domain(service)}
        change = f"the key for another {'topic' if service == 'sns' else 'queue'} ({self.short(other)})"
        return [(change, [self.kms_step(EVENTS, "kms:GenerateDataKey", found.kms_key, context)])]

    def cmk_steps(
        self, principal: Principal, key: str | None, context: Mapping[str, ContextValue]
    ) -> list[Step]:
        """The data-key calls a service makes with a customer managed key for the principal it acts for."""
        if key is None:
            return []
        return [self.kms_step(principal, a, key, context) for a in ("kms:GenerateDataKey", "kms:Decrypt")]

    def delivery_steps(
        self,
        rule: Rule,
        target: Target,
        service: str,
        source: Mapping[str, ContextValue],
        transport: Mapping[str, ContextValue],
    ) -> list[Step]:
        """What EventBridge does to deliver to `target`: Lambda, SNS and SQS are authorized by their resource
        policies (and the topic's or queue's key); Firehose, Step Functions and buses through the target role."""
        arn = target.arn
        if service == "lambda":
            return [self.service_step(EVENTS, "lambda:InvokeFunction", arn, source)]
        if service == "sns":
            topic = self.d.topics.get(arn)
            context = {
                "kms:EncryptionContext:aws:sns:topicArn": arn,
                "kms:ViaService": self.service_domain("sns"),
            }
            return [
                self.service_step(EVENTS, "sns:Publish", arn, {**source, **transport}),
                *self.cmk_steps(EVENTS, topic.kms_key if topic else None, context),
            ]
        if service == "sqs":
            queue = self.d.queues.get(arn)
            context = {"kms:EncryptionContext:aws:sqs:arn": arn, "kms:ViaService": self.service_domain("sqs")}
            return [
                self.service_step(EVENTS, "sqs:SendMessage", arn, {**source, **transport}),
                *self.cmk_steps(EVENTS, queue.kms_key if queue else None, context),
            ]
        role = target.role_arn or ""
        assume = self.assume_step(EVENTS, target.role_arn, source)
        if service == "firehose":
            return [
                assume,
                *(self.role_step(role, a, arn) for a in ("firehose:PutRecord", "firehose:PutRecordBatch")),
            ]
        if service == "states":
            return [assume, self.role_step(role, "states:StartExecution", arn)]
        if service == "events":
            bus = self.d.buses.get(arn)
            steps = [assume, self.role_step(role, "events:PutEvents", arn)]
            if bus is not None and bus.kms_key:  # the target bus encrypts what it takes with its key
                context = {"kms:EncryptionContext:aws:events:event-bus:arn": arn}
                steps.append(self.kms_step(EVENTS, "kms:GenerateDataKey", bus.kms_key, context))
            return steps
        missing = f"target service {service} is not evaluated"
        return [Step(Request(EVENTS, f"{service}:*", arn), self.account, missing=missing)]

    def rule_dead_letters(self, rule: Rule) -> None:
        for dlq in dict.fromkeys(t.dead_letter_arn for t in rule.targets if t.dead_letter_arn):
            name = f"rule {self.short(rule.name)} -> {self.short(dlq)} (undeliverable)"
            source = {"aws:SourceArn": rule.arn, "aws:SourceAccount": self.account, **TLS}
            foreign = {"aws:SourceArn": other_account(rule.arn), "aws:SourceAccount": OTHER_ACCOUNT, **TLS}
            self.add(
                name,
                "dead-letter",
                [self.service_step(EVENTS, "sqs:SendMessage", dlq, source)],
                [
                    (
                        "the same rule in another account",
                        [self.service_step(EVENTS, "sqs:SendMessage", dlq, foreign)],
                    )
                ],
            )

    # the bus: its key (events and archive) and its own DLQ -------------------------------------------------------

    def bus(self, arn: str) -> None:
        bus = self.d.buses[arn]
        name = self.short(arn) + self.where(arn)
        for archive, own_key in bus.archives.items():
            key = own_key or bus.kms_key
            if key is None:
                continue
            context = {"kms:EncryptionContext:aws:events:event-bus:arn": arn}
            other = {
                "kms:EncryptionContext:aws:events:event-bus:arn": arn.rsplit("/", 1)[0]
                + f"/{self.prefix}-other-bus"
            }
            actions = ("kms:GenerateDataKey", "kms:Decrypt")
            self.add(
                f"{name} -> {self.short(archive)} ({self.key_label(key)})",
                "bus",
                [self.kms_step(EVENTS, a, key, context) for a in actions],
                [
                    (
                        "another bus's encryption context",
                        [self.kms_step(EVENTS, a, key, other) for a in actions],
                    )
                ],
            )
        if bus.dead_letter_arn:
            dlq = bus.dead_letter_arn
            source: dict[str, ContextValue] = {"aws:SourceArn": arn, "aws:SourceAccount": self.account, **TLS}
            other_bus: dict[str, ContextValue] = {
                "aws:SourceArn": arn.rsplit("/", 1)[0] + "/default",
                "aws:SourceAccount": self.account,
                **TLS,
            }
            self.add(
                f"{name} -> {self.short(dlq)} (encryption errors)",
                "dead-letter",
                [self.service_step(EVENTS, "sqs:SendMessage", dlq, source)],
                [
                    (
                        "the account's default bus",
                        [self.service_step(EVENTS, "sqs:SendMessage", dlq, other_bus)],
                    )
                ],
            )

    # the failover's global endpoint: replication between the two buses ------------------------------------------

    def where(self, arn: str) -> str:
        """ " (<region>)" for a resource outside the stack's region: the failover's secondary has the same names."""
        region = arn.split(":")[3] if arn.count(":") >= 5 else self.region
        return f" ({region})" if region and region != self.region else ""

    def endpoint_replication(self, endpoint: Endpoint) -> None:
        """With replication, EventBridge copies each event from either bus to the other through its managed
        rules (GlobalEndpointManagedRule-*), assuming the endpoint's role: the role may put events on the two
        buses (the receiving bus encrypts with its own key) and on nothing else, for those rules only."""
        if not endpoint.replication:
            return
        role = endpoint.role_arn
        for source_bus, target_bus in zip(endpoint.bus_arns, reversed(endpoint.bus_arns), strict=True):
            if source_bus == target_bus:
                continue
            region = source_bus.split(":")[3]
            bus_name = source_bus.rsplit("/", 1)[-1]
            base = f"arn:{self.partition}:events:{region}:{self.account}:rule/{bus_name}"
            managed_rule = f"{base}/GlobalEndpointManagedRule-{self.prefix}-replication"
            own = {"aws:SourceArn": managed_rule, "aws:SourceAccount": self.account}
            other_rule = {
                "aws:SourceArn": f"{base}/{self.prefix}-not-a-route",
                "aws:SourceAccount": self.account,
            }
            foreign = {"aws:SourceArn": other_account(managed_rule), "aws:SourceAccount": OTHER_ACCOUNT}
            third_bus = target_bus.rsplit("/", 1)[0] + f"/{self.prefix}-other-bus"

            def steps(source: Mapping[str, ContextValue], bus: str = target_bus) -> list[Step]:
                found = self.d.buses.get(bus)
                put = [
                    self.assume_step(EVENTS, role, source),
                    self.role_step(role or "", "events:PutEvents", bus),
                ]
                if found is not None and found.kms_key:  # the receiving bus encrypts with its own key
                    context = {"kms:EncryptionContext:aws:events:event-bus:arn": bus}
                    put.append(self.kms_step(EVENTS, "kms:GenerateDataKey", found.kms_key, context))
                return put

            self.add(
                f"{self.short(endpoint.name)} replication: {self.short(source_bus)}{self.where(source_bus)} -> "
                f"{self.short(target_bus)}{self.where(target_bus)}",
                "replication",
                steps(own),
                [
                    (f"a third bus ({self.short(third_bus)})", steps(own, third_bus)),
                    (f"a rule of the bus that is not the endpoint's ({self.short(other_rule['aws:SourceArn'])})",
                     steps(other_rule)),
                    ("the same rule in another account", steps(foreign)),
                ],
            )  # fmt: skip

    # SNS -> subscription, its redrive DLQ ------------------------------------------------------------------------

    def operations_topic(self, topic_arn: str) -> str:
        return topic_arn.rsplit(":", 1)[0] + f":{self.prefix}-operations"

    def subscription(self, topic: str, protocol: str, endpoint: str, dlq: str | None) -> None:
        name = f"topic {self.short(topic)} -> {self.short(endpoint)}"
        source = {"aws:SourceArn": topic, "aws:SourceAccount": self.account}
        other = {"aws:SourceArn": self.operations_topic(topic), "aws:SourceAccount": self.account}
        if protocol == "lambda":
            self.add(
                name,
                "subscription",
                [self.service_step(SNS, "lambda:InvokeFunction", endpoint, source)],
                [
                    (
                        "another topic of the stack (operations)",
                        [self.service_step(SNS, "lambda:InvokeFunction", endpoint, other)],
                    )
                ],
            )
        if dlq:
            self.add(
                f"{name} -> {self.short(dlq)} (redrive)",
                "subscription",
                [self.service_step(SNS, "sqs:SendMessage", dlq, {**source, **TLS})],
                [
                    (
                        "another topic of the stack (operations)",
                        [self.service_step(SNS, "sqs:SendMessage", dlq, {**other, **TLS})],
                    ),
                    (
                        PLAIN_HTTP_TWIN,
                        [self.service_step(SNS, "sqs:SendMessage", dlq, {**source, **PLAIN_HTTP})],
                    ),
                ],
            )

    # SQS: consumers and redrive ------------------------------------------------------------------------------------

    def consumer_steps(
        self, role_arn: str, queue_arn: str, transport: Mapping[str, ContextValue] = TLS
    ) -> list[Step]:
        queue = self.d.queues.get(queue_arn)
        steps = [
            self.role_step(role_arn, a, queue_arn, transport)
            for a in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
        ]
        if queue is not None and queue.kms_key:
            context = {
                "kms:ViaService": self.service_domain("sqs"),
                "kms:EncryptionContext:aws:sqs:arn": queue_arn,
            }
            steps.append(self.kms_step(Principal.role(role_arn), "kms:Decrypt", queue.kms_key, context))
        return steps

    def redrive(self, source_arn: str, dlq_arn: str) -> None:
        """SQS moves a message past maxReceiveCount itself: no IAM call, but the DLQ's redrive allow policy
        decides which queues may use it (AWS refuses the RedrivePolicy otherwise)."""
        name = f"queue {self.short(source_arn)} -> {self.short(dlq_arn)} (redrive)"
        other = next((q for q in self.d.queues if q not in (source_arn, dlq_arn)), other_account(source_arn))
        self.add(
            name,
            "dead-letter",
            [self.redrive_step(source_arn, dlq_arn)],
            [(f"another queue ({self.short(other)})", [self.redrive_step(other, dlq_arn)])],
        )

    def redrive_step(self, source_arn: str, dlq_arn: str) -> Step:
        dlq = self.d.queues.get(dlq_arn)
        allow = (dlq.redrive_allow if dlq else None) or {"redrivePermission": "allowAll"}
        permission = allow.get("redrivePermission", "allowAll")
        sources = allow.get("sourceQueueArns") or []
        statement: dict[str, Any] = {
            "Sid": f"redrivePermission={permission}",
            "Effect": "Allow",
            "Principal": {"Service": "sqs.amazonaws.com"},
            "Action": "sqs:SendMessage",
        }
        if permission == "denyAll":
            statement["Effect"] = "Deny"
        elif permission == "byQueue":
            statement["Condition"] = {"ArnEquals": {"aws:SourceArn": sources or ["(none)"]}}
        policy = Policy(f"queue {self.short(dlq_arn)} redrive allow policy", {"Statement": [statement]})
        req = Request(
            Principal.service("sqs.amazonaws.com"), "sqs:SendMessage", dlq_arn, {"aws:SourceArn": source_arn}
        )
        return Step(
            req,
            self._account_of(dlq_arn),
            resource=policy,
            missing=None if dlq else f"{dlq_arn} does not exist",
        )

    # functions ---------------------------------------------------------------------------------------------------

    def other_function(self, function: Function, need: str) -> Function | None:
        candidates = [f for f in self.d.functions.values() if f.arn != function.arn and getattr(f, need)]
        return candidates[0] if candidates else None

    def function(self, fn: Function) -> None:
        name = self.short(fn.name)
        role = fn.role_arn
        for queue in fn.event_sources:
            other = self.other_function(fn, "role_arn")
            twins = (
                []
                if other is None
                else [
                    (
                        f"another function's role ({self.short(other.name)})",
                        self.consumer_steps(other.role_arn, queue),
                    )
                ]
            )
            twins.append((PLAIN_HTTP_TWIN, self.consumer_steps(role, queue, PLAIN_HTTP)))
            self.add(
                f"queue {self.short(queue)} -> {name} (event source mapping)",
                "consumer",
                self.consumer_steps(role, queue),
                twins,
            )
        if fn.dead_letter_arn:
            other = self.other_function(fn, "dead_letter_arn")
            twins = (
                []
                if other is None
                else [
                    (
                        f"another function's DLQ ({self.short(other.dead_letter_arn or '')})",
                        [self.role_step(role, "sqs:SendMessage", other.dead_letter_arn or "")],
                    )
                ]
            )
            twins.append(
                (PLAIN_HTTP_TWIN, [self.role_step(role, "sqs:SendMessage", fn.dead_letter_arn, PLAIN_HTTP)])
            )
            self.add(
                f"function {name} -> {self.short(fn.dead_letter_arn)} (async failure)",
                "function",
                [self.role_step(role, "sqs:SendMessage", fn.dead_letter_arn)],
                twins,
            )
        self.function_logs(fn)
        self.add(
            f"function {name} -> X-Ray",
            "function",
            [self.role_step(role, a, "*") for a in XRAY_ACTIONS],
            self.non_function_role_twin(XRAY_ACTIONS),
        )
        if fn.kms_key:
            context = {
                "kms:ViaService": self.service_domain("lambda"),
                "kms:EncryptionContext:aws:lambda:FunctionArn": fn.arn,
            }
            through_s3 = {**context, "kms:ViaService": self.service_domain("s3")}
            self.add(
                f"function {name} -> {self.key_label(fn.kms_key)} (environment)",
                "function",
                [self.kms_step(Principal.role(role), "kms:Decrypt", fn.kms_key, context)],
                [
                    (
                        "not through Lambda (kms:ViaService s3)",
                        [self.kms_step(Principal.role(role), "kms:Decrypt", fn.kms_key, through_s3)],
                    )
                ],
            )
        for table, setting in fn.tables.items():
            self.function_table(fn, table, setting)

    def non_function_role_twin(self, actions: tuple[str, ...]) -> list[tuple[str, list[Step]]]:
        """A role of the stack that is no function's (an EventBridge target role) must not do it."""
        function_roles = {f.role_arn for f in self.d.functions.values()}
        machine_roles = {m.role_arn for m in self.d.state_machines.values()}
        for rule in self.d.rules:
            for target in rule.targets:
                if target.role_arn and target.role_arn not in function_roles | machine_roles:
                    return [
                        (
                            f"an EventBridge target role ({self.short(target.role_arn)})",
                            [self.role_step(target.role_arn, a, "*") for a in actions],
                        )
                    ]
        return []

    def log_stream_arn(self, group: str, stream: str = "2025/01/01/[$LATEST]0123456789abcdef") -> str:
        found = self.d.log_groups.get(group)
        arn = (
            found.arn
            if found
            else f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:{group}"
        )
        return f"{arn}:log-stream:{stream}"

    def log_key_steps(self, group: str) -> list[Step]:
        found = self.d.log_groups.get(group)
        if found is None or found.kms_key is None:
            return []
        logs = Principal.service(self.service_domain("logs"))
        context = {"kms:EncryptionContext:aws:logs:arn": found.arn}
        return [
            self.kms_step(logs, a, found.kms_key, context) for a in ("kms:GenerateDataKey", "kms:Decrypt")
        ]

    def function_logs(self, fn: Function) -> None:
        role, name = fn.role_arn, self.short(fn.name)
        stream = self.log_stream_arn(fn.log_group)
        steps = [self.role_step(role, a, stream) for a in ("logs:CreateLogStream", "logs:PutLogEvents")]
        other = self.other_function(fn, "log_group")
        twins = (
            []
            if other is None
            else [
                (
                    f"another function's log group ({self.short(other.name)})",
                    [
                        self.role_step(role, a, self.log_stream_arn(other.log_group))
                        for a in ("logs:CreateLogStream", "logs:PutLogEvents")
                    ],
                )
            ]
        )
        self.add(
            f"function {name} -> log group {fn.log_group}",
            "function",
            steps + self.log_key_steps(fn.log_group),
            twins,
        )

    def function_table(self, fn: Function, table: str, setting: str) -> None:
        role, name = fn.role_arn, self.short(fn.name)
        actions = TABLE_ACTIONS.get(setting, ("dynamodb:PutItem",))
        steps = [self.role_step(role, a, table) for a in actions]
        key = self.d.tables[table].kms_key if table in self.d.tables else None
        if key:
            context = {
                "kms:ViaService": self.service_domain("dynamodb"),
                "kms:EncryptionContext:aws:dynamodb:tableName": table.rsplit("/", 1)[-1],
            }
            steps += [
                self.kms_step(Principal.role(role), a, key, context)
                for a in ("kms:GenerateDataKey", "kms:Decrypt")
            ]
        other = next(
            (f for f in self.d.functions.values() if f.arn != fn.arn and table not in f.tables), None
        )
        twins = (
            []
            if other is None
            else [
                (
                    f"another function's role ({self.short(other.name)})",
                    [self.role_step(other.role_arn, "dynamodb:PutItem", table)],
                )
            ]
        )
        self.add(f"function {name} -> table {self.short(table)}", "function", steps, twins)

    # Step Functions -----------------------------------------------------------------------------------------------

    def state_machine(self, arn: str) -> None:
        machine = self.d.state_machines[arn]
        name, role = self.short(arn), machine.role_arn
        source = {"aws:SourceArn": arn, "aws:SourceAccount": self.account}
        other = {
            "aws:SourceArn": arn.rsplit(":", 1)[0] + f":{self.prefix}-other-workflow",
            "aws:SourceAccount": self.account,
        }
        self.add(
            f"state machine {name} assumes its role",
            "workflow",
            [self.assume_step(STATES, role, source)],
            [("another state machine", [self.assume_step(STATES, role, other)])],
        )
        bus = self.d.outputs.event_bus_arn
        default_bus = bus.rsplit("/", 1)[0] + "/default"
        self.add(
            f"state machine {name} -> bus {self.short(bus)} (PutEvents)",
            "workflow",
            [self.role_step(role, "events:PutEvents", bus)],
            [("the account's default bus", [self.role_step(role, "events:PutEvents", default_bus)])],
        )
        for group_arn in machine.log_groups:
            group = group_arn.split(":log-group:", 1)[1]
            steps = [
                self.role_step(role, a, "*")
                for a in ("logs:CreateLogDelivery", "logs:PutResourcePolicy", "logs:DescribeLogGroups")
            ]
            foreign = f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:/aws/vendedlogs/states/not-{self.prefix}"
            logs = Principal.service(self.service_domain("logs"))
            found = self.d.log_groups.get(group)
            key = found.kms_key if found else None
            twins = (
                []
                if key is None
                else [
                    (
                        "a log group outside the stack",
                        [
                            self.kms_step(
                                logs,
                                "kms:GenerateDataKey",
                                key,
                                {"kms:EncryptionContext:aws:logs:arn": foreign},
                            )
                        ],
                    )
                ]
            )
            self.add(
                f"state machine {name} -> log group {group}",
                "workflow",
                steps + self.log_key_steps(group),
                twins,
            )

    # Firehose --------------------------------------------------------------------------------------------------

    def firehose(self, arn: str) -> None:
        stream = self.d.streams[arn]
        name, role = self.short(arn), stream.role_arn
        external = {"sts:ExternalId": self.account}
        self.add(
            f"firehose {name} assumes its role",
            "firehose",
            [self.assume_step(FIREHOSE, role, external)],
            [
                (
                    "another account's external id",
                    [self.assume_step(FIREHOSE, role, {"sts:ExternalId": OTHER_ACCOUNT})],
                )
            ],
        )
        obj = f"{stream.bucket_arn}/source=ecommerce.orders/year=2025/month=01/day=01/{self.short(arn)}-1.gz"

        def write(resource: str, transport: Mapping[str, ContextValue]) -> list[Step]:
            steps = [self.role_step(role, "s3:PutObject", resource, transport)]
            bucket = self.d.buckets.get(stream.bucket_arn)
            key = (bucket.kms_key if bucket else None) or stream.kms_key
            if key:  # S3 Bucket Keys: the encryption context is the bucket's ARN
                context = {
                    "kms:ViaService": self.service_domain("s3"),
                    "kms:EncryptionContext:aws:s3:arn": stream.bucket_arn,
                }
                steps += [self.kms_step(Principal.role(role), "kms:GenerateDataKey", key, context)]
            return steps

        other_bucket = f"arn:{self.partition}:s3:::{self.prefix}-other-bucket/k"
        self.add(
            f"firehose {name} -> bucket {self.short(stream.bucket_arn)}",
            "firehose",
            write(obj, TLS),
            [
                (PLAIN_HTTP_TWIN, write(obj, PLAIN_HTTP)),
                ("another bucket", [self.role_step(role, "s3:PutObject", other_bucket)]),
            ],
        )
        if stream.log_group:
            log_stream = self.log_stream_arn(stream.log_group, stream.log_stream or "DestinationDelivery")
            other_stream = self.log_stream_arn(stream.log_group, "another-stream")
            self.add(
                f"firehose {name} -> log group {stream.log_group}",
                "firehose",
                [
                    self.role_step(role, "logs:PutLogEvents", log_stream),
                    *self.log_key_steps(stream.log_group),
                ],
                [("another log stream", [self.role_step(role, "logs:PutLogEvents", other_stream)])],
            )

    # producers -------------------------------------------------------------------------------------------------

    def producer(self) -> None:
        """A service's role with the publisher policy the stack outputs (and nothing else) -> PutEvents."""
        bus = self.d.outputs.event_bus_arn
        role_arn = f"arn:{self.partition}:iam::{self.account}:role/{self.prefix}-example-publisher"
        foreign_arn = f"arn:{self.partition}:iam::{OTHER_ACCOUNT}:role/{self.prefix}-example-publisher"
        default_bus = bus.rsplit("/", 1)[0] + "/default"
        name = f"producer (publisher policy) -> {self.short(bus)}"
        if self.d.publisher_policy is None:
            missing = "the stack outputs no publisher policy (output publisher_policy_arn)"
            step = Step(
                Request(Principal.role(role_arn), "events:PutEvents", bus), self.account, missing=missing
            )
            self.add(name, "producer", [step])
            return
        label = (self.d.publisher_policy_arn or "publisher").rsplit("/", 1)[-1]
        policy = Policy(f"managed {self.short(label)}", self.d.publisher_policy)

        def put(role: str, resource: str, source: str = "ecommerce.orders") -> Step:
            principal = Principal.role(role)
            context = {"aws:PrincipalAccount": principal.account or "", "events:source": source, **TLS}
            req = Request(principal, "events:PutEvents", resource, context)
            return Step(req, self._account_of(resource), (policy,), None, self.resource_policy(resource)[0])

        self.add(
            name,
            "producer",
            [put(role_arn, bus)],
            [
                ("the account's default bus", [put(role_arn, default_bus)]),
                ("a source outside the stack (aws.ec2)", [put(role_arn, bus, "aws.ec2")]),
                ("a role of another account", [put(foreign_arn, bus)]),
            ],
        )
        # The global endpoint sends a producer's PutEvents to the secondary's bus while the primary is
        # unhealthy: the same policy must allow it there (and no other bus of that region).
        endpoint = self.d.endpoint
        for other in endpoint.bus_arns if endpoint is not None else []:
            if other == bus:
                continue
            default_there = other.rsplit("/", 1)[0] + "/default"
            self.add(
                f"producer (publisher policy) -> {self.short(other)}{self.where(other)} (through the endpoint)",
                "producer",
                [put(role_arn, other)],
                [
                    ("that region's default bus", [put(role_arn, default_there)]),
                    ("a source outside the stack (aws.ec2)", [put(role_arn, other, "aws.ec2")]),
                ],
            )


def build_hops(deployment: Deployment) -> list[Hop]:
    return Builder(deployment).build()


def evaluate_deployment(deployment: Deployment) -> Matrix:
    """Every hop of the deployment and its twins, evaluated."""
    return evaluate_hops(deployment.environment, build_hops(deployment))
