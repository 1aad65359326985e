# The project's schema registry: one schema per event the system carries, each the JSON Schema (draft 4) of
# that event's `detail`. The contents come in as variables (the tooling reads schemas/), so Terraform reads
# no file outside its own tree; a changed content becomes a new schema version in the registry.

resource "aws_schemas_registry" "this" {
  count = var.create_registry ? 1 : 0

  name        = var.registry_name
  description = "JSON Schemas (draft 4) of the detail of every event on ${var.event_bus_name}"
}

resource "aws_schemas_schema" "this" {
  for_each = var.create_registry ? var.schemas : {}

  name          = each.key
  registry_name = aws_schemas_registry.this[0].name
  type          = "JSONSchemaDraft4"
  description   = "detail of ${each.key} events on ${var.event_bus_name}"
  content       = each.value
}

# Discovery infers schemas from live traffic into the AWS-managed discovered-schemas registry. It is
# billed per ingested event, and AWS refuses it on a bus encrypted with a customer-managed key.
resource "aws_schemas_discoverer" "this" {
  count = var.create_discoverer ? 1 : 0

  source_arn  = var.event_bus_arn
  description = "Infers schemas from the events on ${var.event_bus_name}"

  lifecycle {
    precondition {
      condition     = var.event_bus_kms_key_arn == null
      error_message = "create_discoverer: AWS does not support schema discovery on an event bus encrypted with a customer-managed key, and ${var.event_bus_name} uses one; leave create_discoverer false."
    }
  }
}
