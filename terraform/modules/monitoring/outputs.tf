output "operations_topic_arn" {
  description = "ARN of the operations SNS topic every alarm notifies; subscribe your on-call tooling to it."
  value       = aws_sns_topic.this.arn
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_names" {
  description = "Every alarm name, for silencing or wiring into other tooling."
  value = concat(
    [for alarm in aws_cloudwatch_metric_alarm.rule_failed_invocations : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.rule_dlq_failures : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.dlq_depth : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.lambda_errors : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.lambda_throttles : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.lambda_dead_letter_errors : alarm.alarm_name],
    [aws_cloudwatch_metric_alarm.batch_queue_age.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.state_machine_failed : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.state_machine_timed_out : alarm.alarm_name],
  )
}
