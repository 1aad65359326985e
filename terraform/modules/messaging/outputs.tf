output "notifications_topic_arn" {
  description = "ARN of the notifications SNS topic (logical target `notifications`); null without create_targets."
  value       = one(aws_sns_topic.notifications[*].arn)
}

output "batch_queue_arn" {
  description = "ARN of the batch SQS queue (logical target `batch-queue`); null without create_targets."
  value       = one(aws_sqs_queue.batch[*].arn)
}

output "batch_queue_url" {
  description = "URL of the batch SQS queue; null without create_targets."
  value       = one(aws_sqs_queue.batch[*].url)
}

output "batch_queue_name" {
  description = "Name of the batch SQS queue; null without create_targets."
  value       = one(aws_sqs_queue.batch[*].name)
}

output "batch_dlq_url" {
  description = "URL of the batch queue's redrive dead-letter queue; null without create_targets."
  value       = one(aws_sqs_queue.batch_dlq[*].url)
}

output "batch_dlq_name" {
  description = "Name of the batch queue's redrive dead-letter queue; null without create_targets."
  value       = one(aws_sqs_queue.batch_dlq[*].name)
}

output "events_dlq_arn" {
  description = "ARN of the shared dead-letter queue EventBridge targets (and the bus) write undeliverable events to."
  value       = aws_sqs_queue.events_dlq.arn
}

output "events_dlq_url" {
  description = "URL of the shared EventBridge dead-letter queue."
  value       = aws_sqs_queue.events_dlq.url
}

output "events_dlq_name" {
  description = "Name of the shared EventBridge dead-letter queue."
  value       = aws_sqs_queue.events_dlq.name
}

output "notifications_dlq_arn" {
  description = "ARN of the dead-letter queue of the notifier's subscription to the notifications topic; null without create_targets."
  value       = one(aws_sqs_queue.notifications_dlq[*].arn)
}

output "notifications_dlq_url" {
  description = "URL of the notifications subscription's dead-letter queue; null without create_targets."
  value       = one(aws_sqs_queue.notifications_dlq[*].url)
}

output "notifications_dlq_name" {
  description = "Name of the notifications subscription's dead-letter queue; null without create_targets."
  value       = one(aws_sqs_queue.notifications_dlq[*].name)
}
