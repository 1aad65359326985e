"""AWS's quotas on a routing table and the batch consumer's filter, checked when the config loads
(tooling.aws_limits holds the numbers and the pages that state them).

limit_problems() are refusals (what AWS would refuse at apply time, found at `config validate` instead);
limit_warnings() are what AWS accepts but the user should know (`config validate` prints them).
Each takes the loaded tooling.config.Config, typed Any here: config imports this module, and a module never
imports back the one that imports it.
"""

from __future__ import annotations

from typing import Any

from tooling import aws_limits
from tooling.patterns import check_pattern
from tooling.patterns.modes import check_mode, supported
from tooling.patterns.operators import has_wildcard, wildcard_complexity_by_field

# parse.py refuses a field whose wildcards keep more than this many states alive ("Rule is too complex", an
# estimate of AWS's own bound); above half of it a rule still deploys but matches slowly (event-ruler's
# README, "Matching with a Machine": complexity 1 runs at 140,000 events/s, 17 at 12,500) and a small edit may
# push it over.
WILDCARD_COMPLEXITY_LIMIT = 10
WILDCARD_COMPLEXITY_WARNING = WILDCARD_COMPLEXITY_LIMIT // 2
# A Lambda FilterCriteria pattern is at most 4,096 characters
# (https://docs.aws.amazon.com/lambda/latest/api/API_Filter.html).
FILTER_PATTERN_CHARS = 4096
# The fields of an SQS record a Lambda filter can name; the message itself is under "body"
# (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html: "For Amazon SQS event
# sources, the data key is body").
SQS_RECORD_FIELDS = frozenset(
    {"messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody",
     "md5OfMessageAttributes", "eventSource", "eventSourceARN", "awsRegion"}
)  # fmt: skip
QUOTAS_PAGE = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html"


def limit_problems(config: Any) -> list[str]:
    problems = _pattern_sizes(config)
    problems += _rule_counts(config)
    problems += _filter_problems(config)
    return problems


def _valid_patterns(config: Any) -> list[tuple[int, dict[str, object]]]:
    """(index, pattern) of the rules whose pattern is valid (an invalid one is reported on its own)."""
    return [(i, rule.pattern) for i, rule in enumerate(config.rules) if check_pattern(rule.pattern) is None]


def _pattern_sizes(config: Any) -> list[str]:
    problems: list[str] = []
    for index, rule in enumerate(config.rules):
        size = len(rule.pattern_json)  # the text Terraform sends as EventPattern
        if size > aws_limits.EVENT_PATTERN_CHARS:
            problems.append(
                f"rules[{index}].pattern: {size} characters as sent to EventBridge, over its "
                f"{aws_limits.EVENT_PATTERN_CHARS}-character event pattern quota ({QUOTAS_PAGE}); split the rule "
                "or shorten the pattern (prefix or $or instead of long value lists)"
            )
    return problems


def _rule_counts(config: Any) -> list[str]:
    problems: list[str] = []
    regions = [config.region]
    if config.failover is not None and config.failover.secondary_consumers:
        regions.append(config.failover.secondary_region)  # the secondary bus gets the same rules
    for region in regions:
        quota = config.quotas.rules_per_bus or aws_limits.rules_per_bus(region)
        if len(config.rules) > quota:
            problems.append(
                f"rules: {len(config.rules)} rules on the bus in {region}, over EventBridge's {quota} rules per "
                f"event bus ({QUOTAS_PAGE}); merge rules (a pattern's $or), or set [quotas] rules_per_bus once "
                "AWS has raised your quota"
            )
    wildcard_rules = [config.rules[i].name for i, pattern in _valid_patterns(config) if has_wildcard(pattern)]
    if len(wildcard_rules) > aws_limits.WILDCARD_RULES_PER_BUS:
        problems.append(
            f"rules: {len(wildcard_rules)} rules use wildcard patterns ({', '.join(wildcard_rules[:5])}, ...), over "
            f"EventBridge's {aws_limits.WILDCARD_RULES_PER_BUS} per event bus, a quota AWS does not raise "
            f"({QUOTAS_PAGE}); use prefix or suffix where they do"
        )
    return problems


def _filter_problems(config: Any) -> list[str]:
    """The batch consumer's event source mapping filter, as Lambda checks it when the mapping is created."""
    batch = config.batch_processor
    text = batch.filter_pattern_json
    if text is None or batch.filter_pattern is None:
        return []
    where = "batch_processor.filter_pattern"
    reason = check_pattern(batch.filter_pattern)
    if reason is not None:
        return [f"{where}: {reason}"]
    problems: list[str] = []
    if len(text) > FILTER_PATTERN_CHARS:
        problems.append(f"{where}: {len(text)} characters, over Lambda's {FILTER_PATTERN_CHARS} for a filter")
    for line in check_mode(batch.filter_pattern, "lambda-event-source-mapping"):
        problems.append(
            f"{where}.{line} (a Lambda filter takes {supported('lambda-event-source-mapping')}); "
            "use one of those, or filter in the rule's pattern instead"
        )
    unknown = sorted(set(batch.filter_pattern) - SQS_RECORD_FIELDS - {"$or"})
    if unknown:
        problems.append(
            f"{where}: {', '.join(repr(k) for k in unknown)} is not a field of an SQS record, so the filter "
            'never matches: the event is under "body" (body = { detail-type = [...] }), and the record also has '
            + ", ".join(sorted(SQS_RECORD_FIELDS - {"body"}))
        )
    return problems


def limit_warnings(config: Any) -> list[str]:
    """What EventBridge accepts but costs: wildcard patterns close to the complexity AWS refuses."""
    warnings: list[str] = []
    for index, pattern in _valid_patterns(config):
        for path, complexity in sorted(wildcard_complexity_by_field(pattern).items()):
            if complexity > WILDCARD_COMPLEXITY_WARNING:
                warnings.append(
                    f"rules[{index}].pattern.{path}: wildcard complexity {complexity} (AWS refuses a rule above "
                    f"{WILDCARD_COMPLEXITY_LIMIT}, and matching slows as it grows); use fewer wildcard characters "
                    "or fewer repeated characters after one"
                )
    return warnings
