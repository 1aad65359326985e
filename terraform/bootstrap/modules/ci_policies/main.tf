# The policy documents of one environment's CI roles, rendered here and nowhere else, so that the tests and
# the e2e run evaluate exactly what the bootstrap attaches (tooling/deploy/ci_roles renders this module with
# real Terraform). No resource: the bootstrap root creates the roles and policies from these outputs.

locals {
  arn = "arn:${var.partition}"
  # Any region of this account: with [failover] the same stack runs in a second region.
  in_account = "*:${var.account_id}"
  # Every stack resource is named <project>-<environment>-<suffix>-<thing> (terraform/modules/region_stack).
  named = "${var.project}-${var.environment}-*"

  # The S3 backend keeps one workspace per environment under env:/<environment>/ (tooling/deploy/terraform.py
  # selects the workspace named after the environment); the lock is <state key>.tflock beside the state.
  state_objects = "${var.state_bucket_arn}/env:/${var.environment}/*"
  state_locks   = "${var.state_bucket_arn}/env:/${var.environment}/*.tflock"

  # The stack's keys carry both tags (terraform/locals.tf, provider default_tags); the state key does not
  # carry Environment, and the deploy policy denies it by ARN as well.
  key_tags = {
    "aws:ResourceTag/Project"     = var.project
    "aws:ResourceTag/Environment" = var.environment
  }
  request_tags = {
    "aws:RequestTag/Project"     = var.project
    "aws:RequestTag/Environment" = var.environment
  }

  # Services that use the stack's key with the caller's permissions while the deploy creates or reads a
  # resource (Lambda environment variables, DynamoDB tables, Firehose server-side encryption).
  # (Literal lists rather than for expressions: checkov evaluates a document only when it can render it.)
  key_via_services = ["lambda.*.${var.dns_suffix}", "dynamodb.*.${var.dns_suffix}", "firehose.*.${var.dns_suffix}"]

  # The services the stack's roles are passed to: Lambda functions, the state machine, rule targets, Firehose.
  role_services = ["lambda.amazonaws.com", "states.amazonaws.com", "events.amazonaws.com", "firehose.amazonaws.com"]

  # The bootstrap's own IAM names sit outside <project>-<environment>-*, and the deploy policy denies them by
  # ARN as well (a project named like "github-..." would otherwise overlap).
  ci_names = {
    for env in var.environments : env => {
      deploy   = "github-${var.project}-${env}-deploy"
      plan     = "github-${var.project}-${env}-plan"
      boundary = "github-${var.project}-${env}-boundary"
    }
  }
  boundary_arn = "${local.arn}:iam::${var.account_id}:policy/${local.ci_names[var.environment].boundary}"
  protected_arns = concat(
    flatten([for names in values(local.ci_names) : [
      "${local.arn}:iam::${var.account_id}:role/${names.deploy}",
      "${local.arn}:iam::${var.account_id}:role/${names.plan}",
      "${local.arn}:iam::${var.account_id}:policy/${names.boundary}",
    ]]),
    [var.oidc_provider_arn],
  )

  stack_roles    = "${local.arn}:iam::${var.account_id}:role/${local.named}"
  stack_policies = "${local.arn}:iam::${var.account_id}:policy/${local.named}"
}
