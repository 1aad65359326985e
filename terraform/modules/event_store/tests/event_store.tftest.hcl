# What the module computes: the event store table (keys, source-time index, TTL, key, PITR, deletion
# protection) or nothing with empty outputs; and the table names it refuses.
# Run: terraform init -backend=false && terraform test (tests/terraform/test_terraform_test.py runs every module).

mock_provider "aws" {
  mock_resource "aws_dynamodb_table" {
    defaults = {
      arn = "arn:aws:dynamodb:us-east-1:123456789012:table/shop-dev-abc123-events"
    }
  }
}

variables {
  table_name  = "shop-dev-abc123-events"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "the_table_is_keyed_for_source_and_type_queries_newest_first" {
  command = apply

  assert {
    condition = (
      aws_dynamodb_table.this[0].name == "shop-dev-abc123-events"
      && aws_dynamodb_table.this[0].billing_mode == "PAY_PER_REQUEST"
      && aws_dynamodb_table.this[0].hash_key == "pk"
      && aws_dynamodb_table.this[0].range_key == "sk"
    )
    error_message = "The table is on demand, keyed pk (<source>#<detail-type>) and sk (<time>#<id>)."
  }

  assert {
    condition = (
      { for a in aws_dynamodb_table.this[0].attribute : a.name => a.type } == { pk = "S", sk = "S", source = "S" }
    )
    error_message = "Attributes pk, sk and source, all strings."
  }

  assert {
    condition = [
      for index in aws_dynamodb_table.this[0].global_secondary_index : [index.name, index.hash_key, index.range_key, index.projection_type]
    ] == [["source-time", "source", "sk", "ALL"]]
    error_message = "One index, source-time: a query by source alone, in time order."
  }

  assert {
    condition     = aws_dynamodb_table.this[0].ttl[0].attribute_name == "expiration" && aws_dynamodb_table.this[0].ttl[0].enabled
    error_message = "Items expire on their expiration attribute."
  }

  assert {
    condition = (
      aws_dynamodb_table.this[0].server_side_encryption[0].enabled
      && aws_dynamodb_table.this[0].server_side_encryption[0].kms_key_arn == var.kms_key_arn
    )
    error_message = "The table is encrypted with the project key."
  }

  assert {
    condition     = aws_dynamodb_table.this[0].point_in_time_recovery[0].enabled && !aws_dynamodb_table.this[0].deletion_protection_enabled
    error_message = "By default: point-in-time recovery on, deletion protection off."
  }

  assert {
    condition     = output.table_name == "shop-dev-abc123-events" && output.table_arn == "arn:aws:dynamodb:us-east-1:123456789012:table/shop-dev-abc123-events"
    error_message = "The outputs are the table's name and ARN."
  }
}

run "backup_and_protection_follow_the_settings" {
  command = plan

  variables {
    point_in_time_recovery = false
    deletion_protection    = true
  }

  assert {
    condition     = !aws_dynamodb_table.this[0].point_in_time_recovery[0].enabled && aws_dynamodb_table.this[0].deletion_protection_enabled
    error_message = "point_in_time_recovery and deletion_protection set the table's."
  }
}

run "off_creates_nothing_and_the_outputs_are_empty" {
  command = apply

  variables {
    create_table = false
  }

  assert {
    condition     = length(aws_dynamodb_table.this) == 0
    error_message = "create_table = false creates no table."
  }

  assert {
    condition     = output.table_name == "" && output.table_arn == ""
    error_message = "Without a table the outputs are empty strings."
  }
}

run "a_name_dynamodb_refuses_is_refused" {
  command = plan

  variables {
    table_name = "ab"
  }

  expect_failures = [var.table_name]
}
