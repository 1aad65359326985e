output "arn" {
  description = "ARN of the role; null when create is false."
  value       = one(aws_iam_role.this[*].arn)
}
