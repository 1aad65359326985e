resource "aws_sns_topic" "notifications" {
  count = var.create_targets ? 1 : 0

  name              = var.notifications_topic_name
  kms_master_key_id = var.kms_key_arn
}

module "notifications_tls_only" {
  source = "../tls_only_policy"
  count  = var.create_targets ? 1 : 0

  service   = "sns"
  resources = [aws_sns_topic.notifications[0].arn]
}

resource "aws_sns_topic_policy" "notifications" {
  count = var.create_targets ? 1 : 0

  arn    = aws_sns_topic.notifications[0].arn
  policy = data.aws_iam_policy_document.notifications[0].json
}

data "aws_iam_policy_document" "notifications" {
  count = var.create_targets ? 1 : 0

  # The TLS-only deny, after the statements below.
  override_policy_documents = [module.notifications_tls_only[0].json]

  # Without a rule targeting the topic there is nothing to allow; an empty ArnEquals list is invalid.
  dynamic "statement" {
    for_each = length(var.event_source_arns.notifications) == 0 ? [] : [var.event_source_arns.notifications]

    content {
      sid       = "EventBridgeRulesPublish"
      actions   = ["sns:Publish"]
      resources = [aws_sns_topic.notifications[0].arn]

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

resource "aws_sns_topic_subscription" "notifier" {
  count = var.create_targets ? 1 : 0

  topic_arn = aws_sns_topic.notifications[0].arn
  protocol  = "lambda"
  endpoint  = var.notifier_function.arn

  # Messages SNS cannot deliver after its retries (function deleted, permission missing, throttled past
  # the delivery policy) go to the notifications DLQ instead of being dropped. Failures inside the function
  # are the function's own DLQ's business (module processors).
  redrive_policy = jsonencode({ deadLetterTargetArn = aws_sqs_queue.notifications_dlq[0].arn })

  # The queue policy first, so SNS may dead-letter from the first failed delivery on.
  depends_on = [aws_sqs_queue_policy.notifications_dlq]

  lifecycle {
    precondition {
      condition     = var.notifier_function != null
      error_message = "messaging: notifier_function is required while create_targets is true (the notifications topic delivers to it)."
    }
  }
}

resource "aws_lambda_permission" "notifier" {
  count = var.create_targets ? 1 : 0

  statement_id  = "AllowNotificationsTopic"
  action        = "lambda:InvokeFunction"
  function_name = var.notifier_function.name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.notifications[0].arn
}

resource "aws_sns_topic_subscription" "email" {
  count = local.create_email_subscription ? 1 : 0

  topic_arn = aws_sns_topic.notifications[0].arn
  protocol  = "email"
  endpoint  = var.notification_email
}

# The notifier subscription's dead-letter queue. SNS itself sends here, so the queue policy names the topic.
# SSE-SQS rather than the project key (see sqs.tf): dead-lettering must not depend on the key it guards
# against, and SNS then needs no key permission at all.
resource "aws_sqs_queue" "notifications_dlq" {
  count = var.create_targets ? 1 : 0

  name                      = "${var.name_prefix}-notifications-dlq"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600 # 14 days, SQS's maximum: time to inspect and redrive

  # SNS writes here directly; no queue may use it as its redrive target.
  redrive_allow_policy = jsonencode({ redrivePermission = "denyAll" })
}

module "notifications_dlq_tls_only" {
  source = "../tls_only_policy"
  count  = var.create_targets ? 1 : 0

  service   = "sqs"
  resources = [aws_sqs_queue.notifications_dlq[0].arn]
}

resource "aws_sqs_queue_policy" "notifications_dlq" {
  count = var.create_targets ? 1 : 0

  queue_url = aws_sqs_queue.notifications_dlq[0].url
  policy    = data.aws_iam_policy_document.notifications_dlq[0].json
}

data "aws_iam_policy_document" "notifications_dlq" {
  count = var.create_targets ? 1 : 0

  # The TLS-only deny, after the statement below.
  override_policy_documents = [module.notifications_dlq_tls_only[0].json]

  statement {
    sid       = "NotificationsTopicDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.notifications_dlq[0].arn]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_sns_topic.notifications[0].arn]
    }
  }
}
