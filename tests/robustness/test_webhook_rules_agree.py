"""Issue 26, item 1: the webhook URL and its parameter's name each have one rule, applied on both sides of
the product: by the tooling before it stores anything (tooling/webhook.py check_https_url, tooling/config.py
check_parameter_name, with a reason per refusal) and by the notifier when it reads them
(lambda_src/event_processors/webhook_secret.py https_url, settings.py is_parameter_name). Neither side may
import the other (the Lambda zip holds no tooling, and tooling runs without lambda_src), so both are held to
the one table of cases below: a value one side stores, the other reads, and the other way round.
"""

from __future__ import annotations

import pytest

from event_processors import settings, webhook_secret
from tooling.config import check_parameter_name
from tooling.errors import UsageError
from tooling.webhook import check_https_url

HOOK = "https://hooks.example.com/services/T000/B000/XXXX"

# value -> the URL both sides use (stripped), or None: both refuse it.
URL_CASES: list[tuple[str, str | None]] = [
    (HOOK, HOOK),
    (f"  {HOOK}\n", HOOK),
    ("HTTPS://hooks.example.com/x", "HTTPS://hooks.example.com/x"),  # the scheme is case-insensitive
    ("https://user:pass@hooks.example.com/x", "https://user:pass@hooks.example.com/x"),
    ("https://hooks.example.com:8443/x", "https://hooks.example.com:8443/x"),
    ("https://hööks.example.com/x", "https://hööks.example.com/x"),
    ("http://hooks.example.com/x", None),
    ("ftp://hooks.example.com/x", None),
    ("javascript:alert(1)", None),
    ("hooks.example.com/services/x", None),
    ("https://", None),
    ("https:///services/x", None),
    ("https://[::1/x", None),  # urlsplit: invalid IPv6 URL
    ("", None),
    ("   \n", None),
    ("https://hooks.example.com/a b", None),
    ("https://hooks.example.com/a\tb", None),
    (f"{HOOK}\n{HOOK}", None),
    ("https://hooks.example.com/\x00x", None),  # a control character
    ("https://hooks.example.com/\x7f", None),
    ("https://hooks.example.com/\u200bx", None),  # zero-width space: not printable
    ("https://hooks.example.com/" + "a" * 4071, None),  # 4097 bytes: over SSM's 4096
    ("https://hooks.example.com/" + "a" * 4070, "https://hooks.example.com/" + "a" * 4070),
]

# name -> whether both sides accept it as the webhook parameter's name.
NAME_CASES: list[tuple[str, bool]] = [
    ("/ecommerce/dev/webhook-url", True),
    ("/a", True),
    ("/A.b_c-d/e", True),
    ("/" + "/".join("l" * 15), True),  # 15 levels
    ("/" + "/".join("l" * 16), False),
    ("/" + "a" * 1010, True),  # 1011 characters
    ("/" + "a" * 1011, False),
    ("ecommerce/dev/webhook-url", False),
    ("/a//b", False),  # an empty level
    ("/a/", False),
    ("/", False),
    ("/aws/webhook", False),  # reserved by AWS
    ("/AWS/webhook", False),
    ("/ssm-hooks/x", False),
    ("/a b", False),
    ("/a:b", False),
    (HOOK, False),  # the URL itself, put where its name belongs
]


def _tooling_url(value: str) -> str | None:
    try:
        return check_https_url(value, "the test")
    except UsageError:
        return None


def _tooling_name(value: str) -> bool:
    try:
        check_parameter_name(value)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(("value", "expected"), URL_CASES)
def test_the_tooling_and_the_notifier_accept_the_same_webhook_urls(value: str, expected: str | None) -> None:
    assert _tooling_url(value) == expected
    assert webhook_secret.https_url(value) == expected


@pytest.mark.parametrize(("value", "expected"), NAME_CASES)
def test_the_tooling_and_the_notifier_accept_the_same_parameter_names(value: str, expected: bool) -> None:
    assert _tooling_name(value) is expected
    assert settings.is_parameter_name(value) is expected


def test_a_refused_url_is_never_repeated_in_the_message() -> None:
    with pytest.raises(UsageError) as refused:
        check_https_url("http://hooks.example.com/services/SECRET", "TOOLING_WEBHOOK_URL")

    assert "SECRET" not in refused.value.message
    assert "uses http://, and the webhook URL must use https://" in refused.value.message
