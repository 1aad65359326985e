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
}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}
