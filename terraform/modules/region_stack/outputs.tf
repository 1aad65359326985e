# Discrete values of this region's stack; the root builds its outputs (and the failover's `secondary`) from
# them. Parts a standby region (consumers = false) lacks are empty maps and "".

output "event_bus_name" {
  description = "Name of the event bus (the same in both regions)."
  value       = module.event_bus.name
}

output "event_bus_arn" {
  description = "ARN of the event bus."
  value       = module.event_bus.arn
}

output "archive_name" {
  description = "Name of the bus's archive."
  value       = module.event_bus.archive_name
}

output "publisher_policy_arn" {
  description = "ARN of the producers' publisher policy; \"\" outside the primary."
  value       = module.event_bus.publisher_policy_arn == null ? "" : module.event_bus.publisher_policy_arn
}

output "kms_key_arn" {
  description = "ARN of this region's KMS key (the replicas of the global tables here are encrypted with it)."
  value       = module.kms.key_arn
}

output "operations_topic_arn" {
  description = "ARN of the operations SNS topic this region's alarms notify; null without consumers."
  value       = one(module.monitoring[*].operations_topic_arn)
}

output "rule_arns" {
  description = "Rule ARN per rule name of this region's routing table."
  value       = module.routing.rule_arns
}

output "batch_queue_url" {
  description = "URL of the batch SQS queue; \"\" without consumers."
  value       = var.consumers ? module.messaging.batch_queue_url : ""
}

output "batch_queue_arn" {
  description = "ARN of the batch SQS queue; \"\" without consumers."
  value       = var.consumers ? module.messaging.batch_queue_arn : ""
}

output "notifications_topic_arn" {
  description = "ARN of the notifications SNS topic; \"\" without consumers."
  value       = var.consumers ? module.messaging.notifications_topic_arn : ""
}

output "dead_letter_queue_urls" {
  description = "Dead-letter queue URL per logical name (events only without consumers)."
  value       = { for key, queue in local.dead_letter_queues : key => queue.url }
}

output "function_names" {
  description = "Lambda function name per logical name; empty without consumers."
  value       = local.function_names
}

output "log_group_names" {
  description = "Log group name per logical function name; empty without consumers."
  value       = local.log_group_names
}

output "forwarding_rule_arn" {
  description = "ARN of the forwarding rule on this region's default bus; \"\" when off."
  value       = module.forwarding.rule_arn == null ? "" : module.forwarding.rule_arn
}

output "s3_archive_bucket_name" {
  description = "Name of the S3 event archive bucket; \"\" when not created (always in the secondary)."
  value       = module.s3_archive.bucket_name
}

output "s3_archive_stream_name" {
  description = "Name of the Firehose stream of the S3 event archive; \"\" when not created."
  value       = module.s3_archive.stream_name
}

output "event_store_table_name" {
  description = "Name of the event store the batch consumer writes (the global table's name in both regions); \"\" without one."
  value       = local.event_store == null ? "" : local.event_store.table_name
}

output "tables" {
  description = "The tables the secondary's consumers use: name and this region's ARN of the idempotency table and the event store (null without); feeds the secondary's shared_tables."
  value = !var.consumers ? null : {
    idempotency = {
      name = one(module.processors[*].idempotency_table_name)
      arn  = one(module.processors[*].idempotency_table_arn)
    }
    event_store = local.event_store == null ? null : {
      name = local.event_store.table_name
      arn  = local.event_store.table_arn
    }
  }
}

output "table_replica_arns" {
  description = "Region -> ARN of the replicas of the idempotency table and the event store (empty maps without table_replica)."
  value = {
    idempotency = var.consumers ? module.processors[0].idempotency_replica_arns : tomap({})
    event_store = module.event_store.replica_arns
  }
}
