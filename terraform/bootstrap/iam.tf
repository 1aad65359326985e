# The CI roles of each environment: what they may do is rendered by modules/ci_policies (one place, which the
# tests and the e2e run evaluate), and created here.

module "policies" {
  source   = "./modules/ci_policies"
  for_each = var.environments

  project             = var.project
  environment         = each.key
  environments        = var.environments
  partition           = local.partition
  dns_suffix          = data.aws_partition.current.dns_suffix
  account_id          = local.account_id
  state_bucket_arn    = aws_s3_bucket.state.arn
  state_key_arn       = module.state_key.key_arn
  state_region        = var.region
  oidc_provider_arn   = local.oidc_provider_arn
  oidc_host           = local.oidc_host
  github_repository   = var.github_repository
  workflow_file       = var.workflow_file
  drift_workflow_file = var.drift_workflow_file
  deploy_branch       = var.deploy_branch
  pull_requests       = each.key == var.pull_request_environment
}

# The boundary every role of the environment's stack carries (root variable permissions_boundary_arn of
# terraform/). Named github-<project>-<env>-boundary: outside the names the deploy role manages, and denied
# to it by ARN.
resource "aws_iam_policy" "boundary" {
  for_each = var.environments

  name        = module.policies[each.key].boundary_policy_name
  description = "Permissions boundary of the ${var.project} ${each.key} stack's roles: what they may ever do"
  policy      = module.policies[each.key].boundary_policy_json
}
