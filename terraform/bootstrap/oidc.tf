# GitHub Actions exchanges its OIDC token for short-lived credentials: no access key is stored anywhere.
# Two roles per environment, each trusting one kind of job of the deploy workflow (modules/ci_policies,
# trust.tf):
#   plan   - jobs on the deploy branch that plan (and, for var.pull_request_environment only, pull_request
#            jobs), and the scheduled drift workflow's jobs on that branch (var.drift_workflow_file): read the
#            environment's stack and state, take and release its state lock, change nothing.
#   deploy - jobs running in the GitHub environment of the same name (required reviewers, deployment branch
#            main): apply and destroy that environment's stack, and nothing else.

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = "https://${local.oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
  # IAM verifies GitHub's certificate against its own trusted CAs; the list is still required by older providers.
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
}

resource "aws_iam_role" "plan" {
  for_each = var.environments

  name                 = module.policies[each.key].plan_role_name
  description          = "tooling plan of ${each.key} from ${var.github_repository} (read-only, ${each.key} state lock)"
  assume_role_policy   = module.policies[each.key].plan_trust_json
  max_session_duration = 3600

  lifecycle {
    precondition {
      condition     = contains(var.environments, var.pull_request_environment)
      error_message = "pull_request_environment (${var.pull_request_environment}) must be one of environments."
    }
  }
}

resource "aws_iam_role_policy" "plan" {
  for_each = var.environments

  name   = "plan"
  role   = aws_iam_role.plan[each.key].id
  policy = module.policies[each.key].plan_policy_json
}

resource "aws_iam_role" "deploy" {
  for_each = var.environments

  name                 = module.policies[each.key].deploy_role_name
  description          = "tooling apply of ${each.key} from ${var.github_repository}, GitHub environment ${each.key}"
  assume_role_policy   = module.policies[each.key].deploy_trust_json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "deploy" {
  for_each = var.environments

  name   = "deploy"
  role   = aws_iam_role.deploy[each.key].id
  policy = module.policies[each.key].deploy_policy_json
}
