output "state_machine_arns" {
  description = "Logical target name (order-workflow) -> state machine ARN; empty when the workflow is not created."
  value       = { for machine in aws_sfn_state_machine.this : "order-workflow" => machine.arn }
}

output "target_role_arns" {
  description = "Logical target name (order-workflow) -> the role EventBridge assumes to start executions; empty when not created."
  value       = var.create_workflow ? { "order-workflow" = module.target_role.arn } : {}
}

output "log_group_name" {
  description = "Name of the execution log group (null when the workflow is not created)."
  value       = one(aws_cloudwatch_log_group.this[*].name)
}
