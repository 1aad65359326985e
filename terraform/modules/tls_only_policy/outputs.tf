output "json" {
  description = "A policy document (JSON) holding the one DenyInsecureTransport statement."
  value       = data.aws_iam_policy_document.this.json
}
