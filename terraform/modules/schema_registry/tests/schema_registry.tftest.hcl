# What the module computes: the registry and one JSONSchemaDraft4 schema per entry of schemas (or nothing),
# the discoverer only when asked and never on a bus with a customer-managed key; the names it refuses.
# Run: terraform init -backend=false && terraform test (tests/terraform/test_terraform_test.py runs every module).

mock_provider "aws" {
  mock_resource "aws_schemas_registry" {
    defaults = {
      arn = "arn:aws:schemas:us-east-1:123456789012:registry/shop-dev-abc123"
    }
  }
}

override_resource {
  target = aws_schemas_schema.this
  values = { version = "1" }
}

variables {
  registry_name  = "shop-dev-abc123"
  event_bus_name = "shop-dev-abc123"
  event_bus_arn  = "arn:aws:events:us-east-1:123456789012:event-bus/shop-dev-abc123"
  schemas = {
    "ecommerce.orders@OrderCreated" = "{\"type\":\"object\",\"required\":[\"orderId\"]}"
    "ecommerce.users@UserSignedUp"  = "{\"type\":\"object\"}"
  }
}

run "one_draft4_schema_per_entry_in_the_registry_and_no_discoverer" {
  command = apply

  assert {
    condition     = aws_schemas_registry.this[0].name == "shop-dev-abc123"
    error_message = "The registry takes registry_name."
  }

  assert {
    condition = {
      for name, schema in aws_schemas_schema.this : name => [schema.name, schema.registry_name, schema.type, schema.content]
      } == {
      "ecommerce.orders@OrderCreated" = ["ecommerce.orders@OrderCreated", "shop-dev-abc123", "JSONSchemaDraft4", "{\"type\":\"object\",\"required\":[\"orderId\"]}"]
      "ecommerce.users@UserSignedUp"  = ["ecommerce.users@UserSignedUp", "shop-dev-abc123", "JSONSchemaDraft4", "{\"type\":\"object\"}"]
    }
    error_message = "Each entry becomes a JSONSchemaDraft4 schema of that name and content in the registry."
  }

  assert {
    condition     = length(aws_schemas_discoverer.this) == 0 && output.discoverer_id == null
    error_message = "No discoverer unless create_discoverer."
  }

  assert {
    condition = (
      output.registry_name == "shop-dev-abc123"
      && output.registry_arn == "arn:aws:schemas:us-east-1:123456789012:registry/shop-dev-abc123"
      && output.schema_versions == { "ecommerce.orders@OrderCreated" = "1", "ecommerce.users@UserSignedUp" = "1" }
    )
    error_message = "The outputs are the registry's name and ARN and each schema's version."
  }
}

run "no_registry_no_schemas" {
  command = apply

  variables {
    create_registry = false
  }

  assert {
    condition     = length(aws_schemas_registry.this) == 0 && length(aws_schemas_schema.this) == 0
    error_message = "create_registry = false creates neither the registry nor any schema."
  }

  assert {
    condition     = output.registry_name == null && output.registry_arn == null && output.schema_versions == {}
    error_message = "Without a registry: null name and ARN, no versions."
  }
}

run "the_discoverer_watches_the_bus_when_its_key_is_aws_owned" {
  command = plan

  variables {
    create_discoverer = true
  }

  assert {
    condition     = aws_schemas_discoverer.this[0].source_arn == var.event_bus_arn
    error_message = "The discoverer watches the bus."
  }
}

run "discovery_on_a_bus_with_a_customer_managed_key_is_refused" {
  command = plan

  variables {
    create_discoverer     = true
    event_bus_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  expect_failures = [aws_schemas_discoverer.this]
}

run "a_reserved_registry_name_and_a_bad_schema_name_are_refused" {
  command = plan

  variables {
    registry_name = "aws.events"
    schemas       = { "orders created" = "{}" }
  }

  expect_failures = [var.registry_name, var.schemas]
}

run "a_schema_that_is_not_a_json_object_is_refused" {
  command = plan

  variables {
    schemas = { "ecommerce.orders@OrderCreated" = "[1, 2]" }
  }

  expect_failures = [var.schemas]
}
