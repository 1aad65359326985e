"""The naming and ARN scheme: names, ARNs and queue URLs of an environment's resources, in the formats AWS
uses, derived from the Config (`Config.name_prefix`) the way Terraform derives them.

Shared by the routing preview (tooling/patterns/routing.py) and the local target (tooling/local/). Local
resources live in the configured region of a fixed local account, so outputs.json looks exactly like the one
Terraform writes (only the account id tells them apart). Names follow DESIGN.md:
`<project>-<environment>-<suffix>-<thing>`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tooling.config import FORWARDING_RULE_SUFFIX, Config, partition_of
from tooling.order_workflow import STATE_MACHINE_SUFFIX

ACCOUNT_ID = "000000000000"


def _domain(region: str) -> str:
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


@dataclass(frozen=True)
class Arns:
    """ARN and URL builders for one region of the local account."""

    region: str
    account: str = ACCOUNT_ID

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:{partition_of(self.region)}:{service}:{self.region}:{self.account}:{resource}"

    def event_bus(self, name: str) -> str:
        return self._arn("events", f"event-bus/{name}")

    def rule(self, bus: str, name: str) -> str:
        return self._arn("events", f"rule/{bus}/{name}")

    def default_bus_rule(self, name: str) -> str:
        """A rule of the account's default bus: its ARN has no bus segment (`rule/<name>`)."""
        return self._arn("events", f"rule/{name}")

    def archive(self, name: str) -> str:
        return self._arn("events", f"archive/{name}")

    def endpoint(self, name: str) -> str:
        """A global endpoint ([failover]), created in the primary region."""
        return self._arn("events", f"endpoint/{name}")

    def replay(self, name: str) -> str:
        return self._arn("events", f"replay/{name}")

    def queue(self, name: str) -> str:
        return self._arn("sqs", name)

    def queue_url(self, name: str) -> str:
        return f"https://sqs.{self.region}.{_domain(self.region)}/{self.account}/{name}"

    def topic(self, name: str) -> str:
        return self._arn("sns", name)

    def delivery_stream(self, name: str) -> str:
        return self._arn("firehose", f"deliverystream/{name}")

    def bucket(self, name: str) -> str:
        # S3 ARNs carry neither region nor account.
        return f"arn:{partition_of(self.region)}:s3:::{name}"

    def function(self, name: str) -> str:
        return self._arn("lambda", f"function:{name}")

    def state_machine(self, name: str) -> str:
        return self._arn("states", f"stateMachine:{name}")


def queue_name_from_url(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Names:
    """The resource names of one environment (project, environment and the workspace's stable suffix)."""

    prefix: str

    @classmethod
    def of(cls, config: Config, suffix: str) -> Names:
        return cls(config.name_prefix(suffix))

    @property
    def bus(self) -> str:
        return f"{self.prefix}-bus"

    @property
    def archive(self) -> str:
        return f"{self.prefix}-archive"

    @property
    def topic(self) -> str:
        return f"{self.prefix}-notifications"

    @property
    def batch_queue(self) -> str:
        """terraform/modules/messaging batch_queue_name."""
        return f"{self.prefix}-batch"

    @property
    def s3_archive_bucket(self) -> str:
        # At most 20+1+10+1+6+15 = 53 characters, lowercase: a valid S3 bucket name.
        return f"{self.prefix}-events-archive"

    @property
    def s3_archive_stream(self) -> str:
        return f"{self.prefix}-events-archive"

    @property
    def event_store(self) -> str:
        """The event store's table (terraform/locals.tf event_store_name)."""
        return f"{self.prefix}-events"

    def rule(self, key: str) -> str:
        return f"{self.prefix}-{key}"

    @property
    def forwarding_rule(self) -> str:
        """The rule on the default bus forwarding AWS service events (terraform/modules/forwarding)."""
        return f"{self.prefix}{FORWARDING_RULE_SUFFIX}"

    def function(self, key: str) -> str:
        return f"{self.prefix}-{key}"

    def dlq(self, key: str) -> str:
        """`events` (the rule targets' DLQ), `batch-queue` (its redrive DLQ), `notifications` or a function
        key, named as terraform/modules/messaging and processors name them (the batch queue's: <prefix>-batch-dlq)."""
        return f"{self.prefix}-{'batch' if key == 'batch-queue' else key}-dlq"

    @property
    def state_machine(self) -> str:
        return f"{self.prefix}-{STATE_MACHINE_SUFFIX}"

    def alarm(self, what: str) -> str:
        return f"{self.prefix}-{what}"


def log_group(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def state_machine_log_group(state_machine_name: str) -> str:
    return f"/aws/vendedlogs/states/{state_machine_name}"
