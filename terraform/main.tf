# The stack of each region (modules/region_stack): the primary's in var.region, and with [failover] the
# secondary's in failover.secondary_region under the same bus name, in front of both the global endpoint.
# Settings pass through unchanged; what sets the secondary apart is in its own arguments.

module "primary" {
  source = "./modules/region_stack"

  region      = var.region
  name_prefix = local.name_prefix

  # [failover] with consumers in both regions: the idempotency table and the event store become global
  # tables with a replica in the secondary, encrypted with that region's key.
  table_replica = local.secondary_consumers ? {
    region_name = var.failover.secondary_region
    kms_key_arn = module.secondary[0].kms_key_arn
  } : null
  # The endpoint may send a producer's PutEvents to the secondary's bus: the publisher policy covers it.
  publisher_bus_arns = [for stack in module.secondary : stack.event_bus_arn]

  functions                = var.functions
  lambda_zip_path          = var.lambda_zip_path
  lambda_zip_sha256        = var.lambda_zip_sha256
  high_value_threshold     = var.high_value_threshold
  webhook_parameter        = var.webhook_parameter
  notification_email       = var.notification_email
  alarm_email              = var.alarm_email
  archive_retention_days   = var.archive_retention_days
  log_retention_days       = var.log_retention_days
  alarms                   = var.alarms
  rules                    = var.rules
  publisher_account_ids    = var.publisher_account_ids
  permissions_boundary_arn = var.permissions_boundary_arn
  schemas                  = var.schemas
  schema_registry          = var.schema_registry
  forwarding               = var.forwarding
  s3_archive               = var.s3_archive
  create_s3_archive        = var.create_s3_archive
  create_workflow          = var.create_workflow
  batch_processor          = var.batch_processor
  event_store              = var.event_store
}

# The same stack in the secondary region: the same bus name, rules and targets, its own key and alarms,
# the primary's global tables (their replicas here). With secondary_consumers = false only the bus, its
# archive, its key and the bus's DLQ (events wait there for a replay).
module "secondary" {
  source = "./modules/region_stack"
  count  = local.create_failover ? 1 : 0

  providers = {
    aws = aws.secondary
  }

  region             = local.secondary_region
  name_prefix        = local.name_prefix
  primary            = false
  consumers          = local.secondary_consumers
  global_name_suffix = local.secondary_name_suffix

  shared_tables = local.secondary_consumers ? {
    idempotency = {
      name = module.primary.tables.idempotency.name
      arn  = module.primary.table_replica_arns.idempotency[local.secondary_region]
    }
    event_store = module.primary.tables.event_store == null ? null : {
      name = module.primary.tables.event_store.name
      arn  = module.primary.table_replica_arns.event_store[local.secondary_region]
    }
  } : null

  functions                = var.functions
  lambda_zip_path          = var.lambda_zip_path
  lambda_zip_sha256        = var.lambda_zip_sha256
  high_value_threshold     = var.high_value_threshold
  webhook_parameter        = var.webhook_parameter
  notification_email       = var.notification_email
  alarm_email              = var.alarm_email
  archive_retention_days   = var.archive_retention_days
  log_retention_days       = var.log_retention_days
  alarms                   = var.alarms
  rules                    = var.rules
  publisher_account_ids    = var.publisher_account_ids
  permissions_boundary_arn = var.permissions_boundary_arn
  schemas                  = var.schemas
  schema_registry          = var.schema_registry
  forwarding               = var.forwarding
  s3_archive               = var.s3_archive
  create_s3_archive        = var.create_s3_archive
  create_workflow          = var.create_workflow
  batch_processor          = var.batch_processor
  event_store              = var.event_store
}

# The global endpoint over both buses, its health alarm and Route 53 health check, and (with replication)
# the role EventBridge replicates with; all in the primary region.
module "global_endpoint" {
  source = "./modules/global_endpoint"
  count  = local.create_failover ? 1 : 0

  permissions_boundary_arn = var.permissions_boundary_arn

  name                    = local.endpoint_name
  name_prefix             = local.name_prefix
  primary_region          = var.region
  secondary_region        = local.secondary_region
  event_bus_name          = module.primary.event_bus_name
  primary_event_bus_arn   = module.primary.event_bus_arn
  secondary_event_bus_arn = module.secondary[0].event_bus_arn
  replication             = var.failover.replication
  health_alarm            = var.failover.health_alarm
  alarm_topic_arn         = module.primary.operations_topic_arn
}
