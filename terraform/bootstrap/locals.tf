locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id

  tags = merge(var.tags, {
    Project   = var.project
    ManagedBy = "terraform"
    Purpose   = "terraform-state-and-ci"
  })

  oidc_host         = "token.actions.githubusercontent.com"
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : "arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.oidc_host}"

  # The OIDC `sub` claims GitHub issues: a pull_request job, and a job that names a GitHub environment
  # (GitHub's deployment-branch rule on that environment is what keeps it to main).
  plan_subjects   = ["repo:${var.github_repository}:pull_request"]
  deploy_subjects = [for env in sort(tolist(var.environments)) : "repo:${var.github_repository}:environment:${env}"]

  # Every stack resource is named <project>-<environment>-<suffix>-<thing> (terraform/locals.tf).
  arn_prefix = "arn:${local.partition}"
  in_account = "*:${local.account_id}"
  named      = "${var.project}-*"
}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}
