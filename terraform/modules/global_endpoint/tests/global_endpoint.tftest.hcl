# What the module computes: the global endpoint over the two buses (routing: the primary while the health
# check is healthy, else the secondary region; replication on or off), the health alarm from health_alarm
# (metric, dimension, statistic, period, missing-data treatment, notifications), the Route 53 health check
# on it (insufficient data is unhealthy), the replication role's trust and policy rendered as JSON, the
# outputs (the EndpointId from the URL), and what it refuses (variables, the endpoint's preconditions).
# Run: terraform init -backend=false && terraform test (tests/terraform/test_terraform_test.py runs every module).

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

# The real provider renders the aws_iam_policy_document data sources (a mock invents their JSON). Every
# resource is overridden, so an apply with it creates nothing and calls no AWS API.
provider "aws" {
  alias                       = "render"
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  max_retries                 = 1
}

override_data {
  target = data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

override_data {
  target = data.aws_partition.current
  values = { partition = "aws", dns_suffix = "amazonaws.com" }
}

override_resource {
  target = aws_cloudwatch_metric_alarm.health
  values = { arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:shop-prod-abc123-failover-health" }
}

override_resource {
  target = aws_route53_health_check.this
  values = {
    id  = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
    arn = "arn:aws:route53:::healthcheck/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
  }
}

override_resource {
  target = aws_cloudwatch_event_endpoint.this
  values = {
    arn = "arn:aws:events:us-east-1:123456789012:endpoint/shop-prod-abc123-endpoint"
    # A global endpoint's URL: https://<endpoint id>.endpoint.events.amazonaws.com, the id itself dotted.
    endpoint_url = "https://abcde.veo.endpoint.events.amazonaws.com"
  }
}

override_resource {
  target = aws_iam_role.replication
  values = {
    arn = "arn:aws:iam::123456789012:role/shop-prod-abc123-endpoint-replication"
    id  = "shop-prod-abc123-endpoint-replication"
  }
}

override_resource {
  target = aws_iam_role_policy.replication
}

variables {
  name                     = "shop-prod-abc123-endpoint"
  name_prefix              = "shop-prod-abc123"
  primary_region           = "us-east-1"
  secondary_region         = "us-west-2"
  event_bus_name           = "shop-prod-abc123-bus"
  primary_event_bus_arn    = "arn:aws:events:us-east-1:123456789012:event-bus/shop-prod-abc123-bus"
  secondary_event_bus_arn  = "arn:aws:events:us-west-2:123456789012:event-bus/shop-prod-abc123-bus"
  permissions_boundary_arn = "arn:aws:iam::123456789012:policy/shop-boundary"
  alarm_topic_arn          = "arn:aws:sns:us-east-1:123456789012:shop-prod-abc123-operations"
  # AWS's template for global endpoints.
  health_alarm = {
    metric             = "IngestionToInvocationStartLatency"
    statistic          = "Average"
    threshold          = 30000
    period_seconds     = 60
    evaluation_periods = 5
    treat_missing_data = "breaching"
  }
}

run "the_alarm_watches_the_primary_buss_latency_and_notifies_the_operations_topic" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.health.alarm_name == "shop-prod-abc123-failover-health"
      && aws_cloudwatch_metric_alarm.health.namespace == "AWS/Events"
      && aws_cloudwatch_metric_alarm.health.metric_name == "IngestionToInvocationStartLatency"
      && aws_cloudwatch_metric_alarm.health.dimensions == tomap({ EventBusName = "shop-prod-abc123-bus" })
    )
    error_message = "The alarm <name_prefix>-failover-health watches AWS/Events' latency of this bus (the metric is per bus)."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.health.statistic == "Average"
      && aws_cloudwatch_metric_alarm.health.threshold == 30000
      && aws_cloudwatch_metric_alarm.health.comparison_operator == "GreaterThanThreshold"
      && aws_cloudwatch_metric_alarm.health.period == 60
      && aws_cloudwatch_metric_alarm.health.evaluation_periods == 5
    )
    error_message = "Statistic, threshold (fires above it), period and evaluation periods come from health_alarm."
  }

  assert {
    # No data from the primary (nothing ingested, or CloudWatch unreadable) counts as breaching here.
    condition     = aws_cloudwatch_metric_alarm.health.treat_missing_data == "breaching"
    error_message = "The missing-data treatment is health_alarm.treat_missing_data."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.health.alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:shop-prod-abc123-operations"])
      && aws_cloudwatch_metric_alarm.health.ok_actions == toset(["arn:aws:sns:us-east-1:123456789012:shop-prod-abc123-operations"])
    )
    error_message = "ALARM (failing over) and OK (failing back) both notify alarm_topic_arn."
  }
}

run "a_count_metric_is_the_regions_total_and_no_topic_notifies_nobody" {
  command = plan

  variables {
    alarm_topic_arn = null
    health_alarm = {
      metric             = "FailedInvocations"
      statistic          = "Sum"
      threshold          = 10
      period_seconds     = 120
      evaluation_periods = 3
      treat_missing_data = "notBreaching"
    }
  }

  assert {
    # AWS publishes the count metrics without a dimension (the region's total) besides per rule.
    condition     = aws_cloudwatch_metric_alarm.health.metric_name == "FailedInvocations" && length(coalesce(aws_cloudwatch_metric_alarm.health.dimensions, {})) == 0
    error_message = "A count metric is watched without a dimension."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.health.statistic == "Sum" && aws_cloudwatch_metric_alarm.health.threshold == 10
      && aws_cloudwatch_metric_alarm.health.period == 120 && aws_cloudwatch_metric_alarm.health.evaluation_periods == 3
      && aws_cloudwatch_metric_alarm.health.treat_missing_data == "notBreaching"
    )
    error_message = "Every setting of health_alarm reaches the alarm."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.health.alarm_actions) == 0 && length(aws_cloudwatch_metric_alarm.health.ok_actions) == 0
    error_message = "Without alarm_topic_arn the alarm notifies nobody."
  }
}

run "the_health_check_reports_the_alarm_and_insufficient_data_is_unhealthy" {
  command = plan

  assert {
    condition = (
      aws_route53_health_check.this.type == "CLOUDWATCH_METRIC"
      && aws_route53_health_check.this.cloudwatch_alarm_name == "shop-prod-abc123-failover-health"
      && aws_route53_health_check.this.cloudwatch_alarm_region == "us-east-1"
    )
    error_message = "A CLOUDWATCH_METRIC health check on the health alarm, in the primary region."
  }

  assert {
    # A primary whose CloudWatch cannot be read (the outage this guards against) fails over.
    condition     = aws_route53_health_check.this.insufficient_data_health_status == "Unhealthy"
    error_message = "Insufficient data is unhealthy."
  }

  assert {
    condition     = aws_route53_health_check.this.tags == tomap({ Name = "shop-prod-abc123-failover-health" })
    error_message = "The health check is named (tag Name) like its alarm."
  }
}

run "the_endpoint_fails_over_to_the_secondary_and_replicates_between_the_buses" {
  command = apply

  assert {
    condition = (
      aws_cloudwatch_event_endpoint.this.name == "shop-prod-abc123-endpoint"
      && [for bus in aws_cloudwatch_event_endpoint.this.event_bus : bus.event_bus_arn] == [
        "arn:aws:events:us-east-1:123456789012:event-bus/shop-prod-abc123-bus",
        "arn:aws:events:us-west-2:123456789012:event-bus/shop-prod-abc123-bus",
      ]
    )
    error_message = "The endpoint spans the primary's and the secondary's bus."
  }

  assert {
    condition = (
      aws_cloudwatch_event_endpoint.this.routing_config[0].failover_config[0].primary[0].health_check == "arn:aws:route53:::healthcheck/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
      && aws_cloudwatch_event_endpoint.this.routing_config[0].failover_config[0].secondary[0].route == "us-west-2"
    )
    error_message = "Healthy (the health check): the primary; unhealthy: the secondary region."
  }

  assert {
    condition = (
      aws_cloudwatch_event_endpoint.this.replication_config[0].state == "ENABLED"
      && aws_cloudwatch_event_endpoint.this.role_arn == "arn:aws:iam::123456789012:role/shop-prod-abc123-endpoint-replication"
      && length(aws_iam_role.replication) == 1 && length(aws_iam_role_policy.replication) == 1
    )
    error_message = "Replication on by default, with the replication role."
  }

  assert {
    condition = (
      output.endpoint_name == "shop-prod-abc123-endpoint"
      && output.endpoint_id == "abcde.veo"
      && output.endpoint_arn == "arn:aws:events:us-east-1:123456789012:endpoint/shop-prod-abc123-endpoint"
      && output.endpoint_url == "https://abcde.veo.endpoint.events.amazonaws.com"
      && output.health_check_id == "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
      && output.health_alarm_name == "shop-prod-abc123-failover-health"
      && output.replication_role_arn == "arn:aws:iam::123456789012:role/shop-prod-abc123-endpoint-replication"
    )
    error_message = "The outputs; endpoint_id is the URL's host label before .endpoint.events. (what publishers pass as EndpointId)."
  }
}

run "without_replication_there_is_no_role" {
  command = apply

  variables {
    replication = false
  }

  assert {
    condition = (
      aws_cloudwatch_event_endpoint.this.replication_config[0].state == "DISABLED"
      && aws_cloudwatch_event_endpoint.this.role_arn == null
    )
    error_message = "replication = false: replication DISABLED, no role on the endpoint."
  }

  assert {
    condition     = length(aws_iam_role.replication) == 0 && length(aws_iam_role_policy.replication) == 0 && output.replication_role_arn == null
    error_message = "No replication role, and a null replication_role_arn."
  }

  assert {
    condition     = aws_cloudwatch_event_endpoint.this.routing_config[0].failover_config[0].secondary[0].route == "us-west-2"
    error_message = "The failover itself does not depend on replication."
  }
}

run "the_replication_role_serves_eventbridge_for_the_managed_rules_of_both_buses_only" {
  command   = apply
  providers = { aws = aws.render }

  assert {
    condition = (
      aws_iam_role.replication[0].name == "shop-prod-abc123-endpoint-replication"
      && aws_iam_role.replication[0].permissions_boundary == "arn:aws:iam::123456789012:policy/shop-boundary"
      && aws_iam_role_policy.replication[0].role == "shop-prod-abc123-endpoint-replication"
    )
    error_message = "The role <name_prefix>-endpoint-replication carries the boundary and its inline policy."
  }

  assert {
    # Source ARNs compared sorted: the provider renders them in an order of its own.
    condition = [
      for statement in jsondecode(aws_iam_role.replication[0].assume_role_policy).Statement :
      merge(statement, { Condition = merge(statement.Condition, { ArnLike = { "aws:SourceArn" = sort(statement.Condition.ArnLike["aws:SourceArn"]) } }) })
      ] == [{
        Effect    = "Allow"
        Action    = "sts:AssumeRole"
        Principal = { Service = "events.amazonaws.com" }
        Condition = {
          StringEquals = { "aws:SourceAccount" = "123456789012" }
          ArnLike = { "aws:SourceArn" = sort([
            "arn:aws:events:us-east-1:123456789012:endpoint/shop-prod-abc123-endpoint",
            "arn:aws:events:us-east-1:123456789012:rule/shop-prod-abc123-bus/GlobalEndpointManagedRule-*",
            "arn:aws:events:us-west-2:123456789012:rule/shop-prod-abc123-bus/GlobalEndpointManagedRule-*",
          ]) }
        }
    }]
    error_message = "Trust policy: ${aws_iam_role.replication[0].assume_role_policy}"
  }

  assert {
    # Actions and resources compared sorted: the provider renders them in an order of its own.
    condition = [
      for statement in jsondecode(aws_iam_role_policy.replication[0].policy).Statement :
      merge(statement, { Action = sort(flatten([statement.Action])), Resource = sort(flatten([statement.Resource])) })
      ] == [
      {
        Sid    = "PutEventsOnBothBuses"
        Effect = "Allow"
        Action = sort(["events:PutEvents"])
        Resource = sort([
          "arn:aws:events:us-east-1:123456789012:event-bus/shop-prod-abc123-bus",
          "arn:aws:events:us-west-2:123456789012:event-bus/shop-prod-abc123-bus",
        ])
      },
      {
        Sid    = "ManageTheReplicationRules"
        Effect = "Allow"
        Action = sort(["events:PutRule", "events:PutTargets", "events:DeleteRule", "events:RemoveTargets"])
        Resource = sort([
          "arn:aws:events:us-east-1:123456789012:rule/shop-prod-abc123-bus/GlobalEndpointManagedRule-*",
          "arn:aws:events:us-west-2:123456789012:rule/shop-prod-abc123-bus/GlobalEndpointManagedRule-*",
        ])
      },
      {
        Sid       = "PassItselfToEventBridge"
        Effect    = "Allow"
        Action    = sort(["iam:PassRole"])
        Resource  = sort(["arn:aws:iam::123456789012:role/shop-prod-abc123-endpoint-replication"])
        Condition = { StringEquals = { "iam:PassedToService" = "events.amazonaws.com" } }
      },
    ]
    error_message = "Replication policy: ${aws_iam_role_policy.replication[0].policy}"
  }
}

# The endpoint's preconditions, one per run so each must refuse on its own.
run "one_region_for_both_sides_is_refused" {
  command = plan

  variables {
    secondary_region        = "us-east-1"
    secondary_event_bus_arn = "arn:aws:events:us-east-1:123456789012:event-bus/shop-prod-abc123-bus"
  }

  expect_failures = [aws_cloudwatch_event_endpoint.this]
}

run "buses_of_different_names_are_refused" {
  command = plan

  variables {
    secondary_event_bus_arn = "arn:aws:events:us-west-2:123456789012:event-bus/shop-prod-abc123-other"
  }

  expect_failures = [aws_cloudwatch_event_endpoint.this]
}

# One bad value per variable: each listed variable must refuse its own, and nothing else may fail.
run "a_bad_name_prefix_and_metric_are_refused" {
  command = plan

  variables {
    name        = "shop prod endpoint"
    name_prefix = "Shop-Prod"
    health_alarm = {
      metric             = "Invocations"
      statistic          = "Average"
      threshold          = 30000
      period_seconds     = 60
      evaluation_periods = 5
      treat_missing_data = "breaching"
    }
  }

  expect_failures = [var.name, var.name_prefix, var.health_alarm]
}

# health_alarm's other rules, one per run: the variable fails if any rule does.
run "an_extended_statistic_is_refused" {
  command = plan

  variables {
    health_alarm = {
      metric             = "IngestionToInvocationStartLatency"
      statistic          = "p99"
      threshold          = 30000
      period_seconds     = 60
      evaluation_periods = 5
      treat_missing_data = "breaching"
    }
  }

  expect_failures = [var.health_alarm]
}

run "a_period_not_in_whole_minutes_is_refused" {
  command = plan

  variables {
    health_alarm = {
      metric             = "IngestionToInvocationStartLatency"
      statistic          = "Average"
      threshold          = 30000
      period_seconds     = 90
      evaluation_periods = 5
      treat_missing_data = "breaching"
    }
  }

  expect_failures = [var.health_alarm]
}

run "an_unknown_missing_data_treatment_is_refused" {
  command = plan

  variables {
    health_alarm = {
      metric             = "IngestionToInvocationStartLatency"
      statistic          = "Average"
      threshold          = 30000
      period_seconds     = 60
      evaluation_periods = 5
      treat_missing_data = "zero"
    }
  }

  expect_failures = [var.health_alarm]
}
