"""The e2e emulator delivers only what AWS would authorize: each rule target and each SNS subscription is
evaluated with the access evaluator (tooling/access) over the policies as the server holds them, read through
its own API (tooling/access/collect.py, the same reader `tooling access` uses).

A denied hop behaves as on AWS: EventBridge does not retry a permission error; it counts the rule's
FailedInvocations and sends the event to the target's dead-letter queue (when the DLQ's own hop is allowed)
with the attributes RULE_ARN, TARGET_ARN, ERROR_CODE (NO_PERMISSIONS), ERROR_MESSAGE and RETRY_ATTEMPTS.
SNS counts NumberOfNotificationsFailed and moves the notification to the subscription's redrive DLQ.

Reads are cached for TTL seconds per rule (or subscription): a PutEvents of 10 entries evaluates once, and a
policy changed through the API is seen on the next delivery after that.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from tooling.access.collect import Collector, Rule, Target, unless_absent
from tooling.access.hops import EVENTS, SNS, Builder
from tooling.access.matrix import Step
from tooling.access.steps import TLS
from tooling.outputs import DeploymentOutputs

TTL = 1.0
_endpoint: str | None = None
_lock = threading.Lock()
_clients: dict[tuple[str, str], Any] = {}
_cache: dict[str, tuple[float, Any]] = {}


def set_endpoint(url: str) -> None:
    """The server's own URL: the evaluator reads the policies through the API, as `tooling access` does."""
    global _endpoint
    _endpoint = url


def _client(service: str, region: str) -> Any:
    import boto3

    with _lock:
        if (service, region) not in _clients:
            _clients[(service, region)] = boto3.client(
                service, region_name=region, endpoint_url=_endpoint,
                aws_access_key_id="testing", aws_secret_access_key="testing",
            )  # fmt: skip
        return _clients[(service, region)]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    message: str = ""
    dead_letter_allowed: bool = False


def _verdict(steps: list[Step], dead_letter: list[Step]) -> Verdict:
    decisions = [(step, step.decide()) for step in steps]
    denied = [(s, d) for s, d in decisions if not d.allowed]
    dead_letter_ok = bool(dead_letter) and all(s.decide().allowed for s in dead_letter)
    if not denied:
        return Verdict(True, dead_letter_allowed=dead_letter_ok)
    step, decision = denied[0]
    request = step.request
    message = (
        f"{request.principal} is not authorized to perform: {request.action} on resource: {request.resource} "
        f"({decision.reason})"
    )
    return Verdict(False, message, dead_letter_ok)


def _collector(region: str, account: str, bus: str) -> Collector:
    # Only what the builder reads: the bus (partition, prefix) and the region; the rest is never looked at.
    bus_arn = f"arn:aws:events:{region}:{account}:event-bus/{bus}"
    outputs = DeploymentOutputs.model_construct(
        target="aws", environment="e2e", region=region, event_bus_name=bus, event_bus_arn=bus_arn
    )
    return Collector(outputs, _client)


def _cached(key: str, compute: Any) -> Any:
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and now - hit[0] < TTL:
            return hit[1]
    value = compute()
    with _lock:
        _cache[key] = (now, value)
    return value


def rule_verdicts(rule: Any) -> dict[str, Verdict]:
    """Target id -> whether EventBridge may deliver there (and dead-letter a failure), for a moto Rule."""

    def compute() -> dict[str, Verdict]:
        arn = str(rule.arn)
        region, account = arn.split(":")[3], arn.split(":")[4]
        collector = _collector(region, account, str(rule.event_bus_name))
        model = Rule(name=str(rule.name), arn=arn, bus=str(rule.event_bus_name))
        for target in rule.targets:
            dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
            model.targets.append(Target(id=target["Id"], arn=target["Arn"], role_arn=target.get("RoleArn"),
                                        dead_letter_arn=dlq))  # fmt: skip
            unless_absent(collector.target, target["Arn"])
            if target.get("RoleArn"):
                unless_absent(collector.role, target["RoleArn"])
            if dlq:
                unless_absent(collector.queue, dlq)
        collector.found.rules.append(model)
        builder = Builder(collector.found)
        source = {"aws:SourceArn": arn, "aws:SourceAccount": account}
        verdicts = {}
        for target in model.targets:
            service = target.arn.split(":")[2]
            steps = builder.delivery_steps(model, target, service, source, TLS)
            dead_letter = (
                [builder.service_step(EVENTS, "sqs:SendMessage", target.dead_letter_arn, {**source, **TLS})]
                if target.dead_letter_arn else []
            )  # fmt: skip
            verdicts[target.id] = _verdict(steps, dead_letter)
        return verdicts

    result: dict[str, Verdict] = _cached(f"rule {rule.arn} {len(rule.targets)}", compute)
    return result


def subscription_verdict(topic_arn: str, endpoint: str, dead_letter_arn: str | None) -> Verdict:
    """Whether SNS may invoke the function `endpoint` for the topic (and dead-letter a failure)."""

    def compute() -> Verdict:
        region, account = topic_arn.split(":")[3], topic_arn.split(":")[4]
        collector = _collector(region, account, "default")
        unless_absent(collector.function, endpoint)
        if dead_letter_arn:
            unless_absent(collector.queue, dead_letter_arn)
        builder = Builder(collector.found)
        builder.referenced.add(endpoint)
        source = {"aws:SourceArn": topic_arn, "aws:SourceAccount": account}
        steps = [builder.service_step(SNS, "lambda:InvokeFunction", endpoint, source)]
        dead_letter = (
            [builder.service_step(SNS, "sqs:SendMessage", dead_letter_arn, {**source, **TLS})]
            if dead_letter_arn
            else []
        )
        return _verdict(steps, dead_letter)

    result: Verdict = _cached(f"subscription {topic_arn} {endpoint}", compute)
    return result


def dead_letter_attributes(
    rule_arn: str, target_arn: str, message: str, code: str = "NO_PERMISSIONS"
) -> dict[str, dict[str, str]]:
    """EventBridge's attributes on an event it dead-letters after a client error it does not retry: a
    permission error (NO_PERMISSIONS), or what the target's service refused (SDK_CLIENT_ERROR)."""
    values = {
        "RULE_ARN": rule_arn, "TARGET_ARN": target_arn, "ERROR_CODE": code,
        "ERROR_MESSAGE": message[:1000], "RETRY_ATTEMPTS": "0",
    }  # fmt: skip
    return {key: {"DataType": "String", "StringValue": value} for key, value in values.items()}


def event_body(event: Any) -> str:
    return event if isinstance(event, str) else json.dumps(event, separators=(",", ":"))
