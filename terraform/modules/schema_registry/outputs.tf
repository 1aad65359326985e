output "registry_name" {
  description = "Name of the schema registry; null when create_registry is false."
  value       = one(aws_schemas_registry.this[*].name)
}

output "registry_arn" {
  description = "ARN of the schema registry; null when create_registry is false."
  value       = one(aws_schemas_registry.this[*].arn)
}

output "schema_versions" {
  description = "Current registry version per schema name (a changed content adds a version)."
  value       = { for name, schema in aws_schemas_schema.this : name => schema.version }
}

output "discoverer_id" {
  description = "Id of the schema discoverer; null when create_discoverer is false."
  value       = one(aws_schemas_discoverer.this[*].id)
}
