# The EventBridge global endpoint of [failover]: publishers send PutEvents with its EndpointId; Route 53's
# health check on the health alarm decides which region receives. Healthy (alarm OK): the primary bus;
# unhealthy (alarm in ALARM, or no data at all): the bus of the same name in the secondary region. With
# replication ENABLED, EventBridge's managed rules copy every custom event to the other region's bus too,
# so both regions' consumers see every event (they deduplicate on the business key) and traffic returns to
# the primary by itself once the alarm is OK. Everything here lives in the primary region (provider aws);
# the health check is Route 53's, a global service.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  alarm_name = "${var.name_prefix}-failover-health"

  # The latency metric is per bus (AWS's template); the count metrics are the region's totals, which AWS
  # publishes without a dimension.
  alarm_dimensions = var.health_alarm.metric == "IngestionToInvocationStartLatency" ? { EventBusName = var.event_bus_name } : {}

  # Built from names: the role's policies must exist before the endpoint that uses the role.
  endpoint_arn = "arn:${local.partition}:events:${var.primary_region}:${local.account_id}:endpoint/${var.name}"
  bus_arns     = [var.primary_event_bus_arn, var.secondary_event_bus_arn]
  # The managed rules EventBridge creates on both buses for replication (GlobalEndpointManagedRule-<id>).
  managed_rule_arns = [
    for region in [var.primary_region, var.secondary_region] :
    "arn:${local.partition}:events:${region}:${local.account_id}:rule/${var.event_bus_name}/GlobalEndpointManagedRule-*"
  ]
  role_name = "${var.name_prefix}-endpoint-replication"
  role_arn  = "arn:${local.partition}:iam::${local.account_id}:role/${local.role_name}"

  # What publishers pass as EndpointId: the host label of the endpoint URL
  # (https://<endpoint id>.endpoint.events.amazonaws.com). replace() rather than regex(): a URL of another
  # form (an emulator's) yields a wrong id that a publish reports, not a failed apply.
  endpoint_id = replace(replace(aws_cloudwatch_event_endpoint.this.endpoint_url, "/^https?:\\/\\//", ""), "/\\.endpoint\\.events\\..*$/", "")
}

resource "aws_cloudwatch_metric_alarm" "health" {
  alarm_name          = local.alarm_name
  alarm_description   = "Health of ${var.event_bus_name} in ${var.primary_region} for global endpoint ${var.name}: in ALARM the endpoint sends events to ${var.secondary_region} until it is OK again."
  namespace           = "AWS/Events"
  metric_name         = var.health_alarm.metric
  dimensions          = local.alarm_dimensions
  statistic           = var.health_alarm.statistic
  period              = var.health_alarm.period_seconds
  evaluation_periods  = var.health_alarm.evaluation_periods
  threshold           = var.health_alarm.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = var.health_alarm.treat_missing_data
  alarm_actions       = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]
  ok_actions          = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]
}

# CLOUDWATCH_METRIC: healthy while the alarm is OK. Insufficient data counts as unhealthy: a primary region
# whose CloudWatch cannot be read (the outage this guards against) fails over rather than staying put.
resource "aws_route53_health_check" "this" {
  type                            = "CLOUDWATCH_METRIC"
  cloudwatch_alarm_name           = aws_cloudwatch_metric_alarm.health.alarm_name
  cloudwatch_alarm_region         = var.primary_region
  insufficient_data_health_status = "Unhealthy"

  tags = {
    Name = local.alarm_name
  }
}

resource "aws_cloudwatch_event_endpoint" "this" {
  name        = var.name
  description = "${var.event_bus_name}: ${var.primary_region}, failing over to ${var.secondary_region} while ${local.alarm_name} is in ALARM"
  role_arn    = var.replication ? aws_iam_role.replication[0].arn : null

  event_bus {
    event_bus_arn = var.primary_event_bus_arn
  }

  event_bus {
    event_bus_arn = var.secondary_event_bus_arn
  }

  routing_config {
    failover_config {
      primary {
        health_check = aws_route53_health_check.this.arn
      }

      secondary {
        route = var.secondary_region
      }
    }
  }

  replication_config {
    state = var.replication ? "ENABLED" : "DISABLED"
  }

  # The role's policy first: EventBridge sets up the replication's managed rules with it.
  depends_on = [aws_iam_role_policy.replication]

  lifecycle {
    precondition {
      condition     = var.primary_region != var.secondary_region
      error_message = "global_endpoint: the secondary region (${var.secondary_region}) must differ from the primary region (${var.primary_region})."
    }

    precondition {
      condition     = element(split("/", var.primary_event_bus_arn), 1) == element(split("/", var.secondary_event_bus_arn), 1)
      error_message = "global_endpoint: both buses must have the same name (EventBridge routes by name): ${var.primary_event_bus_arn} and ${var.secondary_event_bus_arn}."
    }
  }
}
