output "table_name" {
  description = "Name of the event store table; empty when it is not created."
  value       = one(aws_dynamodb_table.this[*].name) == null ? "" : one(aws_dynamodb_table.this[*].name)
}

output "table_arn" {
  description = "ARN of the event store table; empty when it is not created."
  value       = one(aws_dynamodb_table.this[*].arn) == null ? "" : one(aws_dynamodb_table.this[*].arn)
}
