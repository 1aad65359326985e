"""Config -> Terraform variables.

Values are serialized as JSON (`terraform.tfvars.json`), never spliced into HCL text, so any string a user
writes (quotes, `${`, `%{`, newlines) reaches Terraform unchanged. jinja2 renders only what must be HCL:
the backend config for `terraform init -backend-config`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined

from tooling.config import Config, Target
from tooling.publish.schemas import load_schemas, registry_contents
from tooling.workspace import Workspace, write_file

HANDLERS = {
    "processor": "event_processors.processor.handler",
    "notifier": "event_processors.notifier.handler",
    "analytics": "event_processors.analytics.handler",
    "batch-processor": "event_processors.batch_processor.handler",
}

# HCL string literal escaping for the few values rendered into backend.hcl.
_JINJA = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
_JINJA.filters["hcl"] = lambda v: json.dumps(str(v)).replace("${", "$${").replace("%{", "%%{")
_BACKEND_TEMPLATE = _JINJA.from_string(
    """# Rendered by `tooling tfvars` from environments/{{ env }}.toml; do not edit.
bucket       = {{ backend.bucket | hcl }}
key          = {{ backend.key | hcl }}
region       = {{ backend.region | hcl }}
use_lockfile = {{ "true" if backend.use_lockfile else "false" }}
"""
)


def _target(target: Target) -> dict[str, Any]:
    transformer = target.input_transformer
    return {
        "target": target.target,
        "input_transformer": None
        if transformer is None
        else {"input_paths": dict(transformer.input_paths), "input_template": transformer.input_template},
        "retry_policy": {
            "maximum_retry_attempts": target.retry_policy.maximum_retry_attempts,
            "maximum_event_age_in_seconds": target.retry_policy.maximum_event_age_seconds,
        },
        "dead_letter_queue": target.dead_letter_queue,
    }


def build_tfvars(
    config: Config,
    *,
    name_suffix: str,
    zip_path: Path,
    zip_sha256_b64: str,
    schemas: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The variables of terraform/variables.tf, as plain JSON-able data.

    `schemas` (registry name -> JSON Schema text) defaults to the files under schemas/; Terraform gets
    the contents, so it never reads files outside its own tree. Without a registry none are passed.
    """
    if not config.schemas.registry:
        schemas = {}
    elif schemas is None:
        schemas = registry_contents(load_schemas())
    return {
        "project": config.project,
        "environment": config.environment,
        "name_suffix": name_suffix,
        "region": config.region,
        "tags": dict(config.tags),
        "lambda_zip_path": str(zip_path),
        "lambda_zip_sha256": zip_sha256_b64,
        "functions": {
            name: {
                "handler": HANDLERS[name],
                "memory_mb": settings.memory_mb,
                "timeout_seconds": settings.timeout_seconds,
                "reserved_concurrency": settings.reserved_concurrency,
                "maximum_retry_attempts": settings.maximum_retry_attempts,
                "maximum_event_age_seconds": settings.maximum_event_age_seconds,
            }
            for name, settings in config.deployed_functions()
        },
        "high_value_threshold": config.processing.high_value_threshold,
        # The parameter's name only: the URL is a secret Terraform never sees (tooling/webhook.py).
        "webhook_parameter": config.processing.webhook_parameter,
        "notification_email": config.notifications.email,
        "archive_retention_days": config.archive.retention_days,
        # The settings only: whether the archive and the workflow exist is decided by the Config, once.
        "s3_archive": config.s3_archive.model_dump(exclude={"enabled"}),
        "create_s3_archive": config.creates_s3_archive,
        "create_workflow": config.creates_workflow,
        "log_retention_days": config.logs.retention_days,
        "alarms": config.alarms.thresholds(),
        "alarm_email": config.alarms.email,
        "rules": {
            rule.name: {
                "description": rule.description,
                "enabled": rule.enabled,
                "state": rule.rule_state,
                "event_pattern": rule.pattern_json,
                "targets": {t.target_id: _target(t) for t in rule.targets},
            }
            for rule in config.rules
        },
        "endpoints": dict(config.terraform.endpoints),
        "publisher_account_ids": list(config.terraform.publisher_account_ids),
        "permissions_boundary_arn": config.terraform.permissions_boundary_arn,
        "schemas": dict(schemas),
        "schema_registry": {"registry": config.schemas.registry, "discoverer": config.schemas.discoverer},
        "failover": None if config.failover is None else config.failover.model_dump(),
        "forwarding": {
            "enabled": config.forwarding.enabled,
            "sources": list(config.forwarding.sources),
            "detail_types": list(config.forwarding.detail_types),
        },
        # The filter as the JSON text Lambda's FilterCriteria takes.
        "batch_processor": {
            **config.batch_processor.model_dump(exclude={"filter_pattern"}),
            "filter_pattern": config.batch_processor.filter_pattern_json,
        },
        "event_store": config.event_store.model_dump(),
    }


def render_backend(config: Config) -> str | None:
    if config.terraform.backend is None:
        return None
    return _BACKEND_TEMPLATE.render(env=config.environment, backend=config.terraform.backend)


def write_tfvars(workspace: Workspace, config: Config, *, zip_path: Path, zip_sha256_b64: str) -> Path:
    """Write terraform.tfvars.json (and backend.hcl when a backend is configured); return the tfvars path."""
    workspace.ensure()
    data = build_tfvars(
        config, name_suffix=workspace.name_suffix(), zip_path=zip_path, zip_sha256_b64=zip_sha256_b64
    )
    write_file(workspace.tfvars_path, json.dumps(data, indent=2, sort_keys=True) + "\n")
    write_backend(workspace, config)
    return workspace.tfvars_path


def write_backend(workspace: Workspace, config: Config) -> Path | None:
    """Write (or remove) backend.hcl for the environment's backend; its path, None for local state."""
    workspace.ensure()
    backend = render_backend(config)
    backend_path = workspace.state_dir / "backend.hcl"
    if backend is None:
        backend_path.unlink(missing_ok=True)
        return None
    return write_file(backend_path, backend)
