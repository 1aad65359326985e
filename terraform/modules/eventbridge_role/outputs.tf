output "arn" {
  description = "ARN of the role; null when create is false."
  value       = one(aws_iam_role.this[*].arn)
}

output "assume_role_policy" {
  description = "The role's trust policy (JSON): the rules and account that may assume it; null when create is false. The callers' terraform tests read it."
  value       = one(aws_iam_role.this[*].assume_role_policy)
}

output "name" {
  description = "Name of the role; null when create is false. The callers' terraform tests read it (the failover's secondary suffixes it)."
  value       = one(aws_iam_role.this[*].name)
}
