# What the module computes: the event store table (keys, source-time index, TTL, key, PITR, deletion
# protection; a global table with a replica) or nothing with empty outputs; and the table names it refuses.
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

  assert {
    condition     = length(aws_dynamodb_table.this[0].replica) == 0 && output.replica_arns == {}
    error_message = "Without a replica the table is regional."
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

# [failover] with consumers in both regions: a global table with a replica in the secondary region, which
# the secondary's batch consumer writes.
run "with_a_replica_the_store_is_a_global_table" {
  command = apply

  variables {
    point_in_time_recovery = false
    replica = {
      region_name = "us-west-2"
      kms_key_arn = "arn:aws:kms:us-west-2:123456789012:key/66666666-7777-8888-9999-000000000000"
    }
  }

  assert {
    # DynamoDB replicates a global table through its stream, which must carry both images.
    condition     = aws_dynamodb_table.this[0].stream_enabled == true && aws_dynamodb_table.this[0].stream_view_type == "NEW_AND_OLD_IMAGES"
    error_message = "A global table has its stream on with NEW_AND_OLD_IMAGES."
  }

  assert {
    condition = [for replica in aws_dynamodb_table.this[0].replica : [replica.region_name, replica.kms_key_arn, replica.point_in_time_recovery, replica.propagate_tags]] == [
      ["us-west-2", "arn:aws:kms:us-west-2:123456789012:key/66666666-7777-8888-9999-000000000000", false, true]
    ]
    error_message = "One replica, in the given region, with that region's key, the table's PITR setting and tags."
  }

  assert {
    condition     = keys(output.replica_arns) == ["us-west-2"]
    error_message = "replica_arns maps the replica's region to its ARN."
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
    condition     = output.table_name == "" && output.table_arn == "" && output.replica_arns == {}
    error_message = "Without a table the outputs are empty."
  }
}

run "a_name_dynamodb_refuses_is_refused" {
  command = plan

  variables {
    table_name = "ab"
  }

  expect_failures = [var.table_name]
}
