"""Real Terraform and the real hashicorp/aws provider create, read (an empty second plan), update and destroy
a global endpoint against the e2e moto server: two buses of one name, the health alarm, a CLOUDWATCH_METRIC
Route 53 health check on it, the replication role, aws_cloudwatch_event_endpoint, and a DynamoDB table with a
`replica {}` in the secondary region (tooling_testing/emulator/endpoints_api.py, health_checks.py,
global_tables.py). Against moto 5.2.5 alone the endpoint never got created (HTTP 500, retried for minutes)
and the replica never became ACTIVE.

Marked `e2e` (real Terraform: five runs of it, 2-3 minutes here, mostly the provider starting); skipped with the reason when terraform or the provider is
missing.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest

from tooling.deploy.terraform import find_binary
from tooling.errors import TerraformError, UnavailableError
from tooling_testing.emulator.server import moto_server
from tooling_testing.harness import provider

pytestmark = pytest.mark.e2e

SERVICES = ("cloudwatch", "dynamodb", "events", "iam", "route53", "sts")
CONFIG = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

variable "endpoint" { type = string }
variable "description" { type = string }

locals {
  name = "shop-e2e"
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  endpoints {
%(endpoints)s
  }
}

provider "aws" {
  alias                       = "secondary"
  region                      = "us-west-2"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  endpoints {
%(endpoints)s
  }
}

resource "aws_cloudwatch_event_bus" "primary" {
  name = "${local.name}-bus"
}

resource "aws_cloudwatch_event_bus" "secondary" {
  provider = aws.secondary
  name     = "${local.name}-bus"
}

resource "aws_cloudwatch_metric_alarm" "health" {
  alarm_name          = "${local.name}-failover-health"
  namespace           = "AWS/Events"
  metric_name         = "IngestionToInvocationStartLatency"
  dimensions          = { EventBusName = aws_cloudwatch_event_bus.primary.name }
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 5
  threshold           = 30000
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
}

resource "aws_route53_health_check" "primary" {
  type                            = "CLOUDWATCH_METRIC"
  cloudwatch_alarm_name           = aws_cloudwatch_metric_alarm.health.alarm_name
  cloudwatch_alarm_region         = "us-east-1"
  insufficient_data_health_status = "Unhealthy"
}

resource "aws_iam_role" "replication" {
  name = "${local.name}-replication"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_cloudwatch_event_endpoint" "this" {
  name        = "${local.name}-endpoint"
  description = var.description
  role_arn    = aws_iam_role.replication.arn
  event_bus {
    event_bus_arn = aws_cloudwatch_event_bus.primary.arn
  }
  event_bus {
    event_bus_arn = aws_cloudwatch_event_bus.secondary.arn
  }
  replication_config {
    state = "ENABLED"
  }
  routing_config {
    failover_config {
      primary {
        health_check = aws_route53_health_check.primary.arn
      }
      secondary {
        route = "us-west-2"
      }
    }
  }
}

resource "aws_dynamodb_table" "idempotency" {
  name             = "${local.name}-idempotency"
  billing_mode     = "PAY_PER_REQUEST"
  hash_key         = "pk"
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"
  attribute {
    name = "pk"
    type = "S"
  }
  replica {
    region_name = "us-west-2"
  }
}

output "endpoint_url" {
  value = aws_cloudwatch_event_endpoint.this.endpoint_url
}
"""


@pytest.fixture
def terraform(tmp_path: Path) -> tuple[str, dict[str, str]]:
    try:
        binary = find_binary()[0]
        tf_env, _ = provider.cli_config_env(tmp_path)
    except (TerraformError, UnavailableError) as exc:
        pytest.skip(f"no terraform or hashicorp/aws provider here: {exc.message}")
    return binary, tf_env


def test_terraform_applies_reads_updates_and_destroys_a_global_endpoint(
    terraform: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    binary, tf_env = terraform
    work = tmp_path / "tf"
    work.mkdir()
    with moto_server(tmp_path / "moto.log") as url:
        endpoints = "\n".join(f'    {service} = "{url}"' for service in SERVICES)
        (work / "main.tf").write_text(CONFIG % {"endpoints": endpoints})
        env = {**os.environ, **tf_env, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
        env.pop("AWS_PROFILE", None)

        def tf(*args: str, description: str = "first") -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [binary, *args, "-input=false", "-no-color", f"-var=endpoint={url}",
                 f"-var=description={description}"] if args[0] != "init" else [binary, *args, "-input=false"],
                cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False,
            )  # fmt: skip

        assert (done := tf("init")).returncode == 0, done.stderr
        applied = tf("apply", "-auto-approve")
        assert applied.returncode == 0, applied.stderr[-3000:]
        replan = tf("plan", "-detailed-exitcode")
        assert replan.returncode == 0, replan.stdout[-3000:]  # 2 would be a change: the read differs

        events = _client("events", url)
        endpoint = events.describe_endpoint(Name="shop-e2e-endpoint")
        assert endpoint["State"] == "ACTIVE" and endpoint["ReplicationConfig"] == {"State": "ENABLED"}
        table = _client("dynamodb", url, "us-west-2").describe_table(TableName="shop-e2e-idempotency")[
            "Table"
        ]
        assert table["Replicas"][0]["RegionName"] == "us-east-1"

        updated = tf("apply", "-auto-approve", description="second")
        assert updated.returncode == 0, updated.stderr[-3000:]
        assert "1 changed" in updated.stdout
        assert events.describe_endpoint(Name="shop-e2e-endpoint")["Description"] == "second"

        destroyed = tf("destroy", "-auto-approve", description="second")
        assert destroyed.returncode == 0, destroyed.stderr[-3000:]
        assert events.list_endpoints()["Endpoints"] == []
        for region in ("us-east-1", "us-west-2"):
            assert _client("dynamodb", url, region).list_tables()["TableNames"] == []
        assert _client("route53", url).list_health_checks()["HealthChecks"] == []


def _client(service: str, url: str, region: str = "us-east-1") -> Any:
    return boto3.client(
        service, region_name=region, endpoint_url=url,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
