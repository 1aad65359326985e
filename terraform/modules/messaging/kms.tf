resource "aws_kms_key" "this" {
  description             = "${var.name_prefix}: event bus, archive, topics, queues, logs, Lambda environment and idempotency table"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name_prefix}"
  target_key_id = aws_kms_key.this.key_id
}

# In a key policy "Resource" is "*", which KMS defines as "this key" (the key's ARN does not exist before
# the key does), so each statement is scoped by principal and condition instead. SNS and SQS call KMS on behalf of
# whoever sends: EventBridge and CloudWatch through their statements below, the Lambda roles through
# their IAM policies (which the root statement lets IAM grant), so no bare sns/sqs service grant is needed.
# The one exception is SNS dead-lettering into the encrypted notifications DLQ: there SNS itself is the
# sender, so it gets a statement limited to the notifications topic.
data "aws_iam_policy_document" "kms" {
  # checkov:skip=CKV_AWS_109:Key policy; Resource "*" means this key only, and the root statement is AWS's default that delegates key access to IAM policies.
  # checkov:skip=CKV_AWS_111:Key policy; Resource "*" means this key only (KMS forces it), every service statement carries a source condition.
  # checkov:skip=CKV_AWS_356:Key policy; Resource "*" means this key only (KMS forces it).

  # AWS's default key policy statement: IAM policies of this account may grant use of the key (the Lambda
  # roles' kms:Decrypt/GenerateDataKey rely on it), and the key can never become unmanageable.
  statement {
    sid       = "AccountAdministersKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"] # KMS key policies must use "*" (this key).

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "EventBridgeDescribesKey"
    actions   = ["kms:DescribeKey"]
    resources = ["*"] # KMS key policies must use "*" (this key).

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "EventBridgeEncryptsBusAndArchive"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt", "kms:ReEncrypt*"]
    resources = ["*"] # KMS key policies must use "*" (this key).

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:events:event-bus:arn"
      values   = [local.event_bus_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "EventBridgeRulesDeliverToEncryptedTargets"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"] # KMS key policies must use "*" (this key).

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    # The bus itself sends to the events DLQ (its dead-letter config); its rules send to topic and queues.
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.rule_arn_pattern, local.event_bus_arn]
    }
  }

  statement {
    sid       = "SnsDeadLettersNotificationsToEncryptedQueue"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"] # KMS key policies must use "*" (this key).

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.notifications_topic_arn]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublishToEncryptedTopic"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"] # KMS key policies must use "*" (this key).

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.alarm_arn_prefix]
    }
  }

  statement {
    sid       = "CloudWatchLogsEncryptsLogGroups"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"] # KMS key policies must use "*" (this key).

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.log_group_prefix, local.state_machine_log_group_prefix]
    }
  }
}
