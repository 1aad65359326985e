# Wiring of the concerns. The modules reference each other only through outputs; Terraform orders
# the individual resources (key -> bus -> rules -> targets -> policies), so there is no cycle even though
# messaging's policies need routing's rule ARNs and routing's targets need messaging's ARNs.

module "messaging" {
  source = "./modules/messaging"

  region                = var.region
  name_prefix           = local.name_prefix
  event_bus_name        = local.event_bus_name
  operations_topic_name = local.operations_topic_name
  notification_email    = var.notification_email

  notifier_function = {
    name = module.processors.function_names["notifier"]
    arn  = module.processors.function_arns["notifier"]
  }

  event_source_arns = {
    notifications = module.routing.rule_arns_by_target["notifications"]
    batch_queue   = module.routing.rule_arns_by_target["batch-queue"]
    # The bus dead-letters events it cannot process itself (for instance KMS errors) into the same queue,
    # and so does the replication rule (an empty list when replication is off).
    events_dlq = concat(
      [module.event_bus.arn], module.routing.dead_letter_rule_arns, module.replication.rule_arns,
      module.forwarding.rule_arns,
    )
  }
}

module "event_bus" {
  source = "./modules/event_bus"

  name                   = local.event_bus_name
  archive_name           = local.archive_name
  archive_retention_days = var.archive_retention_days
  kms_key_arn            = module.messaging.kms_key_arn
  dead_letter_queue_arn  = module.messaging.events_dlq_arn
  publisher_account_ids  = var.publisher_account_ids
  publisher_sources      = local.ecommerce_sources
}

module "processors" {
  source = "./modules/processors"

  permissions_boundary_arn = var.permissions_boundary_arn

  region               = var.region
  name_prefix          = local.name_prefix
  functions            = var.functions
  lambda_zip_path      = var.lambda_zip_path
  lambda_zip_sha256    = var.lambda_zip_sha256
  kms_key_arn          = module.messaging.kms_key_arn
  log_retention_days   = var.log_retention_days
  high_value_threshold = var.high_value_threshold
  webhook_parameter    = var.webhook_parameter

  batch_consumer = local.create_batch_consumer ? {
    queue_arn               = module.messaging.batch_queue_arn
    batch_size              = var.batch_processor.batch_size
    batching_window_seconds = var.batch_processor.batching_window_seconds
    event_store = local.create_event_store ? {
      table_name = module.event_store.table_name
      table_arn  = module.event_store.table_arn
      ttl_days   = var.event_store.ttl_days
    } : null
  } : null
}

module "event_store" {
  source = "./modules/event_store"

  create_table           = local.create_event_store
  table_name             = local.event_store_name
  kms_key_arn            = module.messaging.kms_key_arn
  point_in_time_recovery = var.event_store.point_in_time_recovery
}

module "routing" {
  source = "./modules/routing"

  name_prefix           = local.name_prefix
  event_bus_name        = module.event_bus.name
  rules                 = var.rules
  target_arns           = local.target_arns
  target_role_arns      = merge(module.workflows.target_role_arns, module.event_archive.target_role_arns)
  function_names        = module.processors.function_names
  dead_letter_queue_arn = module.messaging.events_dlq_arn
}

# rule_names: the merged keys cannot collide, as the replication key contains a '.', which routing rule
# names may not (a collision would silently drop one rule's alarms).
module "monitoring" {
  source = "./modules/monitoring"

  region                  = var.region
  name_prefix             = local.name_prefix
  topic_name              = local.operations_topic_name
  alarm_email             = var.alarm_email
  kms_key_arn             = module.messaging.kms_key_arn
  alarms                  = var.alarms
  event_bus_name          = module.event_bus.name
  rule_names              = merge(module.routing.rule_names, module.replication.rule_names)
  function_names          = module.processors.function_names
  dead_letter_queue_names = { for key, queue in local.dead_letter_queues : key => queue.name }
  batch_queue_name        = module.messaging.batch_queue_name
  state_machine_arns      = module.workflows.state_machine_arns
  forwarding_rule_name    = module.forwarding.rule_name
  firehose_stream_names   = module.event_archive.stream_names
  batch_consumer_function = local.create_batch_consumer ? module.processors.function_names["batch-processor"] : null
}

module "schema_registry" {
  source = "./modules/schema_registry"

  registry_name         = local.schema_registry_name
  event_bus_name        = module.event_bus.name
  event_bus_arn         = module.event_bus.arn
  event_bus_kms_key_arn = module.messaging.kms_key_arn
  schemas               = var.schemas
  create_registry       = var.schema_registry.registry
  create_discoverer     = var.schema_registry.discoverer
}

module "replication" {
  source = "./modules/replication"

  permissions_boundary_arn = var.permissions_boundary_arn

  providers = {
    aws         = aws
    aws.replica = aws.replica
  }

  create_replication     = local.create_replication
  region                 = var.region
  replica_region         = local.replica_region
  name_prefix            = local.name_prefix
  event_bus_name         = module.event_bus.name
  replica_event_bus_name = local.replica_bus_name
  replica_archive_name   = local.replica_archive_name
  archive_retention_days = var.archive_retention_days
  event_sources          = local.ecommerce_sources
  dead_letter_queue_arn  = module.messaging.events_dlq_arn
}

module "workflows" {
  source = "./modules/workflows"

  permissions_boundary_arn = var.permissions_boundary_arn

  region               = var.region
  create_workflow      = local.create_workflow
  name_prefix          = local.name_prefix
  event_bus_name       = module.event_bus.name
  event_bus_arn        = module.event_bus.arn
  high_value_threshold = var.high_value_threshold
  kms_key_arn          = module.messaging.kms_key_arn
  log_retention_days   = var.log_retention_days
  # The rules that start executions; only they may assume the target role. No cycle: the role waits for
  # the rules, the targets wait for the role, and the rules wait for neither.
  rule_arns = lookup(module.routing.rule_arns_by_target, "order-workflow", [])
}

# AWS service events (EC2, Health, ...) arrive only on the account's default bus: a rule there forwards the
# configured ones to the custom bus, where the routing table routes them by their aws.* source.
module "forwarding" {
  source = "./modules/forwarding"

  permissions_boundary_arn = var.permissions_boundary_arn

  create_forwarding     = var.forwarding.enabled
  name_prefix           = local.name_prefix
  event_bus_name        = module.event_bus.name
  event_bus_arn         = module.event_bus.arn
  sources               = var.forwarding.sources
  detail_types          = var.forwarding.detail_types
  dead_letter_queue_arn = module.messaging.events_dlq_arn
}

# The S3 event archive ([s3_archive]): a Firehose stream the routing table's `s3-archive` targets write to,
# and its bucket. Same shape as workflows: the EventBridge role waits for the rules that may assume it, the
# targets wait for the role, the rules wait for neither.
module "event_archive" {
  source = "./modules/event_archive"

  permissions_boundary_arn = var.permissions_boundary_arn

  create_archive          = local.create_s3_archive
  region                  = var.region
  bucket_name             = local.s3_archive_bucket_name
  stream_name             = local.s3_archive_stream_name
  kms_key_arn             = module.messaging.kms_key_arn
  buffer_size_mb          = var.s3_archive.buffer_size_mb
  buffer_interval_seconds = var.s3_archive.buffer_interval_seconds
  transition_days         = var.s3_archive.transition_days
  storage_class           = var.s3_archive.storage_class
  expiration_days         = var.s3_archive.expiration_days
  log_retention_days      = var.log_retention_days
  rule_arns               = lookup(module.routing.rule_arns_by_target, "s3-archive", [])
}
