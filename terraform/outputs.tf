# The deployment outputs contract (tooling/outputs.py OUTPUT_NAMES): exactly these names, tested. Every one
# but `failover` describes the primary region (the only one without [failover]).

output "region" {
  description = "Region the stack runs in."
  value       = var.region
}

output "event_bus_name" {
  description = "Name of the custom event bus publishers send to."
  value       = module.primary.event_bus_name
}

output "event_bus_arn" {
  description = "ARN of the custom event bus."
  value       = module.primary.event_bus_arn
}

output "publisher_policy_arn" {
  description = "ARN of the managed policy a producer's role attaches to PutEvents on the bus (its sources only)."
  value       = module.primary.publisher_policy_arn
}

output "archive_name" {
  description = "Name of the archive holding every event for replay."
  value       = module.primary.archive_name
}

output "rule_arns" {
  description = "Rule ARN per rule name of the routing table."
  value       = module.primary.rule_arns
}

output "batch_queue_url" {
  description = "URL of the batch SQS queue."
  value       = module.primary.batch_queue_url
}

output "batch_queue_arn" {
  description = "ARN of the batch SQS queue."
  value       = module.primary.batch_queue_arn
}

output "dead_letter_queue_urls" {
  description = "Dead-letter queue URL per logical name: events (EventBridge targets and bus), batch-queue, notifications (the notifier's SNS subscription), processor, notifier, analytics."
  value       = module.primary.dead_letter_queue_urls
}

output "notifications_topic_arn" {
  description = "ARN of the notifications SNS topic."
  value       = module.primary.notifications_topic_arn
}

output "function_names" {
  description = "Lambda function name per logical name (processor, notifier, analytics, and batch-processor while enabled)."
  value       = module.primary.function_names
}

output "log_group_names" {
  description = "Log group name per logical function name."
  value       = module.primary.log_group_names
}

output "forwarding_rule_arn" {
  description = "ARN of the rule on the default bus that forwards AWS service events to the custom bus; \"\" when [forwarding] is off."
  value       = module.primary.forwarding_rule_arn
}

output "s3_archive_bucket_name" {
  description = "Name of the S3 event archive bucket; \"\" when [s3_archive] is disabled."
  value       = module.primary.s3_archive_bucket_name
}

output "s3_archive_stream_name" {
  description = "Name of the Firehose delivery stream writing the S3 event archive; \"\" when [s3_archive] is disabled."
  value       = module.primary.s3_archive_stream_name
}

output "event_store_table_name" {
  description = "Name of the DynamoDB event store the batch processor writes every event to; empty when [event_store] is disabled."
  value       = module.primary.event_store_table_name
}

# [failover]: null without it, else tooling/outputs.py FailoverOutputs (its `secondary`: SecondaryOutputs).
output "failover" {
  description = "The global endpoint (name, EndpointId for PutEvents, ARN, URL), both regions, the Route 53 health check and the health alarm, whether events are replicated, and the secondary region's stack; null without [failover]."
  value = !local.create_failover ? null : {
    endpoint_name     = module.global_endpoint[0].endpoint_name
    endpoint_id       = module.global_endpoint[0].endpoint_id
    endpoint_arn      = module.global_endpoint[0].endpoint_arn
    endpoint_url      = module.global_endpoint[0].endpoint_url
    primary_region    = var.region
    secondary_region  = local.secondary_region
    health_check_id   = module.global_endpoint[0].health_check_id
    health_alarm_name = module.global_endpoint[0].health_alarm_name
    replication       = var.failover.replication
    secondary = {
      region                 = local.secondary_region
      event_bus_name         = module.secondary[0].event_bus_name
      event_bus_arn          = module.secondary[0].event_bus_arn
      archive_name           = module.secondary[0].archive_name
      rule_arns              = module.secondary[0].rule_arns
      batch_queue_url        = module.secondary[0].batch_queue_url
      dead_letter_queue_urls = module.secondary[0].dead_letter_queue_urls
      function_names         = module.secondary[0].function_names
      log_group_names        = module.secondary[0].log_group_names
      event_store_table_name = module.secondary[0].event_store_table_name
    }
  }
}
