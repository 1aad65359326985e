output "deploy_policy_json" {
  description = "The deploy role's identity policy."
  value       = data.aws_iam_policy_document.deploy.json
}

output "plan_policy_json" {
  description = "The plan role's identity policy."
  value       = data.aws_iam_policy_document.plan.json
}

output "boundary_policy_json" {
  description = "The permissions boundary every role of the stack carries."
  value       = data.aws_iam_policy_document.boundary.json
}

output "deploy_trust_json" {
  description = "The deploy role's trust policy: deploy jobs of this environment, from the deploy workflow on the deploy branch."
  value       = data.aws_iam_policy_document.deploy_trust.json
}

output "plan_trust_json" {
  description = "The plan role's trust policy: plan jobs of the deploy workflow on the deploy branch (and pull requests where allowed)."
  value       = data.aws_iam_policy_document.plan_trust.json
}

output "deploy_role_name" {
  description = "Name of this environment's deploy role."
  value       = local.ci_names[var.environment].deploy
}

output "plan_role_name" {
  description = "Name of this environment's plan role."
  value       = local.ci_names[var.environment].plan
}

output "boundary_policy_name" {
  description = "Name of this environment's permissions boundary policy."
  value       = local.ci_names[var.environment].boundary
}
