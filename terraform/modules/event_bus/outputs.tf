output "name" {
  description = "Name of the event bus."
  value       = aws_cloudwatch_event_bus.this.name
}

output "arn" {
  description = "ARN of the event bus."
  value       = aws_cloudwatch_event_bus.this.arn
}

output "archive_name" {
  description = "Name of the archive (replay source)."
  value       = aws_cloudwatch_event_archive.this.name
}

output "archive_arn" {
  description = "ARN of the archive."
  value       = aws_cloudwatch_event_archive.this.arn
}

output "publisher_policy_arn" {
  description = "ARN of the managed policy producers attach to publish on the bus; null without create_publisher_policy."
  value       = one(aws_iam_policy.publisher[*].arn)
}
