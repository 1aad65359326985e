# The batch queue's consumer: an SQS event source mapping invokes the batch-processor function with
# batches of up to batch_size messages, gathered for up to the batching window. ReportBatchItemFailures:
# the function returns only the failed messages, so SQS redelivers those alone (after the queue's
# visibility timeout) and, past the queue's maxReceiveCount, moves them to the batch DLQ.

resource "aws_lambda_event_source_mapping" "batch" {
  count = var.batch_consumer == null ? 0 : 1

  event_source_arn                   = var.batch_consumer.queue_arn
  function_name                      = aws_lambda_function.this["batch-processor"].arn
  batch_size                         = var.batch_consumer.batch_size
  maximum_batching_window_in_seconds = var.batch_consumer.batching_window_seconds
  function_response_types            = ["ReportBatchItemFailures"]
  enabled                            = true

  # The [batch_processor] filter_pattern, checked by `tooling config validate` as Lambda checks it (the
  # operators a Lambda filter takes, the SQS record's fields): Lambda deletes what it does not match.
  dynamic "filter_criteria" {
    for_each = var.batch_consumer.filter_pattern == null ? [] : [var.batch_consumer.filter_pattern]

    content {
      filter {
        pattern = filter_criteria.value
      }
    }
  }

  # Lambda checks at creation that the role may receive from the queue.
  depends_on = [aws_iam_role_policy.batch_consumer]
}

resource "aws_iam_role_policy" "batch_consumer" {
  count = var.batch_consumer == null ? 0 : 1

  name   = "batch-consumer"
  role   = aws_iam_role.function["batch-processor"].id
  policy = data.aws_iam_policy_document.batch_consumer[0].json
}

data "aws_iam_policy_document" "batch_consumer" {
  count = var.batch_consumer == null ? 0 : 1

  # What Lambda's poller does with the function's role: the actions AWS documents for an SQS event source.
  statement {
    sid       = "PollBatchQueue"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
    resources = [var.batch_consumer.queue_arn]
  }

  # The batch queue is encrypted with the project key: receiving decrypts, only through SQS.
  statement {
    sid       = "DecryptBatchQueueThroughSqs"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.sqs_via_service]
    }
  }

  # Conditional puts only: the store is append-once (idempotent on the event's key), never read here.
  dynamic "statement" {
    for_each = var.batch_consumer.event_store == null ? [] : [var.batch_consumer.event_store.table_arn]

    content {
      sid       = "WriteEventStore"
      actions   = ["dynamodb:PutItem"]
      resources = [statement.value]
    }
  }

  # The event store is encrypted with the project key: writing items needs a data key, through DynamoDB.
  dynamic "statement" {
    for_each = var.batch_consumer.event_store == null ? [] : [var.kms_key_arn]

    content {
      sid       = "UseProjectKeyThroughDynamoDb"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.dynamodb_via_service]
      }
    }
  }
}
