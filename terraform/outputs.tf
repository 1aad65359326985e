# The deployment outputs contract (tooling/outputs.py OUTPUT_NAMES): exactly these names, tested.

output "region" {
  description = "Region the stack runs in."
  value       = var.region
}

output "event_bus_name" {
  description = "Name of the custom event bus publishers send to."
  value       = module.event_bus.name
}

output "event_bus_arn" {
  description = "ARN of the custom event bus."
  value       = module.event_bus.arn
}

output "publisher_policy_arn" {
  description = "ARN of the managed policy a producer's role attaches to PutEvents on the bus (its sources only)."
  value       = module.event_bus.publisher_policy_arn
}

output "archive_name" {
  description = "Name of the archive holding every event for replay."
  value       = module.event_bus.archive_name
}

output "rule_arns" {
  description = "Rule ARN per rule name of the routing table."
  value       = module.routing.rule_arns
}

output "batch_queue_url" {
  description = "URL of the batch SQS queue."
  value       = module.messaging.batch_queue_url
}

output "batch_queue_arn" {
  description = "ARN of the batch SQS queue."
  value       = module.messaging.batch_queue_arn
}

output "dead_letter_queue_urls" {
  description = "Dead-letter queue URL per logical name: events (EventBridge targets and bus), batch-queue, notifications (the notifier's SNS subscription), processor, notifier, analytics."
  value       = { for key, queue in local.dead_letter_queues : key => queue.url }
}

output "notifications_topic_arn" {
  description = "ARN of the notifications SNS topic."
  value       = module.messaging.notifications_topic_arn
}

output "function_names" {
  description = "Lambda function name per logical name (processor, notifier, analytics, and batch-processor while enabled)."
  value       = module.processors.function_names
}

output "log_group_names" {
  description = "Log group name per logical function name."
  value       = module.processors.log_group_names
}

output "forwarding_rule_arn" {
  description = "ARN of the rule on the default bus that forwards AWS service events to the custom bus; \"\" when [forwarding] is off."
  value       = module.forwarding.rule_arn == null ? "" : module.forwarding.rule_arn
}

output "s3_archive_bucket_name" {
  description = "Name of the S3 event archive bucket; \"\" when [s3_archive] is disabled."
  value       = module.event_archive.bucket_name
}

output "s3_archive_stream_name" {
  description = "Name of the Firehose delivery stream writing the S3 event archive; \"\" when [s3_archive] is disabled."
  value       = module.event_archive.stream_name
}

output "event_store_table_name" {
  description = "Name of the DynamoDB event store the batch processor writes every event to; empty when [event_store] is disabled."
  value       = module.event_store.table_name
}
