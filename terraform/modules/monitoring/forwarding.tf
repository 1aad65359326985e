# The forwarding rule lives on the account's default bus, whose rules report their metrics under the
# RuleName dimension alone (the routing rules' alarms add EventBusName, which a default-bus rule's metrics
# do not carry), so it gets alarms of its own rather than an entry of rule_names.

locals {
  forwarding_rules = var.forwarding_rule_name == null ? {} : { forwarding = var.forwarding_rule_name }
}

resource "aws_cloudwatch_metric_alarm" "forwarding_failed_invocations" {
  for_each = local.forwarding_rules

  alarm_name          = "${var.name_prefix}-rule-${each.key}-failed-invocations"
  alarm_description   = "Rule ${each.value} (default bus) failed to forward AWS service events to the custom bus after its retries; they are in the events DLQ."
  namespace           = "AWS/Events"
  metric_name         = "FailedInvocations"
  dimensions          = { RuleName = each.value }
  statistic           = "Sum"
  period              = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = var.alarms.failed_invocations
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}

resource "aws_cloudwatch_metric_alarm" "forwarding_dlq_failures" {
  for_each = local.forwarding_rules

  alarm_name          = "${var.name_prefix}-rule-${each.key}-dlq-send-failures"
  alarm_description   = "Rule ${each.value} (default bus) could not even dead-letter an AWS service event: the event is lost. Check the events DLQ's policy."
  namespace           = "AWS/Events"
  metric_name         = "InvocationsFailedToBeSentToDlq"
  dimensions          = { RuleName = each.value }
  statistic           = "Sum"
  period              = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}
