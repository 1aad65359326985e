"""Personal data masking for log records: the last line of defence behind "never log a payload".

Every log record passes through ``mask`` before it is serialized, so an email address (in a value, a message
or an exception text) and the values of name-like keys never reach CloudWatch Logs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "***"
EMAIL_MASK = "<email>"

# Keys whose values are personal data whatever they contain; compared lowercased with "_" and "-" removed.
PERSONAL_KEYS = frozenset(
    {
        "email",
        "emailaddress",
        "name",
        "firstname",
        "lastname",
        "fullname",
        "customername",
        "phone",
        "phonenumber",
        "address",
        "shippingaddress",
        "billingaddress",
    }
)

# Deliberately broad: masking a false positive costs little, leaking an address does not.
EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")

# Keys Powertools itself writes; their values are never personal data and must stay readable.
_STRUCTURAL_KEYS = frozenset({"level", "location", "timestamp", "service", "function_name", "xray_trace_id"})


def _is_personal_key(key: object) -> bool:
    return isinstance(key, str) and key.lower().replace("_", "").replace("-", "") in PERSONAL_KEYS


def mask_text(text: str) -> str:
    return EMAIL_PATTERN.sub(EMAIL_MASK, text)


def mask(value: Any) -> Any:
    """A copy of ``value`` with personal data masked, recursing through mappings, lists and tuples."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {
            key: value[key]
            if key in _STRUCTURAL_KEYS
            else (MASK if _is_personal_key(key) and value[key] is not None else mask(value[key]))
            for key in value
        }
    if isinstance(value, list | tuple):
        return [mask(item) for item in value]
    return value
