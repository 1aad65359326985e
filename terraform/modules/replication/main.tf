# Cross-region replication: a rule on the primary bus forwards every e-commerce event to a bus of the same
# name (+ "-replica") in the replica region, which archives them. The replica can replay its archive onto
# itself, so consumers deployed there can take over if the primary region fails. Nothing here exists unless
# create_replication is true.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # Built from the name: the bus is encrypted with the replica key, so the key policy cannot wait for it.
  replica_bus_arn = "arn:${local.partition}:events:${var.replica_region}:${local.account_id}:event-bus/${var.replica_event_bus_name}"

  rule_name = "${var.name_prefix}-replication"
  event_pattern = jsonencode({
    source = var.event_sources
  })
}

resource "aws_cloudwatch_event_bus" "this" {
  count    = var.create_replication ? 1 : 0
  provider = aws.replica

  name               = var.replica_event_bus_name
  description        = "Replica of ${var.event_bus_name} (${var.region}): every e-commerce event, archived for replay"
  kms_key_identifier = aws_kms_key.this[0].arn

  # Events the replica bus cannot process itself (for instance the replica key disabled or missing) land
  # here instead of being dropped. The queue is in the replica region (a bus dead-letters only within its
  # region) and uses SSE-SQS, so a failing replica key cannot also block the dead-lettering.
  dead_letter_config {
    arn = aws_sqs_queue.dlq[0].arn
  }

  lifecycle {
    precondition {
      condition     = var.replica_region != var.region
      error_message = "replication: the replica region (${var.replica_region}) must differ from the primary region (${var.region})."
    }
  }
}

resource "aws_cloudwatch_event_archive" "this" {
  count    = var.create_replication ? 1 : 0
  provider = aws.replica

  name               = var.replica_archive_name
  description        = "Every event replicated to ${var.replica_event_bus_name}, kept for replay in ${var.replica_region}"
  event_source_arn   = aws_cloudwatch_event_bus.this[0].arn
  retention_days     = var.archive_retention_days
  kms_key_identifier = aws_kms_key.this[0].arn

  lifecycle {
    precondition {
      condition     = length(var.replica_archive_name) <= 48
      error_message = "replication: archive name ${var.replica_archive_name} is longer than EventBridge's 48 characters; shorten project or environment."
    }
  }
}

resource "aws_cloudwatch_event_rule" "replicate" {
  count = var.create_replication ? 1 : 0

  name           = local.rule_name
  description    = "Every e-commerce event to ${var.replica_event_bus_name} in ${var.replica_region}"
  event_bus_name = var.event_bus_name
  event_pattern  = local.event_pattern
  state          = "ENABLED"

  lifecycle {
    precondition {
      condition     = length(local.rule_name) <= 64
      error_message = "replication: rule name ${local.rule_name} is longer than EventBridge's 64 characters."
    }
  }
}

# Bus-to-bus targets are the one target type here that needs a role: EventBridge calls PutEvents on the
# replica with it. Undeliverable events (after the retries) go to the primary region's events DLQ.
resource "aws_cloudwatch_event_target" "replicate" {
  count = var.create_replication ? 1 : 0

  event_bus_name = var.event_bus_name
  rule           = aws_cloudwatch_event_rule.replicate[0].name
  target_id      = "replica-bus"
  arn            = aws_cloudwatch_event_bus.this[0].arn
  role_arn       = module.role.arn

  retry_policy {
    maximum_retry_attempts       = var.retry_policy.maximum_retry_attempts
    maximum_event_age_in_seconds = var.retry_policy.maximum_event_age_in_seconds
  }

  dead_letter_config {
    arn = var.dead_letter_queue_arn
  }
}

resource "aws_sqs_queue" "dlq" {
  count    = var.create_replication ? 1 : 0
  provider = aws.replica

  name                      = "${var.name_prefix}-replica-dlq"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600 # 14 days, SQS's maximum: time to inspect and redrive

  # The replica bus writes here directly; no queue may use it as its redrive target.
  redrive_allow_policy = jsonencode({ redrivePermission = "denyAll" })
}

resource "aws_sqs_queue_policy" "dlq" {
  count    = var.create_replication ? 1 : 0
  provider = aws.replica

  queue_url = aws_sqs_queue.dlq[0].url
  policy    = data.aws_iam_policy_document.dlq[0].json
}

data "aws_iam_policy_document" "dlq" {
  count = var.create_replication ? 1 : 0

  statement {
    sid       = "ReplicaBusDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq[0].arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    # Built from the name, like the key policy's: the bus refers to this queue, so the policy cannot wait
    # for the bus.
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.replica_bus_arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.dlq[0].arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
