"""The notifier's webhook URL: a secret (chat webhooks carry their token in the path), never configuration.

The environment file names only the SSM parameter that holds it (`[processing] webhook_parameter`); that
name is all Terraform, tfvars, the state and the Lambda environment ever see. In AWS the URL is a
SecureString parameter encrypted with the stack's key, which the notifier reads at run time
(lambda_src/event_processors/webhook_secret.py). On the local target it comes from `TOOLING_WEBHOOK_URL`
or, when that is unset, from the untracked owner-only file `.tooling/<env>/webhook-url`; `apply` hands it to
the local notifier through the local parameter store (`.tooling/<env>/parameters.json`, 0600), which the
same notifier code reads in place of SSM. `tooling secret set webhook-url` writes either place.

Every check here refuses with one line that names where the URL came from, never the URL itself.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from tooling.config import Config
from tooling.errors import UsageError
from tooling.workspace import PRIVATE_MODE, Workspace, shown, write_file

WEBHOOK_URL_ENV = "TOOLING_WEBHOOK_URL"
WEBHOOK_URL_FILE = "webhook-url"
# The local target's Parameter Store: {parameter name: value}, written by apply, read by the notifier.
LOCAL_PARAMETERS_FILE = "parameters.json"
# SSM's limit for a standard parameter's value; a URL longer than that could not be stored in AWS either.
MAX_URL_BYTES = 4096


def local_parameters_path(workspace: Workspace) -> Path:
    return workspace.state_dir / LOCAL_PARAMETERS_FILE


def url_file(workspace: Workspace) -> Path:
    return workspace.state_dir / WEBHOOK_URL_FILE


def check_https_url(value: str, where: str) -> str:
    """`value` stripped, when it is an absolute https URL on one line; else UsageError naming `where`.

    The rule of a webhook URL, with a reason per refusal. The notifier applies the same one when it reads
    the URL (lambda_src/event_processors/webhook_secret.py https_url; neither side may import the other):
    tests/robustness/test_webhook_rules_agree.py holds both to one table of cases."""
    url = value.strip()
    if not url:
        problem = "is empty"
    elif len(url.encode("utf-8")) > MAX_URL_BYTES:
        problem = f"is longer than {MAX_URL_BYTES} bytes (SSM's limit for a parameter value)"
    elif any(c.isspace() or not c.isprintable() for c in url):
        problem = "holds whitespace or control characters (one URL on one line is expected)"
    else:
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError:
            parts, host = None, None
        if parts is None or not parts.scheme:
            problem = "is not a URL"
        elif parts.scheme.lower() != "https":
            # The scheme is safe to name; the rest of the URL is the secret.
            problem = f"uses {parts.scheme.lower()}://, and the webhook URL must use https://"
        elif not host:
            problem = "has no host"
        else:
            return url
    raise UsageError(
        f"the webhook URL in {where} {problem} (the value is not shown: it is a secret)",
        hint="give the https URL the alert receiver issued, e.g. https://hooks.example.com/services/...",
    )


def read_url_file(path: Path) -> str:
    """The URL in the owner-only file `path` (which must exist), checked."""
    where = shown(path)
    try:
        info = path.lstat()
    except OSError as error:
        raise UsageError(f"cannot read {where}: {error.strerror}", hint="check the file") from None
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(
            f"{where} is not a regular file",
            hint=f"write the URL into the file itself: tooling secret set {WEBHOOK_URL_FILE} --target local",
        )
    if info.st_mode & 0o077:
        # As ssh does with a private key: a secret others can read is refused, not used.
        raise UsageError(
            f"{where} holds a secret but others may read it (mode {stat.S_IMODE(info.st_mode):04o})",
            hint=f"chmod 600 {where}",
        )
    if info.st_size > MAX_URL_BYTES + 2:
        raise UsageError(
            f"{where} is larger than a webhook URL ({info.st_size} bytes)", hint="put one URL in it"
        )
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{where} is not UTF-8 text", hint="put the URL in it as plain text") from None
    except OSError as error:
        raise UsageError(f"cannot read {where}: {error.strerror}", hint="check the file") from None
    return check_https_url(text, where)


def local_webhook_url(workspace: Workspace) -> tuple[str, str] | None:
    """(URL, where it came from) for the local target: TOOLING_WEBHOOK_URL, else .tooling/<env>/webhook-url;
    None when neither is there."""
    value = os.environ.get(WEBHOOK_URL_ENV, "")
    if value.strip():
        return check_https_url(value, WEBHOOK_URL_ENV), WEBHOOK_URL_ENV
    path = url_file(workspace)
    if path.exists() or path.is_symlink():
        return read_url_file(path), shown(path)
    return None


def write_local_parameters(workspace: Workspace, config: Config) -> Path | None:
    """The local parameter store for this apply: the webhook parameter with the local URL (owner-only), or
    no store at all when the environment file names no webhook parameter. Refused (exit 2) before anything
    is provisioned when a parameter is named and the local target has no valid URL for it."""
    path = local_parameters_path(workspace)
    name = config.processing.webhook_parameter
    if name is None:
        path.unlink(missing_ok=True)
        return None
    found = local_webhook_url(workspace)
    if found is None:
        raise UsageError(
            f"processing.webhook_parameter names {name}, but the local target has no webhook URL: "
            f"{WEBHOOK_URL_ENV} is unset and {shown(url_file(workspace))} does not exist",
            hint=f"tooling secret set {WEBHOOK_URL_FILE} --env {workspace.env} --target local (reads the URL "
            f"from stdin), or export {WEBHOOK_URL_ENV}=https://...",
        )
    workspace.ensure()
    return write_file(path, json.dumps({name: found[0]}) + "\n", PRIVATE_MODE)


SecretTarget = Literal["aws", "local"]


def set_webhook_url(workspace: Workspace, config: Config, value: str, target: SecretTarget) -> str:
    """Store the webhook URL where the target reads it; return where (a path or the parameter's name).

    local: `.tooling/<env>/webhook-url`, owner-only (the next local apply hands it to the notifier).
    aws: the SecureString parameter `[processing] webhook_parameter`, encrypted with the stack's key
    (`alias/<project>-<env>-<suffix>`, so the stack must be applied); the notifier reads it within minutes."""
    url = check_https_url(value, "the input")
    if target == "local":
        workspace.ensure()
        path = url_file(workspace)
        tmp = path.with_name(f".{WEBHOOK_URL_FILE}.{os.getpid()}.tmp")
        write_file(tmp, url + "\n", PRIVATE_MODE)
        os.replace(tmp, path)
        return shown(path)
    name = config.processing.webhook_parameter
    if name is None:
        raise UsageError(
            f"{shown(workspace.default_config)} names no webhook parameter, so the notifier would never read it",
            hint=f'add webhook_parameter = "/{config.project}/{config.environment}/webhook-url" under '
            "[processing], apply, then set the secret",
        )
    suffix = workspace.recorded_suffix()
    if suffix is None:
        raise UsageError(
            f"environment {config.environment} has not been applied: the parameter is encrypted with the "
            "stack's key, which does not exist yet",
            hint=f"tooling apply --env {config.environment}, then set the secret",
        )
    from tooling import clients  # boto3 only on this path

    clients.client("ssm", config.region).put_parameter(
        Name=name,
        Value=url,
        Type="SecureString",
        KeyId=f"alias/{config.name_prefix(suffix)}",
        Overwrite=True,
        Description="Webhook URL of the notifier (a secret: never in configuration)",
    )
    return name
