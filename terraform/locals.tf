locals {
  # Every AWS name is <project>-<environment>-<suffix>-<thing>; built here once and passed to the modules.
  name_prefix    = "${var.project}-${var.environment}-${var.name_suffix}"
  event_bus_name = "${local.name_prefix}-bus"
  archive_name   = "${local.name_prefix}-archive"

  tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  })

  use_endpoint_overrides = length(var.endpoints) > 0

  # Logical target name (as written in the routing table) -> the ARN EventBridge delivers to.
  target_arns = merge(module.processors.function_arns, {
    notifications = module.messaging.notifications_topic_arn
    batch-queue   = module.messaging.batch_queue_arn
  })

  # Every dead-letter queue of the stack, keyed as the dead_letter_queue_urls output is.
  dead_letter_queues = merge(
    {
      events = {
        name = module.messaging.events_dlq_name
        url  = module.messaging.events_dlq_url
      }
      batch-queue = {
        name = module.messaging.batch_dlq_name
        url  = module.messaging.batch_dlq_url
      }
    },
    module.processors.dead_letter_queues,
  )
}
