"""Issue 24 item 4 with the real thing: the driver's drift plan (`terraform plan -detailed-exitcode` to a file
of its own) and the drift summary, with real Terraform and the real hashicorp/aws provider against the e2e
moto server. A rule disabled, a queue's visibility timeout changed and a queue deleted through the API are
exactly what is reported, not the queue's `policy` that its aws_sqs_queue_policy set after the queue was
created (the refresh lists it too); the state is left as it was (the plan is not applied).
(tests/robustness/data/drift_plan_moto.json and drift_refresh_only_moto.json were recorded from this
configuration.)

Marked `e2e` (real Terraform, five runs of it: one to four minutes here, mostly the provider starting);
skipped with the reason when terraform or the provider is missing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tooling.deploy.drift import drift_from_plan
from tooling.deploy.terraform import TerraformDriver, find_binary
from tooling.errors import TerraformError, UnavailableError
from tooling.workspace import Workspace
from tooling_testing.emulator.server import moto_server
from tooling_testing.harness import provider

pytestmark = pytest.mark.e2e

CONFIG = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

variable "endpoint" {
  type = string
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {
    events = var.endpoint
    sqs    = var.endpoint
    sts    = var.endpoint
  }
}

resource "aws_cloudwatch_event_bus" "this" {
  name = "drift-bus"
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each       = toset(["order-events"])
  name           = "drift-${each.key}"
  event_bus_name = aws_cloudwatch_event_bus.this.name
  event_pattern  = jsonencode({ source = ["ecommerce.orders"] })
  state          = "ENABLED"
}

resource "aws_sqs_queue" "batch" {
  count                      = 1
  name                       = "drift-batch"
  visibility_timeout_seconds = 60
}

resource "aws_sqs_queue_policy" "batch" {
  queue_url = aws_sqs_queue.batch[0].url
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EventBridge"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.batch[0].arn
    }]
  })
}

resource "aws_sqs_queue" "gone" {
  name = "drift-gone"
}
"""


@pytest.fixture
def driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TerraformDriver:
    try:
        binary = find_binary()[0]
        tf_env, _ = provider.cli_config_env(tmp_path)
    except (TerraformError, UnavailableError) as exc:
        pytest.skip(f"no terraform or hashicorp/aws provider here: {exc.message}")
    for name, value in tf_env.items():
        monkeypatch.setenv(name, value)
    workspace = Workspace.for_env("dev", root=tmp_path / "project")
    workspace.terraform_dir.mkdir(parents=True)
    (workspace.terraform_dir / "main.tf").write_text(CONFIG)
    return TerraformDriver(workspace, binary)


def _report(driver: TerraformDriver, tfvars: Path) -> tuple[bool, dict[str, Any]]:
    plan_file = driver.workspace.state_dir / "drift.tfplan"
    answered = driver.plan_to(tfvars, plan_file)
    return answered, drift_from_plan(driver.show_json(plan_file), "dev").as_json()


def test_the_drift_plan_reports_exactly_the_changes_made_out_of_band(
    driver: TerraformDriver, tmp_path: Path
) -> None:
    with moto_server(tmp_path / "moto.log") as url:
        tfvars = tmp_path / "e2e.tfvars.json"
        tfvars.write_text(json.dumps({"endpoint": url}))
        driver.init()
        driver.apply(driver.plan(tfvars).plan_file)
        state = driver.workspace.terraform_dir / "terraform.tfstate.d" / "dev" / "terraform.tfstate"
        applied = state.read_text()
        events = boto3.client("events", region_name="us-east-1", endpoint_url=url)
        sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=url)
        batch = sqs.get_queue_url(QueueName="drift-batch")["QueueUrl"]
        answered, report = _report(driver, tfvars)
        assert (answered, report["resources"]) == (False, [])  # an empty plan: terraform answers 0

        events.disable_rule(Name="drift-order-events", EventBusName="drift-bus")
        sqs.set_queue_attributes(QueueUrl=batch, Attributes={"VisibilityTimeout": "45"})
        sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName="drift-gone")["QueueUrl"])
        answered, report = _report(driver, tfvars)

        assert answered is True and report["drift"] is True
        assert [(r["address"], r["action"], r["changes"]) for r in report["resources"]] == [
            ('aws_cloudwatch_event_rule.this["order-events"]', "update",
             [{"attribute": "state", "state": "ENABLED", "real": "DISABLED"}]),
            ("aws_sqs_queue.batch[0]", "update",
             [{"attribute": "visibility_timeout_seconds", "state": 60, "real": 45}]),
            ("aws_sqs_queue.gone", "delete", []),
        ]  # fmt: skip
        assert state.read_text() == applied  # nothing was written to the state

        driver.destroy(tfvars)
