"""The plan text reviewers see carries no secret: what the plan's JSON marks sensitive or names as a secret
is redacted by value, and credentials and webhook URLs by shape."""

from __future__ import annotations

from typing import Any

from tooling.deploy.plan_text import REDACTED, redact, secret_values

WEBHOOK = "https://hooks.example.com/services/T0/B0/abcdef123456"


def _plan() -> dict[str, Any]:
    """The parts of a `terraform show -json` that carry values, as terraform shapes them."""
    return {
        "variables": {
            "webhook_url": {"value": WEBHOOK},
            "db_password": {"value": "hunter2-but-longer"},
            "environment": {"value": "production"},
            "webhook_parameter_name": {"value": "/ecommerce/prod/notifier/webhook"},
        },
        "configuration": {"root_module": {"variables": {"db_password": {"sensitive": True}}}},
        "resource_changes": [
            {
                "change": {
                    "before": None,
                    "after": {
                        "function_name": "ecommerce-prod-notifier",
                        "environment": [{"variables": {"WEBHOOK_URL": WEBHOOK, "LOG_LEVEL": "INFO"}}],
                        "signing_secret": "s1gning-s3cret-value",
                        "secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:x",
                    },
                    "after_sensitive": {"environment": [{"variables": False}], "signing_secret": True},
                }
            }
        ],
        "output_changes": {"token": {"after": "output-token-value", "after_sensitive": True}},
    }


def test_secret_values_are_what_is_sensitive_or_named_secret_and_not_where_it_is_kept() -> None:
    found = secret_values(_plan())

    assert found == {WEBHOOK, "hunter2-but-longer", "s1gning-s3cret-value", "output-token-value"}


def test_values_found_in_the_plan_are_redacted_wherever_the_text_shows_them() -> None:
    text = (
        f'  + webhook_url = "{WEBHOOK}"\n'
        f'      + "WEBHOOK_URL" = "{WEBHOOK}"\n'
        '  ~ note = "pw was \\"hunter2-but-longer\\"" -> "s1gning-s3cret-value"\n'
        '  + function_name = "ecommerce-prod-notifier"\n'
    )

    assert redact(text, secret_values(_plan())) == (
        f'  + webhook_url = "{REDACTED}"\n'
        f'      + "WEBHOOK_URL" = "{REDACTED}"\n'
        f'  ~ note = "pw was \\"{REDACTED}\\"" -> "{REDACTED}"\n'
        '  + function_name = "ecommerce-prod-notifier"\n'
    )


def test_credentials_and_webhook_urls_are_redacted_by_shape_alone() -> None:
    text = "\n".join(
        [
            "key id AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A",
            'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
            "session_token: FwoGZXIvYXdzEJr",
            "https://user:pa55@internal.example.com/api",
            "https://chat.example.com/v1/spaces/AAA/messages?key=AIzaSy&token=abc",
            "https://discord.com/api/webhooks/123/xyz",
            "https://outlook.office.com/webhook/abc",
            "https://sqs.us-east-1.amazonaws.com/123456789012/ecommerce-prod-batch",
        ]
    )

    assert redact(text).splitlines() == [
        f"key id {REDACTED} and {REDACTED}",
        f'aws_secret_access_key = "{REDACTED}"',
        f'session_token: "{REDACTED}"',
        REDACTED,
        REDACTED,
        REDACTED,
        REDACTED,
        "https://sqs.us-east-1.amazonaws.com/123456789012/ecommerce-prod-batch",
    ]


def test_short_values_are_left_to_terraform_so_ordinary_words_survive() -> None:
    assert (
        redact('  + stage = "dev"\n  + name = "dev-bus"\n', {"dev"})
        == '  + stage = "dev"\n  + name = "dev-bus"\n'
    )
