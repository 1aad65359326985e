# Idempotency records of the notifier (Powertools' DynamoDBPersistenceLayer defaults: key "id",
# expiry "expiration"), so a retried or duplicated event never sends the same alert twice.
#
# With [failover] consumers in both regions the table is a DynamoDB global table (idempotency_replica: a
# replica in the secondary region, encrypted with that region's key): a business event processed in both
# regions (the endpoint's replication, or a failover mid-stream) finds the other region's record. The
# secondary's processors create no table of their own and use the replica (idempotency_table).

resource "aws_dynamodb_table" "idempotency" {
  count = var.idempotency_table == null ? 1 : 0

  name                        = "${var.name_prefix}-idempotency"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "id"
  deletion_protection_enabled = var.idempotency_deletion_protection

  # Global tables replicate through the table's stream (NEW_AND_OLD_IMAGES is what DynamoDB requires).
  stream_enabled   = var.idempotency_replica == null ? null : true
  stream_view_type = var.idempotency_replica == null ? null : "NEW_AND_OLD_IMAGES"

  attribute {
    name = "id"
    type = "S"
  }

  ttl {
    attribute_name = "expiration"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  dynamic "replica" {
    for_each = var.idempotency_replica == null ? [] : [var.idempotency_replica]

    content {
      region_name            = replica.value.region_name
      kms_key_arn            = replica.value.kms_key_arn
      point_in_time_recovery = true
      propagate_tags         = true
    }
  }
}

# The table became count-toggled (idempotency_table): an existing stack keeps it, now at [0].
moved {
  from = aws_dynamodb_table.idempotency
  to   = aws_dynamodb_table.idempotency[0]
}

locals {
  # The table the notifier uses: its own, or the given one (the replica of the primary's global table).
  idempotency_table = var.idempotency_table != null ? var.idempotency_table : {
    name = aws_dynamodb_table.idempotency[0].name
    arn  = aws_dynamodb_table.idempotency[0].arn
  }
}
