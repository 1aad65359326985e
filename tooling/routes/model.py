"""One routing table as the diff sees it: rules (name, pattern, enabled, targets with their transformers).

A table comes from a Config (an environment file, here or at a git ref) or from what is deployed; both give
the same shape, so the diff never cares where a side came from. Targets are named by their logical name
(`processor`, `notifications`, ...): per-target figures are about the destination, whichever rule feeds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from tooling.config import Config
from tooling.naming import ACCOUNT_ID, Arns, Names

# The resource-name suffix used where the real one is unknown (a config at a git ref); both sides of a
# diff use the same one, so names differ only where the rule names do.
SUFFIX_PLACEHOLDER = "xxxxxx"


@dataclass(frozen=True)
class Transformer:
    input_paths: tuple[tuple[str, str], ...]
    input_template: str

    @property
    def paths(self) -> dict[str, str]:
        return dict(self.input_paths)


@dataclass(frozen=True)
class RouteTarget:
    target: str  # the logical name: processor, notifications, batch-queue, ...
    target_id: str
    transformer: Transformer | None = None


@dataclass(frozen=True)
class RouteRule:
    name: str  # the routing-table name (`high-value-orders`)
    pattern: dict[str, Any]
    enabled: bool
    targets: tuple[RouteTarget, ...]
    aws_name: str = ""  # the rule's name on the bus, for <aws.events.rule-name>
    arn: str = ""  # for <aws.events.rule-arn>

    @property
    def pattern_key(self) -> str:
        """The pattern as canonical JSON: two rules with the same key match the same events."""
        return canonical(self.pattern)

    @property
    def identity(self) -> tuple[str, tuple[tuple[str, Transformer | None], ...]]:
        """What a rule is apart from its name: its pattern and what its targets receive. A rule that left
        the table and one that joined it with the same identity are one rule renamed."""
        return self.pattern_key, tuple(sorted(((t.target, t.transformer) for t in self.targets), key=_order))


def _order(item: tuple[str, Transformer | None]) -> tuple[str, str]:
    target, transformer = item
    return target, "" if transformer is None else repr(transformer)


def canonical(pattern: Any) -> str:
    return orjson.dumps(pattern, option=orjson.OPT_SORT_KEYS).decode()


@dataclass(frozen=True)
class Routes:
    origin: str  # where this side came from, as the report names it
    rules: tuple[RouteRule, ...]


def routes_from_config(config: Config, origin: str, suffix: str = SUFFIX_PLACEHOLDER) -> Routes:
    names = Names.of(config, suffix)
    arns = Arns(config.region, ACCOUNT_ID)
    rules = []
    for rule in config.rules:
        targets = tuple(
            RouteTarget(
                target=t.target,
                target_id=t.target_id,
                transformer=None
                if t.input_transformer is None
                else Transformer(
                    tuple(sorted(t.input_transformer.input_paths.items())), t.input_transformer.input_template
                ),
            )
            for t in rule.targets
        )
        aws_name = names.rule(rule.name)
        rules.append(
            RouteRule(
                name=rule.name,
                pattern=rule.pattern,
                enabled=rule.enabled,
                targets=targets,
                aws_name=aws_name,
                arn=arns.rule(names.bus, aws_name),
            )
        )
    return Routes(origin=origin, rules=tuple(rules))
