output "bucket_name" {
  description = "Name of the archive bucket; \"\" when the archive is not created."
  value       = try(aws_s3_bucket.this[0].bucket, "")
}

output "bucket_arn" {
  description = "ARN of the archive bucket; \"\" when the archive is not created."
  value       = try(aws_s3_bucket.this[0].arn, "")
}

output "stream_name" {
  description = "Name of the Firehose delivery stream; \"\" when the archive is not created."
  value       = try(aws_kinesis_firehose_delivery_stream.this[0].name, "")
}

output "stream_arns" {
  description = "Logical target name (s3-archive) -> delivery stream ARN; empty when the archive is not created."
  value       = { for stream in aws_kinesis_firehose_delivery_stream.this : "s3-archive" => stream.arn }
}

output "target_role_arns" {
  description = "Logical target name (s3-archive) -> the role EventBridge assumes to put records; empty when not created."
  value       = var.create_archive ? { "s3-archive" = module.target_role.arn } : {}
}

output "stream_names" {
  description = "Logical name (s3-archive) -> delivery stream name, for the monitoring module's alarms; empty when not created."
  value       = { for stream in aws_kinesis_firehose_delivery_stream.this : "s3-archive" => stream.name }
}
