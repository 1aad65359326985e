output "table_name" {
  description = "Name of the event store table; empty when it is not created."
  value       = one(aws_dynamodb_table.this[*].name) == null ? "" : one(aws_dynamodb_table.this[*].name)
}

output "table_arn" {
  description = "ARN of the event store table; empty when it is not created."
  value       = one(aws_dynamodb_table.this[*].arn) == null ? "" : one(aws_dynamodb_table.this[*].arn)
}

output "replica_arns" {
  description = "Region -> ARN of each replica of the table (empty without a replica); the secondary region's batch consumer writes there."
  value       = { for replica in flatten(aws_dynamodb_table.this[*].replica) : replica.region_name => replica.arn }
}
