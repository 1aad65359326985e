output "function_names" {
  description = "Function name per logical name (processor | notifier | analytics)."
  value       = { for key, fn in aws_lambda_function.this : key => fn.function_name }
}

output "function_arns" {
  description = "Function ARN per logical name; rule targets and the SNS subscription use these."
  value       = { for key, fn in aws_lambda_function.this : key => fn.arn }
}

output "log_group_names" {
  description = "Log group name per logical name."
  value       = { for key, group in aws_cloudwatch_log_group.function : key => group.name }
}

output "role_arns" {
  description = "Execution role ARN per logical name."
  value       = { for key, role in aws_iam_role.function : key => role.arn }
}

output "dead_letter_queues" {
  description = "Each asynchronously invoked function's dead-letter queue (name and url) per logical name (not the batch processor: its failures stay in the batch queue)."
  value       = { for key, queue in aws_sqs_queue.dlq : key => { name = queue.name, url = queue.url } }
}

output "idempotency_table_name" {
  description = "Name of the notifier's idempotency table (its own, or the idempotency_table given)."
  value       = local.idempotency_table.name
}

output "idempotency_table_arn" {
  description = "ARN of the notifier's idempotency table in this region (its own, or the idempotency_table given)."
  value       = local.idempotency_table.arn
}

output "idempotency_replica_arns" {
  description = "Region -> ARN of each replica of the idempotency table (empty unless idempotency_replica is set); the secondary region's processors use it."
  value       = { for replica in flatten(aws_dynamodb_table.idempotency[*].replica) : replica.region_name => replica.arn }
}

output "event_source_mapping_uuid" {
  description = "UUID of the batch queue's event source mapping; empty when there is no batch consumer."
  value       = one(aws_lambda_event_source_mapping.batch[*].uuid) == null ? "" : one(aws_lambda_event_source_mapping.batch[*].uuid)
}
