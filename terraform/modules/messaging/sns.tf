resource "aws_sns_topic" "notifications" {
  name              = "${var.name_prefix}-notifications"
  kms_master_key_id = aws_kms_key.this.arn
}

resource "aws_sns_topic_policy" "notifications" {
  arn    = aws_sns_topic.notifications.arn
  policy = data.aws_iam_policy_document.notifications.json
}

data "aws_iam_policy_document" "notifications" {
  # Without a rule targeting the topic there is nothing to allow; an empty ArnEquals list is invalid.
  dynamic "statement" {
    for_each = length(var.event_source_arns.notifications) == 0 ? [] : [var.event_source_arns.notifications]

    content {
      sid       = "EventBridgeRulesPublish"
      actions   = ["sns:Publish"]
      resources = [aws_sns_topic.notifications.arn]

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

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.notifications.arn]

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

resource "aws_sns_topic_subscription" "notifier" {
  topic_arn = aws_sns_topic.notifications.arn
  protocol  = "lambda"
  endpoint  = var.notifier_function.arn
}

resource "aws_lambda_permission" "notifier" {
  statement_id  = "AllowNotificationsTopic"
  action        = "lambda:InvokeFunction"
  function_name = var.notifier_function.name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.notifications.arn
}

resource "aws_sns_topic_subscription" "email" {
  count = local.create_email_subscription ? 1 : 0

  topic_arn = aws_sns_topic.notifications.arn
  protocol  = "email"
  endpoint  = var.notification_email
}
