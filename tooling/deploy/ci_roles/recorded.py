"""The recorded call list as stored for the unit tests (tests/robustness/data/ci_calls_<env>.json).

One entry per distinct authorization and role, with its count; the account is `{account}` and the stack's
name suffix `{suffix}`, and generated ids (KMS keys, event source mappings) are numbered in order of
appearance (10000000-0000-4000-8000-00000000000N, never the fixtures' state key), so a refreshed file
differs only where the deploy's calls differ.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tooling.deploy.ci_roles.authorizations import Authorization

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalise(
    by_step: dict[str, list[Authorization]], account: str, name_prefix: str, *, deploy_steps: list[str]
) -> dict[str, Any]:
    """The call list as the unit test stores it: one entry per distinct authorization and role, with its
    count; the account is `{account}`, the name suffix `{suffix}`, generated ids numbered in order."""
    suffix = name_prefix.rsplit("-", 1)[-1]
    ids: dict[str, str] = {}

    def clean(text: str) -> str:
        text = text.replace(account, "{account}")
        text = re.sub(rf"-{re.escape(suffix)}(?![a-z0-9])", "-{suffix}", text)  # not inside a longer word
        return _UUID.sub(
            lambda m: ids.setdefault(m.group(0), f"10000000-0000-4000-8000-{len(ids) + 1:012d}"), text
        )

    entries: dict[str, dict[str, Any]] = {}
    for step, items in sorted(by_step.items()):
        # The re-plan is both a deploy's refresh and what a pull request's plan reads; `tooling drift` is
        # what the scheduled drift workflow reads with the plan role.
        roles = (["deploy"] if step in deploy_steps else []) + (
            ["plan"] if step in ("plan", "replan", "drift") else []
        )
        for a in items:
            data = json.loads(clean(json.dumps(a.as_json())))
            for who in dict.fromkeys(roles):
                key = json.dumps([who, data], sort_keys=True)
                entry = entries.setdefault(key, {"role": who, **data, "count": 0})
                entry["count"] += 1
    return {
        "about": "Authorizations the e2e run recorded (tooling_testing/checks/role_calls.py); placeholders "
        "{account} and {suffix}; refresh with `tooling e2e --keep` (logs/ci-calls-<env>.json).",
        "calls": sorted(entries.values(), key=lambda e: (e["role"], e["call"], e["action"], e["resource"])),
    }


def denormalise(data: dict[str, Any], *, account: str, suffix: str) -> dict[str, list[Authorization]]:
    """The stored list back to authorizations by role, with the given account and name suffix."""
    by_role: dict[str, list[Authorization]] = {"deploy": [], "plan": []}
    for entry in data["calls"]:
        text = json.dumps(entry).replace("{account}", account).replace("{suffix}", suffix)
        restored = json.loads(text)
        by_role[restored["role"]].extend([Authorization.from_json(restored)] * int(restored["count"]))
    return by_role
