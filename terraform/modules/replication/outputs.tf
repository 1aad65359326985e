output "replica_event_bus_name" {
  description = "Name of the replica event bus; null when replication is off."
  value       = one(aws_cloudwatch_event_bus.this[*].name)
}

output "replica_event_bus_arn" {
  description = "ARN of the replica event bus; null when replication is off."
  value       = one(aws_cloudwatch_event_bus.this[*].arn)
}

output "replica_archive_name" {
  description = "Name of the replica bus's archive; null when replication is off."
  value       = one(aws_cloudwatch_event_archive.this[*].name)
}

output "replica_kms_key_arn" {
  description = "ARN of the replica region's KMS key; null when replication is off."
  value       = one(aws_kms_key.this[*].arn)
}

output "rule_names" {
  description = "{ \"replication.forward\" = <AWS rule name> } when replication is on, else {}; merges into the monitored rules. The '.' keeps the key apart from the routing table's rule names, which may not contain one."
  value       = { for rule in aws_cloudwatch_event_rule.replicate : "replication.forward" => rule.name }
}

output "rule_arns" {
  description = "ARN of the replication rule as a list (empty when off); feeds the events DLQ's policy."
  value       = [for rule in aws_cloudwatch_event_rule.replicate : rule.arn]
}

output "role_arn" {
  description = "ARN of the role the replication target uses; null when replication is off."
  value       = module.role.arn
}

output "replica_dead_letter_queue_url" {
  description = "URL of the replica region's dead-letter queue of the replica bus; null when replication is off."
  value       = one(aws_sqs_queue.dlq[*].url)
}
