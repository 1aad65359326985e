# Three queues: the batch queue (a rule target), its redrive DLQ, and the shared DLQ that EventBridge
# writes undeliverable events to (from any rule target with dead_letter_queue = true, and from the bus).
# The dead-letter queues use SSE-SQS rather than the project key: the bus dead-letters errors such as the
# customer-managed key being disabled or missing, and a DLQ encrypted with that same key would then refuse
# the message too. SSE-SQS still encrypts at rest and needs no key policy.

resource "aws_sqs_queue" "batch" {
  count = var.create_targets ? 1 : 0

  name                       = var.batch_queue_name
  kms_master_key_id          = var.kms_key_arn
  receive_wait_time_seconds  = 20 # long polling: fewer empty receives, lower cost
  visibility_timeout_seconds = var.batch_queue_visibility_timeout_seconds
  message_retention_seconds  = 345600 # 4 days
  # Set, not left to the provider: hashicorp/aws 5.x defaults it to 256 KiB, and a larger event the rule
  # sends would then fail delivery (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html).
  max_message_size = var.batch_queue_max_message_size

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.batch_dlq[0].arn
    maxReceiveCount     = var.batch_queue_max_receive_count
  })
}

resource "aws_sqs_queue" "batch_dlq" {
  count = var.create_targets ? 1 : 0

  name                      = "${var.name_prefix}-batch-dlq"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600 # 14 days, SQS's maximum: time to inspect and redrive
}

resource "aws_sqs_queue_redrive_allow_policy" "batch_dlq" {
  count = var.create_targets ? 1 : 0

  queue_url = aws_sqs_queue.batch_dlq[0].url

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.batch[0].arn]
  })
}

resource "aws_sqs_queue" "events_dlq" {
  name                      = "${var.name_prefix}-events-dlq"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600 # 14 days, SQS's maximum: time to inspect and redrive

  # EventBridge writes here directly; no queue may use it as its redrive target.
  redrive_allow_policy = jsonencode({ redrivePermission = "denyAll" })
}

# Every queue refuses requests without TLS (module tls_only_policy); the batch DLQ's policy says only that:
# nothing sends to it but the batch queue's redrive.
module "batch_tls_only" {
  source = "../tls_only_policy"
  count  = var.create_targets ? 1 : 0

  service   = "sqs"
  resources = [aws_sqs_queue.batch[0].arn]
}

module "batch_dlq_tls_only" {
  source = "../tls_only_policy"
  count  = var.create_targets ? 1 : 0

  service   = "sqs"
  resources = [aws_sqs_queue.batch_dlq[0].arn]
}

module "events_dlq_tls_only" {
  source = "../tls_only_policy"

  service   = "sqs"
  resources = [aws_sqs_queue.events_dlq.arn]
}

resource "aws_sqs_queue_policy" "batch" {
  count = var.create_targets ? 1 : 0

  queue_url = aws_sqs_queue.batch[0].url
  policy    = data.aws_iam_policy_document.batch[0].json
}

resource "aws_sqs_queue_policy" "batch_dlq" {
  count = var.create_targets ? 1 : 0

  queue_url = aws_sqs_queue.batch_dlq[0].url
  policy    = module.batch_dlq_tls_only[0].json
}

resource "aws_sqs_queue_policy" "events_dlq" {
  queue_url = aws_sqs_queue.events_dlq.url
  policy    = data.aws_iam_policy_document.events_dlq.json
}

data "aws_iam_policy_document" "batch" {
  count = var.create_targets ? 1 : 0

  # The TLS-only deny, after the statement below.
  override_policy_documents = [module.batch_tls_only[0].json]

  dynamic "statement" {
    for_each = length(var.event_source_arns.batch_queue) == 0 ? [] : [var.event_source_arns.batch_queue]

    content {
      sid       = "EventBridgeRulesSend"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.batch[0].arn]

      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = statement.value
      }
    }
  }
}

data "aws_iam_policy_document" "events_dlq" {
  # The TLS-only deny, after the statement below.
  override_policy_documents = [module.events_dlq_tls_only.json]

  dynamic "statement" {
    for_each = length(var.event_source_arns.events_dlq) == 0 ? [] : [var.event_source_arns.events_dlq]

    content {
      sid       = "EventBridgeDeadLetters"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.events_dlq.arn]

      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = statement.value
      }
    }
  }
}
