"""EventBridge event patterns: parse and validate (AWS's messages), match one pattern, or route a rule set.

compile_pattern(p).matches(event)       one pattern (matches_json(text): the event's JSON text)
RuleSet({"name": pattern}).match(event)  names of the matching rules, indexed for many rules
RuleSet(...).match_json(text)           the same for the event's JSON text, read as EventBridge reads it
check_pattern(p)                        AWS's message when invalid, else None

The package is what EventBridge does with an event: the pattern engine (parse, model, match, ruleset; how
event-ruler reads JSON text, numbers and IP addresses in jsontext, numbers, ip; the values an event holds at
the rules' paths in extract; casing, complexity, cases), input transformers (transform.py) and the offline
routing preview (routing.py, `tooling route`). Its reference is aws/event-ruler 2.0.1, the engine AWS runs
(tests/unit/test_patterns_aws_defects.py; tooling_testing/event_ruler.py runs it). The engine imports nothing of tooling but errors: config validation is built on it. routing.py is
the one module here that reads the Config and the naming scheme.
"""

from __future__ import annotations

from typing import Any

from tooling.patterns.jsontext import InvalidEventError
from tooling.patterns.match import Pattern, compile_pattern
from tooling.patterns.parse import InvalidPatternError
from tooling.patterns.ruleset import RuleSet

__all__ = [
    "InvalidEventError",
    "InvalidPatternError",
    "Pattern",
    "RuleSet",
    "check_pattern",
    "compile_pattern",
]


def check_pattern(pattern: Any) -> str | None:
    """Return AWS's full message (`Event pattern is not valid. Reason: ...`) when invalid, else None."""
    try:
        compile_pattern(pattern)
    except InvalidPatternError as exc:
        return exc.message
    return None
