locals {
  # Every AWS name is <name_prefix>-<thing>; the same in both regions of a failover (the bus must be), except
  # the names AWS keeps globally (IAM roles, the dashboard), which take global_name_suffix in the secondary.
  event_bus_name = "${var.name_prefix}-bus"
  archive_name   = "${var.name_prefix}-archive"

  schema_registry_name = "${var.name_prefix}-schemas"
  # tooling/naming.py Names.s3_archive_bucket / s3_archive_stream build the same names for the local target.
  s3_archive_bucket_name = "${var.name_prefix}-events-archive"
  s3_archive_stream_name = "${var.name_prefix}-events-archive"
  # What the key encrypts and its policy names before it exists (kms.tf): named here, passed to the module
  # that creates it (monitoring, messaging) and to the key's grants.
  operations_topic_name    = "${var.name_prefix}-operations"
  notifications_topic_name = "${var.name_prefix}-notifications"
  batch_queue_name         = "${var.name_prefix}-batch"
  event_store_name         = "${var.name_prefix}-events"

  # The sources of the e-commerce services: what the publisher policy and the bus policy let producers put.
  ecommerce_sources = ["ecommerce.orders", "ecommerce.users", "ecommerce.payments", "ecommerce.inventory"]

  # The batch queue's consumer and its store ([batch_processor], [event_store]); the store needs the
  # consumer (config validation refuses it alone; here it is simply not created then).
  create_batch_consumer = var.consumers && var.batch_processor.enabled && contains(keys(var.functions), "batch-processor")
  create_event_store    = local.create_batch_consumer && var.event_store.enabled
  # The secondary's tables are the primary's global tables (their replicas here), never its own.
  create_tables = var.shared_tables == null

  # Whether the S3 archive and the workflow exist is decided by tooling/config.py (Config.creates_s3_archive,
  # Config.creates_workflow: enabled and targeted, targeted); here only where: the S3 archive in the primary,
  # the workflow wherever the routing table runs (a standby region routes nothing).
  create_s3_archive = var.primary && var.create_s3_archive
  create_workflow   = var.consumers && var.create_workflow

  # The routing table of this region. The secondary leaves out the s3-archive targets (the S3 archive is the
  # primary's; README "What the secondary region holds") and a rule left without targets; a standby region
  # (consumers = false) routes nothing: its events wait in its archive for a replay.
  rules = !var.consumers ? {} : var.primary ? var.rules : {
    for name, rule in var.rules : name => merge(rule, {
      targets = { for id, target in rule.targets : id => target if target.target != "s3-archive" }
    }) if anytrue([for target in values(rule.targets) : target.target != "s3-archive"])
  }

  # What the processors hand out (empty in a standby region, which has none). tomap({}) rather than {} or
  # try(): either of those turns a map whose values are unknown at plan time into a wholly unknown one,
  # and the alarms' for_each needs its keys.
  function_names    = var.consumers ? module.processors[0].function_names : tomap({})
  function_arns     = var.consumers ? module.processors[0].function_arns : tomap({})
  log_group_names   = var.consumers ? module.processors[0].log_group_names : tomap({})
  function_dlqs     = var.consumers ? module.processors[0].dead_letter_queues : tomap({})
  batch_consumer_fn = local.create_batch_consumer ? local.function_names["batch-processor"] : null
  idempotency_table = local.create_tables ? null : var.shared_tables.idempotency

  # The event store the batch consumer writes: the table created here, or the primary's global table. Built
  # whole, as processors' batch_consumer.event_store wants it: a merge() onto this value when it is null
  # typed the null as an object without the table's attributes, which the variable refused, so the plan
  # failed whenever there was no store ([event_store] or [batch_processor] off, or no batch-processor).
  event_store = !local.create_event_store ? null : local.create_tables ? {
    table_name = module.event_store.table_name
    table_arn  = module.event_store.table_arn
    ttl_days   = var.event_store.ttl_days
    } : {
    table_name = var.shared_tables.event_store.name
    table_arn  = var.shared_tables.event_store.arn
    ttl_days   = var.event_store.ttl_days
  }

  # Logical target name (as written in the routing table) -> the ARN EventBridge delivers to.
  target_arns = var.consumers ? merge(local.function_arns, {
    notifications = module.messaging.notifications_topic_arn
    batch-queue   = module.messaging.batch_queue_arn
  }, module.workflows.state_machine_arns, module.s3_archive.stream_arns) : tomap({})

  # Every dead-letter queue of the stack, keyed as the dead_letter_queue_urls output is.
  dead_letter_queues = merge(
    {
      events = {
        name = module.messaging.events_dlq_name
        url  = module.messaging.events_dlq_url
      }
    },
    var.consumers ? tomap({
      batch-queue = {
        name = module.messaging.batch_dlq_name
        url  = module.messaging.batch_dlq_url
      }
      notifications = {
        name = module.messaging.notifications_dlq_name
        url  = module.messaging.notifications_dlq_url
      }
    }) : tomap({}),
    local.function_dlqs,
  )
}
