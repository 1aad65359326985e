"""Filter modes: where a pattern runs decides which operators it may use.

Rules on an event bus take every operator. EventBridge Pipes filters and Lambda event source mapping
filters (the batch queue's consumer) use the same pattern language with fewer operators, and refuse the
others when the pipe or mapping is created:

- Pipes: the operators table of the EventBridge User Guide, "Pipe support" column
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html): every
  anything-but form except the plain one (begins with, ends with, ignore case, wildcard) is "No".
- Lambda event source mappings: the comparison operators of "Filter rule syntax"
  (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html#filtering-syntax): null,
  empty, equals, equals (ignore case), and, or (values and $or), not (anything-but a value or list), numeric
  (equals, range), exists, does not exist, begins with, ends with. Nothing else: no wildcard, no IP address
  (cidr), no prefix/suffix ignoring case, no anything-but prefix/suffix/ignore-case/wildcard.

check_mode() answers for a pattern already valid as an event pattern (check_pattern first).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from tooling.patterns.operators import OPERATORS, uses

Mode = Literal["event-bus", "pipes", "lambda-event-source-mapping"]

ALLOWED: dict[str, frozenset[str]] = {
    "event-bus": frozenset(OPERATORS),
    "pipes": frozenset(OPERATORS)
    - {
        "anything-but-prefix",
        "anything-but-suffix",
        "anything-but-equals-ignore-case",
        "anything-but-wildcard",
    },
    "lambda-event-source-mapping": frozenset(
        {"exact", "equals-ignore-case", "anything-but", "numeric", "exists", "prefix", "suffix", "$or"}
    ),
}
WHERE = {
    "event-bus": "an event bus rule",
    "pipes": "an EventBridge Pipes filter",
    "lambda-event-source-mapping": "a Lambda event source mapping filter",
}


def check_mode(pattern: Mapping[str, Any], mode: Mode) -> list[str]:
    """One line per operator the mode does not take: `<field>: <operator> is not supported in <where>`."""
    allowed = ALLOWED[mode]
    problems: list[str] = []
    for use in uses(pattern):
        if use.operator not in allowed:
            line = f"{use.path}: {use.operator} is not supported in {WHERE[mode]}"
            if line not in problems:
                problems.append(line)
    return problems


def supported(mode: Mode) -> str:
    """The operators a mode takes, for a hint."""
    return ", ".join(op for op in OPERATORS if op in ALLOWED[mode])
