"""The text of a saved plan as reviewers may see it: terraform's own rendering with secrets redacted.

`terraform show` already prints `(sensitive value)` for what the configuration marks sensitive. The text
still goes to a job summary and an artifact that every reader of the repository can open, so it is
redacted again, defensively, from two sides:

- by value: every string the plan's JSON marks sensitive (variables, resource attributes, outputs), and
  every string held by a variable or attribute whose name says it is a secret (`webhook_url`,
  `WEBHOOK_URL`, `*_token`, `*password*`, ...): each occurrence in the text is replaced;
- by shape: AWS access key ids, values assigned to secret-key names, URLs carrying credentials
  (`https://user:pass@...`, `?token=...`) and webhook URLs (a `hook` in host or path).

Values shorter than MIN_SECRET_LENGTH are not replaced by value (they would clobber ordinary words);
terraform masks those itself when they are marked sensitive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

REDACTED = "(redacted)"
MIN_SECRET_LENGTH = 8
# Names of variables, attributes and map keys whose values are secrets.
SECRET_NAME = re.compile(r"webhook|secret|token|password|passphrase|private_?key|credential|api_?key", re.I)
# ... except those naming where a secret is kept, not the secret (`webhook_parameter_name`, `secret_arn`).
SECRET_LOCATOR = re.compile(r"(?:name|arn|id|ids|parameter|path|ttl|version|enabled|type)$", re.I)
_ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)(\b(?:aws_)?(?:secret_access_key|session_token|secret_key|security_token)\"?\s*[=:]\s*)"
    r"(\"[^\"\n]*\"|[^\s,}]+)"
)
_URL = re.compile(r"""https?://[^\s"'<>`]+""")
_CREDENTIAL_QUERY = re.compile(r"[?&](?:token|key|sig|signature|secret|password|code|auth)[^=&]*=", re.I)


def _masked(value: Any, mask: Any) -> Iterator[str]:
    """The strings of `value` where terraform's sensitivity `mask` (same shape, True = sensitive) says so."""
    if mask is True:
        yield from _strings(value)
    elif isinstance(mask, dict) and isinstance(value, dict):
        for key, sub in mask.items():
            if key in value:
                yield from _masked(value[key], sub)
    elif isinstance(mask, list) and isinstance(value, list):
        for item, sub in zip(value, mask, strict=False):
            yield from _masked(item, sub)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _secret_named(value: Any) -> Iterator[str]:
    """Strings held under a key whose name says it is a secret, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            if SECRET_NAME.search(str(key)) and not SECRET_LOCATOR.search(str(key)):
                yield from _strings(item)
            else:
                yield from _secret_named(item)
    elif isinstance(value, list):
        for item in value:
            yield from _secret_named(item)


def _values(plan: dict[str, Any]) -> Iterator[tuple[Any, Any]]:
    """(value, sensitivity mask) pairs of every part of a plan's JSON that carries values."""
    declared = plan.get("configuration", {}).get("root_module", {}).get("variables", {})
    for name, variable in (plan.get("variables") or {}).items():
        yield variable.get("value"), bool(declared.get(name, {}).get("sensitive"))
    for change in plan.get("resource_changes") or []:
        body = change.get("change") or {}
        yield body.get("before"), body.get("before_sensitive")
        yield body.get("after"), body.get("after_sensitive")
    for body in (plan.get("output_changes") or {}).values():
        yield body.get("before"), body.get("before_sensitive")
        yield body.get("after"), body.get("after_sensitive")
    for state in ("prior_state", "planned_values"):
        yield from _state_values(plan.get(state) or {})


def _state_values(state: dict[str, Any]) -> Iterator[tuple[Any, Any]]:
    values = state.get("values", state)
    for output in (values.get("outputs") or {}).values():
        yield output.get("value"), bool(output.get("sensitive"))
    modules = [values.get("root_module") or {}]
    while modules:
        module = modules.pop()
        modules += module.get("child_modules") or []
        for resource in module.get("resources") or []:
            yield resource.get("values"), resource.get("sensitive_values")


def secret_values(plan: dict[str, Any]) -> set[str]:
    """Every string of the plan's JSON (`terraform show -json`) that the text must not show."""
    found: set[str] = set()
    variables = {name: v.get("value") for name, v in (plan.get("variables") or {}).items()}
    found.update(_secret_named(variables))
    for value, mask in _values(plan):
        found.update(_masked(value, mask))
        found.update(_secret_named(value))
    return {value for value in found if len(value) >= MIN_SECRET_LENGTH}


def _redact_url(match: re.Match[str]) -> str:
    url = match.group(0)
    if "@" in url.split("/", 3)[2] or _CREDENTIAL_QUERY.search(url) or "hook" in url.lower():
        return REDACTED
    return url


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without the given secret values and without anything shaped like a credential or webhook."""
    for secret in sorted(set(secrets), key=len, reverse=True):  # a longer secret may contain a shorter one
        if len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, REDACTED)
            # terraform prints strings with JSON-style escapes (quotes, backslashes, newlines)
            escaped = secret.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            text = text.replace(escaped, REDACTED)
    text = _ACCESS_KEY_ID.sub(REDACTED, text)
    text = _SECRET_ASSIGNMENT.sub(lambda m: m.group(1) + f'"{REDACTED}"', text)
    return _URL.sub(_redact_url, text)
