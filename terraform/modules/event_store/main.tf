# The event store: every event the batch processor consumes, one item per event. Partition key
# "<source>#<detail-type>", sort key "<time>#<id>" (so `tooling events query --source S --type T --since`
# is one Query, newest first, and a redelivered event maps to the same key: the consumer's conditional put
# makes writes idempotent); the "source-time" index answers a query by source alone. TTL on "expiration" (event time + ttl_days), the project key, PITR by config.

resource "aws_dynamodb_table" "this" {
  count = var.create_table ? 1 : 0

  name                        = var.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.deletion_protection

  # Global tables replicate through the table's stream (NEW_AND_OLD_IMAGES is what DynamoDB requires).
  stream_enabled   = var.replica == null ? null : true
  stream_view_type = var.replica == null ? null : "NEW_AND_OLD_IMAGES"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  attribute {
    name = "source"
    type = "S"
  }

  # `tooling events query --source S` without --type: every detail-type of a source, in time order.
  global_secondary_index {
    name            = "source-time"
    hash_key        = "source"
    range_key       = "sk"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "expiration"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  # [failover] with consumers in both regions: a global table, so the secondary's batch consumer writes the
  # same store (its conditional put on the business key keeps one item per business event either way).
  dynamic "replica" {
    for_each = var.replica == null ? [] : [var.replica]

    content {
      region_name            = replica.value.region_name
      kms_key_arn            = replica.value.kms_key_arn
      point_in_time_recovery = var.point_in_time_recovery
      propagate_tags         = true
    }
  }
}
