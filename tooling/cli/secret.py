"""`tooling secret set`: store a secret where the stack reads it, never in the environment file."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from tooling import input_files
from tooling.cli.config_cmd import resolve_config
from tooling.cli.confirm import stdin_is_terminal
from tooling.cli.console import make_console
from tooling.cli.options import ConfigOption, EnvOption, TargetOption
from tooling.deploy import pipeline as deploy
from tooling.webhook import MAX_URL_BYTES, set_webhook_url
from tooling.workspace import Workspace

secret_app = typer.Typer(
    no_args_is_help=True, help="Store secrets where the stack reads them (never in configuration)."
)


class SecretName(StrEnum):
    webhook_url = "webhook-url"


@secret_app.command("set")
def set_secret(
    name: Annotated[SecretName, typer.Argument(help="The secret: webhook-url (the notifier's alert URL).")],
    env: EnvOption = "dev",
    config: ConfigOption = None,
    target: TargetOption = None,
) -> None:
    """Read the secret from stdin (a hidden prompt at a terminal) and store it: in AWS as the SecureString
    parameter that processing.webhook_parameter names, encrypted with the stack's key; on the local target
    in .tooling/<env>/webhook-url (mode 0600). Never pass it as an argument (shell history, `ps`).

    Example: tooling secret set webhook-url --env prod --target aws < webhook-url.txt
    """
    cfg = resolve_config(env, config)
    ws = Workspace.for_env(env)
    kind = deploy.resolve_target(ws, target)
    if stdin_is_terminal():
        value = typer.prompt("webhook URL (https://..., not echoed)", hide_input=True, err=True)
    else:
        value = input_files.read_stdin(MAX_URL_BYTES + 2, "the webhook URL", "a webhook URL is one line")
    where = set_webhook_url(ws, cfg, value, kind)
    then = (
        f"run `tooling apply --env {env} --target local` to hand it to the local notifier"
        if kind == "local"
        else "the notifier reads it within 5 minutes (its cache); no apply needed"
    )
    make_console(stderr=True).print(f"stored the {name.value} secret in {where}; {then}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(secret_app, name="secret")
