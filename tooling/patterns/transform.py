"""EventBridge input transformers: InputPathsMap + InputTemplate -> the exact payload a target receives.

- Paths are the JSON paths EventBridge accepts: `$`, dot notation, array indexes (`[0]`) and wildcards (`*`,
  `[*]`, which collect every match into a list).
- A placeholder `<name>` inside a JSON string of the template receives the value's text with JSON escaping
  (objects and arrays as their JSON); outside a string it receives the value as JSON (strings quoted). A path
  that selects nothing gives `null` outside strings and an empty text inside them.
- A template that is not JSON (plain text) receives strings as they are and other values as JSON.
- Reserved variables: `<aws.events.rule-arn>`, `<aws.events.rule-name>`, `<aws.events.event.ingestion-time>`,
  `<aws.events.event>` (the event without `detail`) and `<aws.events.event.json>` (the whole event); the last
  two are inserted as raw JSON wherever they appear.
- No transformer: the target receives the event as compact JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_MISSING = object()
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+|\*)\]|\['([^']*)'\]")
RAW_JSON_VARIABLES = ("aws.events.event", "aws.events.event.json")


def dumps(value: Any) -> str:
    """JSON the way EventBridge delivers it: compact, UTF-8 kept."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def select(event: Any, path: str) -> Any:
    """The value at a JSON path, a list when the path has wildcards, or `_MISSING`."""
    if not path.startswith("$"):
        return _MISSING
    rest = path[1:]
    steps: list[str | int | None] = []  # None is a wildcard
    position = 0
    while position < len(rest):
        found = _STEP.match(rest, position)
        if found is None:
            return _MISSING
        name, index, quoted = found.groups()
        if name is not None:
            steps.append(None if name == "*" else name)
        elif index is not None:
            steps.append(None if index == "*" else int(index))
        else:
            steps.append(quoted)
        position = found.end()
    nodes = [event]
    for step in steps:
        following: list[Any] = []
        for node in nodes:
            if step is None:
                if isinstance(node, dict):
                    following.extend(node.values())
                elif isinstance(node, list):
                    following.extend(node)
            elif isinstance(step, int):
                if isinstance(node, list) and step < len(node):
                    following.append(node[step])
            elif isinstance(node, dict) and step in node:
                following.append(node[step])
        nodes = following
    if None in steps:
        return nodes if nodes else _MISSING
    return nodes[0] if nodes else _MISSING


def _is_json_template(template: str) -> bool:
    stripped = template.strip()
    return stripped.startswith(("{", "["))


def apply_input_transformer(
    event: Mapping[str, Any],
    input_paths: Mapping[str, str] | None,
    input_template: str | None,
    *,
    rule_arn: str = "",
    rule_name: str = "",
    ingestion_time: str = "",
) -> str:
    """The payload string the target receives (the event JSON when there is no template)."""
    if input_template is None:
        return dumps(event)
    values: dict[str, Any] = {name: select(event, path) for name, path in (input_paths or {}).items()}
    values["aws.events.rule-arn"] = rule_arn
    values["aws.events.rule-name"] = rule_name
    values["aws.events.event.ingestion-time"] = ingestion_time or str(event.get("time", ""))
    json_template = _is_json_template(input_template)

    out: list[str] = []
    in_string = False
    index = 0
    while index < len(input_template):
        char = input_template[index]
        if char == "<":
            found = _PLACEHOLDER.match(input_template, index)
            if found is not None and (found.group(1) in values or found.group(1) in RAW_JSON_VARIABLES):
                out.append(_render(found.group(1), values, event, in_string, json_template))
                index = found.end()
                continue
        elif char == "\\" and in_string:
            out.append(input_template[index : index + 2])
            index += 2
            continue
        elif char == '"':
            in_string = not in_string
        out.append(char)
        index += 1
    return "".join(out)


def _render(
    name: str, values: Mapping[str, Any], event: Mapping[str, Any], in_string: bool, json_template: bool
) -> str:
    if name == "aws.events.event":
        return dumps({k: v for k, v in event.items() if k != "detail"})
    if name == "aws.events.event.json":
        return dumps(event)
    value = values[name]
    if in_string:
        if value is _MISSING:
            return ""
        text = value if isinstance(value, str) else dumps(value)
        return dumps(text)[1:-1]
    if json_template:
        return "null" if value is _MISSING else dumps(value)
    if value is _MISSING:
        return ""
    return value if isinstance(value, str) else dumps(value)
