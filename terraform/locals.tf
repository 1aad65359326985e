locals {
  # Every AWS name is <project>-<environment>-<suffix>-<thing>; built here once and passed to the modules.
  name_prefix    = "${var.project}-${var.environment}-${var.name_suffix}"
  event_bus_name = "${local.name_prefix}-bus"
  archive_name   = "${local.name_prefix}-archive"

  schema_registry_name = "${local.name_prefix}-schemas"
  # tooling/naming.py Names.s3_archive_bucket / s3_archive_stream build the same names for the local target.
  s3_archive_bucket_name = "${local.name_prefix}-events-archive"
  s3_archive_stream_name = "${local.name_prefix}-events-archive"
  # Created by module monitoring, named here because module messaging's key policy names it too.
  operations_topic_name = "${local.name_prefix}-operations"

  # Cross-region replication is on when a replica region is configured; the replica provider needs a
  # region either way, so it falls back to the primary one (and creates nothing there).
  create_replication   = var.replication_region != null
  replica_region       = coalesce(var.replication_region, var.region)
  replica_bus_name     = "${local.event_bus_name}-replica"
  replica_archive_name = "${local.archive_name}-replica"
  # The sources of the e-commerce services; the replication rule forwards exactly these.
  ecommerce_sources = ["ecommerce.orders", "ecommerce.users", "ecommerce.payments", "ecommerce.inventory"]

  tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  })

  use_endpoint_overrides = length(var.endpoints) > 0

  # The batch queue's consumer and its store ([batch_processor], [event_store]); the store needs the
  # consumer (config validation refuses it alone; here it is simply not created then).
  create_batch_consumer = var.batch_processor.enabled && contains(keys(var.functions), "batch-processor")
  create_event_store    = local.create_batch_consumer && var.event_store.enabled
  event_store_name      = "${local.name_prefix}-events"

  # Logical target name (as written in the routing table) -> the ARN EventBridge delivers to.
  target_arns = merge(module.processors.function_arns, {
    notifications = module.messaging.notifications_topic_arn
    batch-queue   = module.messaging.batch_queue_arn
  }, module.workflows.state_machine_arns, module.event_archive.stream_arns)

  # The S3 event archive exists when [s3_archive] is enabled and a rule targets it (tooling/config.py refuses
  # one without the other; a hand-written tfvars file gets no orphan stream).
  create_s3_archive = var.s3_archive.enabled && anytrue(flatten([
    for rule in values(var.rules) : [for target in values(rule.targets) : target.target == "s3-archive"]
  ]))

  # The order-fulfilment state machine exists only when a rule of the routing table targets it.
  create_workflow = anytrue(flatten([
    for rule in values(var.rules) : [for target in values(rule.targets) : target.target == "order-workflow"]
  ]))

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
      notifications = {
        name = module.messaging.notifications_dlq_name
        url  = module.messaging.notifications_dlq_url
      }
    },
    module.processors.dead_letter_queues,
  )
}
