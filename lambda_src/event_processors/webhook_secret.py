"""The webhook URL: a secret (chat webhooks carry their token in the path), so it is never configuration.

In AWS it is an SSM SecureString parameter encrypted with the stack's key; the function's environment holds
only the parameter's name (``WEBHOOK_PARAMETER``) and its role may read only that parameter. It is read at
run time through Powertools parameters, cached for ``MAX_AGE_SECONDS``, so a rotated URL is used within that
time without a deploy. On the local target the same code reads it through ``LocalParameterProvider`` from
the owner-only file the tooling writes (``LOCAL_PARAMETERS_FILE``) instead of SSM.

The value is never logged and never put in an error message; only https is accepted.
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from event_processors.errors import ConfigurationError, WebhookSecretError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import BaseProvider

    from event_processors.settings import NotifierSettings

# Long enough that a warm container reads the parameter a few times an hour (SSM's GetParameter quota is
# shared by the account), short enough that a rotated URL is used within minutes.
MAX_AGE_SECONDS: Final = 300
# SSM's limit for a standard parameter's value.
MAX_URL_BYTES: Final = 4096


def webhook_url(settings: NotifierSettings) -> str | None:
    """The URL to POST alerts to, or None when no webhook is configured (alerts are then logged)."""
    name = settings.webhook_parameter
    if name is None:
        return None
    url = https_url(_read(name, settings.local_parameters_path))
    if url is None:
        raise ConfigurationError(
            f"the webhook parameter {name} must hold an absolute https URL (the value is not shown)"
        )
    return url


def _read(name: str, local_path: str | None) -> str:
    # Imported here: the parameters utility imports boto3, which only a notifier with a webhook needs.
    from aws_lambda_powertools.utilities.parameters import GetParameterError, get_parameter

    try:
        if local_path is None:
            value: Any = get_parameter(name, decrypt=True, max_age=MAX_AGE_SECONDS)
        else:
            value = _local_provider(local_path).get(name, max_age=MAX_AGE_SECONDS)
    except GetParameterError as error:
        # Powertools wraps the SDK's error text (ParameterNotFound, AccessDeniedException, ...): it names
        # the parameter, never its value.
        raise WebhookSecretError(f"the webhook parameter {name} could not be read: {error}") from None
    if not isinstance(value, str):
        raise WebhookSecretError(f"the webhook parameter {name} does not hold text")
    return value


def https_url(value: str) -> str | None:
    """`value` stripped when it is an absolute https URL with a host, on one line (no whitespace or control
    characters), within SSM's 4096 bytes; else None.

    The rule of a webhook URL. tooling/webhook.py check_https_url applies the same one before the URL is
    stored (neither side may import the other): tests/robustness/test_webhook_rules_agree.py holds both to
    one table of cases."""
    # Imported here: urllib.parse pulls in ipaddress (~3.5 ms of a cold start) only a webhook needs.
    from urllib.parse import urlsplit

    url = value.strip()
    if not url or len(url.encode("utf-8")) > MAX_URL_BYTES:
        return None
    if any(c.isspace() or not c.isprintable() for c in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    return url if parts.scheme == "https" and host else None


@cache
def _local_provider(path: str) -> BaseProvider:
    """One provider per file and container, so its cache lives as long as the warm worker, as in Lambda."""
    from aws_lambda_powertools.utilities.parameters import BaseProvider

    class LocalParameterProvider(BaseProvider):
        """The local target's Parameter Store: a JSON object {name: value} in an owner-only file."""

        def _get(self, name: str, **_sdk_options: Any) -> str:
            with open(path, encoding="utf-8") as handle:
                parameters = json.load(handle)
            value = parameters.get(name) if isinstance(parameters, dict) else None
            if not isinstance(value, str):
                raise LookupError(f"ParameterNotFound: {name} is not in the local parameter store")
            return value

        def _get_multiple(self, path: str, **_sdk_options: Any) -> dict[str, str]:
            raise NotImplementedError("the notifier reads one parameter by name")

    return LocalParameterProvider()  # type: ignore[no-untyped-call]  # BaseProvider.__init__ is unannotated
