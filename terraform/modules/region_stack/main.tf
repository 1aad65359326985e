# One region's stack: the wiring of the concerns, instantiated by the root for the primary region and, with
# [failover], again for the secondary (README: what each holds and why). The modules reference each other
# only through outputs; Terraform orders the individual resources (key -> bus -> rules -> targets ->
# policies), so there is no cycle even though messaging's policies need routing's rule ARNs and routing's
# targets need messaging's ARNs. The key and its grants are in kms.tf.

module "messaging" {
  source = "../messaging"

  name_prefix              = var.name_prefix
  kms_key_arn              = module.kms.key_arn
  notifications_topic_name = local.notifications_topic_name
  batch_queue_name         = local.batch_queue_name
  # The secondary mails no notification: with replication every one would arrive twice (the notifier,
  # deduplicated across regions through the global idempotency table, is the path that counts).
  notification_email = var.primary ? var.notification_email : null
  create_targets     = var.consumers

  notifier_function = var.consumers ? {
    name = local.function_names["notifier"]
    arn  = local.function_arns["notifier"]
  } : null

  event_source_arns = {
    notifications = lookup(module.routing.rule_arns_by_target, "notifications", [])
    batch_queue   = lookup(module.routing.rule_arns_by_target, "batch-queue", [])
    # The bus dead-letters events it cannot process itself (for instance KMS errors) into the same queue,
    # and so do the routing rules and the forwarding rule.
    events_dlq = concat([module.event_bus.arn], module.routing.dead_letter_rule_arns, module.forwarding.rule_arns)
  }
}

module "event_bus" {
  source = "../event_bus"

  name                   = local.event_bus_name
  archive_name           = local.archive_name
  archive_retention_days = var.archive_retention_days
  kms_key_arn            = module.kms.key_arn
  dead_letter_queue_arn  = module.messaging.events_dlq_arn
  publisher_account_ids  = var.publisher_account_ids
  publisher_sources      = local.ecommerce_sources
  # IAM names are global: the primary's policy covers the secondary's bus (publisher_bus_arns).
  create_publisher_policy = var.primary
  publisher_bus_arns      = var.publisher_bus_arns
}

module "processors" {
  source = "../processors"
  count  = var.consumers ? 1 : 0

  permissions_boundary_arn = var.permissions_boundary_arn
  role_name_suffix         = var.global_name_suffix

  region               = var.region
  name_prefix          = var.name_prefix
  functions            = var.functions
  lambda_zip_path      = var.lambda_zip_path
  lambda_zip_sha256    = var.lambda_zip_sha256
  kms_key_arn          = module.kms.key_arn
  log_retention_days   = var.log_retention_days
  high_value_threshold = var.high_value_threshold
  webhook_parameter    = var.webhook_parameter
  idempotency_table    = local.idempotency_table
  idempotency_replica  = var.table_replica

  batch_consumer = local.create_batch_consumer ? {
    queue_arn               = module.messaging.batch_queue_arn
    batch_size              = var.batch_processor.batch_size
    batching_window_seconds = var.batch_processor.batching_window_seconds
    filter_pattern          = var.batch_processor.filter_pattern
    event_store             = local.event_store
  } : null
}

module "event_store" {
  source = "../event_store"

  create_table           = local.create_event_store && local.create_tables
  table_name             = local.event_store_name
  kms_key_arn            = module.kms.key_arn
  point_in_time_recovery = var.event_store.point_in_time_recovery
  replica                = var.table_replica
}

module "routing" {
  source = "../routing"

  name_prefix           = var.name_prefix
  event_bus_name        = module.event_bus.name
  rules                 = local.rules
  target_arns           = local.target_arns
  target_role_arns      = merge(module.workflows.target_role_arns, module.s3_archive.target_role_arns)
  function_names        = local.function_names
  dead_letter_queue_arn = module.messaging.events_dlq_arn
}

module "monitoring" {
  source = "../monitoring"
  count  = var.consumers ? 1 : 0

  region                  = var.region
  name_prefix             = var.name_prefix
  dashboard_name_suffix   = var.global_name_suffix
  topic_name              = local.operations_topic_name
  alarm_email             = var.alarm_email
  kms_key_arn             = module.kms.key_arn
  alarms                  = var.alarms
  event_bus_name          = module.event_bus.name
  rule_names              = module.routing.rule_names
  function_names          = local.function_names
  dead_letter_queue_names = { for key, queue in local.dead_letter_queues : key => queue.name }
  batch_queue_name        = module.messaging.batch_queue_name
  state_machine_arns      = module.workflows.state_machine_arns
  forwarding_rule_name    = module.forwarding.rule_name
  firehose_stream_names   = module.s3_archive.stream_names
  batch_consumer_function = local.batch_consumer_fn
}

# The schema registry is the primary's: it describes the events (a design-time catalog the tooling
# validates against), it routes nothing, and one catalog cannot drift from another.
module "schema_registry" {
  source = "../schema_registry"

  registry_name         = local.schema_registry_name
  event_bus_name        = module.event_bus.name
  event_bus_arn         = module.event_bus.arn
  event_bus_kms_key_arn = module.kms.key_arn
  schemas               = var.primary ? var.schemas : {}
  create_registry       = var.primary && var.schema_registry.registry
  create_discoverer     = var.primary && var.schema_registry.discoverer
}

module "workflows" {
  source = "../workflows"

  permissions_boundary_arn = var.permissions_boundary_arn
  role_name_suffix         = var.global_name_suffix

  region               = var.region
  create_workflow      = local.create_workflow
  name_prefix          = var.name_prefix
  event_bus_name       = module.event_bus.name
  event_bus_arn        = module.event_bus.arn
  high_value_threshold = var.high_value_threshold
  kms_key_arn          = module.kms.key_arn
  log_retention_days   = var.log_retention_days
  # The rules that start executions; only they may assume the target role. No cycle: the role waits for
  # the rules, the targets wait for the role, and the rules wait for neither.
  rule_arns = lookup(module.routing.rule_arns_by_target, "order-workflow", [])
}

# AWS service events (EC2, Health, ...) arrive only on the account's default bus of their region: a rule
# there forwards the configured ones to the custom bus, where the routing table routes them by their aws.*
# source. Each region forwards its own (a standby region, which routes nothing, forwards none).
module "forwarding" {
  source = "../forwarding"

  permissions_boundary_arn = var.permissions_boundary_arn
  role_name_suffix         = var.global_name_suffix

  create_forwarding     = var.consumers && var.forwarding.enabled
  name_prefix           = var.name_prefix
  event_bus_name        = module.event_bus.name
  event_bus_arn         = module.event_bus.arn
  sources               = var.forwarding.sources
  detail_types          = var.forwarding.detail_types
  dead_letter_queue_arn = module.messaging.events_dlq_arn
}

# The S3 event archive ([s3_archive]): a Firehose stream the routing table's `s3-archive` targets write to,
# and its bucket (the primary's only). Same shape as workflows: the EventBridge role waits for the rules
# that may assume it, the targets wait for the role, the rules wait for neither.
module "s3_archive" {
  source = "../s3_archive"

  permissions_boundary_arn = var.permissions_boundary_arn

  create_archive          = local.create_s3_archive
  region                  = var.region
  bucket_name             = local.s3_archive_bucket_name
  stream_name             = local.s3_archive_stream_name
  kms_key_arn             = module.kms.key_arn
  buffer_size_mb          = var.s3_archive.buffer_size_mb
  buffer_interval_seconds = var.s3_archive.buffer_interval_seconds
  transition_days         = var.s3_archive.transition_days
  storage_class           = var.s3_archive.storage_class
  expiration_days         = var.s3_archive.expiration_days
  log_retention_days      = var.log_retention_days
  rule_arns               = lookup(module.routing.rule_arns_by_target, "s3-archive", [])
}
