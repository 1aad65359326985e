locals {
  # Every AWS name is <project>-<environment>-<suffix>-<thing>: the prefix is built here once, the names in
  # modules/region_stack (the same in both regions) and modules/global_endpoint.
  name_prefix   = "${var.project}-${var.environment}-${var.name_suffix}"
  endpoint_name = "${local.name_prefix}-endpoint"

  # [failover]: the secondary region's stack and the global endpoint exist with it. The secondary provider
  # needs a region either way, so it falls back to the primary one (and creates nothing there).
  create_failover     = var.failover != null
  secondary_region    = local.create_failover ? var.failover.secondary_region : var.region
  secondary_consumers = try(var.failover.secondary_consumers, false)
  # Names AWS keeps per account (IAM roles, the dashboard) get this in the secondary region; "-dr" rather
  # than the region's name: the longest role name (<prefix>-order-fulfilment-target-dr) fits IAM's 64
  # characters for every project/environment tooling/config.py accepts with [failover] (it checks the length).
  secondary_name_suffix = "-dr"

  tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  })

  # Provider endpoint overrides, one lookup for both provider blocks: null keeps AWS's own endpoint.
  use_endpoint_overrides = length(var.endpoints) > 0
  endpoint_overrides = {
    for service in [
      "cloudwatch", "dynamodb", "events", "firehose", "iam", "kms", "lambda", "logs", "route53", "s3", "schemas",
      "sfn", "sns", "sqs", "sts",
    ] : service => lookup(var.endpoints, service, null)
  }
}
