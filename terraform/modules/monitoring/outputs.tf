output "operations_topic_arn" {
  description = "ARN of the operations SNS topic every alarm notifies; subscribe your on-call tooling to it."
  value       = aws_sns_topic.this.arn
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_names" {
  description = "Every alarm name (one per family of alarm_catalogue.json and member), for silencing or wiring into other tooling."
  value       = [for alarm in aws_cloudwatch_metric_alarm.this : alarm.alarm_name]
}
