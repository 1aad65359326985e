output "endpoint_name" {
  description = "Name of the global endpoint."
  value       = aws_cloudwatch_event_endpoint.this.name
}

output "endpoint_id" {
  description = "The EndpointId publishers pass to PutEvents (the host label of endpoint_url)."
  value       = local.endpoint_id
}

output "endpoint_arn" {
  description = "ARN of the global endpoint."
  value       = aws_cloudwatch_event_endpoint.this.arn
}

output "endpoint_url" {
  description = "URL of the global endpoint (https://<endpoint_id>.endpoint.events.amazonaws.com)."
  value       = aws_cloudwatch_event_endpoint.this.endpoint_url
}

output "health_check_id" {
  description = "Id of the Route 53 health check that reports the health alarm."
  value       = aws_route53_health_check.this.id
}

output "health_alarm_name" {
  description = "Name of the health alarm in the primary region (<name_prefix>-failover-health)."
  value       = aws_cloudwatch_metric_alarm.health.alarm_name
}

output "replication_role_arn" {
  description = "ARN of the replication role; null when replication is off."
  value       = one(aws_iam_role.replication[*].arn)
}
