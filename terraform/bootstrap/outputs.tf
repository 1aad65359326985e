output "state_bucket" {
  description = "The TF_STATE_BUCKET repository variable."
  value       = aws_s3_bucket.state.bucket
}

output "state_region" {
  description = "The TF_STATE_REGION repository variable."
  value       = var.region
}

output "plan_role_arn" {
  description = "The AWS_PLAN_ROLE_ARN repository variable (pull-request plans)."
  value       = aws_iam_role.plan.arn
}

output "deploy_role_arn" {
  description = "The AWS_DEPLOY_ROLE_ARN variable of each GitHub environment (apply)."
  value       = aws_iam_role.deploy.arn
}

output "state_kms_key_arn" {
  description = "The key that encrypts the state objects."
  value       = aws_kms_key.state.arn
}
