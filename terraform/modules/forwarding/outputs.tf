output "rule_arn" {
  description = "ARN of the forwarding rule on the default bus; null when forwarding is off."
  value       = one(aws_cloudwatch_event_rule.this[*].arn)
}

output "rule_name" {
  description = "Name of the forwarding rule on the default bus; null when forwarding is off."
  value       = one(aws_cloudwatch_event_rule.this[*].name)
}

output "rule_arns" {
  description = "ARN of the forwarding rule as a list (empty when off); feeds the events DLQ's policy."
  value       = [for rule in aws_cloudwatch_event_rule.this : rule.arn]
}

output "role_arn" {
  description = "ARN of the role the forwarding target uses; null when forwarding is off."
  value       = module.role.arn
}
