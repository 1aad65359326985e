output "key_arn" {
  description = "ARN of the key."
  value       = aws_kms_key.this.arn
}

output "key_id" {
  description = "Id of the key."
  value       = aws_kms_key.this.key_id
}

output "alias_arn" {
  description = "ARN of the key's alias."
  value       = aws_kms_alias.this.arn
}

output "key_policy" {
  description = "The key policy (JSON) as applied: the account's statement and the service grants."
  value       = data.aws_iam_policy_document.this.json
}
