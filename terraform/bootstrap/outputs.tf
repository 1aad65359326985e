output "state_bucket" {
  description = "The TF_STATE_BUCKET repository variable."
  value       = aws_s3_bucket.state.bucket
}

output "state_region" {
  description = "The TF_STATE_REGION repository variable."
  value       = var.region
}

output "plan_role_arns" {
  description = "Plan role of each environment: the AWS_PLAN_ROLE_ARN_<ENV> repository variables (pull requests use the pull_request_environment's)."
  value       = { for env, role in aws_iam_role.plan : env => role.arn }
}

output "deploy_role_arns" {
  description = "Deploy role of each environment: the repository variables AWS_DEPLOY_ROLE_ARN_DEV and AWS_DEPLOY_ROLE_ARN_PROD."
  value       = { for env, role in aws_iam_role.deploy : env => role.arn }
}

output "permissions_boundary_arns" {
  description = "Boundary of each environment's stack roles: the PERMISSIONS_BOUNDARY_ARN_<ENV> repository variables (TF_VAR_permissions_boundary_arn of plan and apply)."
  value       = { for env, policy in aws_iam_policy.boundary : env => policy.arn }
}

output "state_kms_key_arn" {
  description = "The key that encrypts the state objects."
  value       = module.state_key.key_arn
}
