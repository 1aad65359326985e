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
# The dead-letter queues use SSE-SQS, not this key (sqs.tf), so nothing needs the key to dead-letter.
data "aws_iam_policy_document" "kms" {
  # checkov:skip=CKV_AWS_109:Key policy; Resource "*" means this key only, and the root statement is AWS's default that delegates key access to IAM policies.
  # checkov:skip=CKV_AWS_111:Key policy; Resource "*" means this key only (KMS forces it), every service statement carries a source or encryption-context condition.
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

  # As in AWS's documented key policies for encrypted buses and archives: DescribeKey with no condition (it
  # reveals only the key's metadata), and the data-key actions pinned to this bus by the encryption context
  # alone; EventBridge does not send aws:SourceAccount/aws:SourceArn on every call it makes for the archive.
  statement {
    sid       = "EventBridgeDescribesKey"
    actions   = ["kms:DescribeKey"]
    resources = ["*"] # KMS key policies must use "*" (this key).

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
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
  }

  # EventBridge publishing to an encrypted topic: SNS makes the KMS call, and the SNS developer guide says
  # aws:SourceAccount/aws:SourceArn/aws:SourceOrgID in the key policy are not supported for this case. The
  # topic's encryption context pins the statement to the notifications topic; the topic policy names the
  # rules (aws:SourceArn there is supported).
  statement {
    sid       = "EventBridgePublishesToNotificationsTopic"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"] # KMS key policies must use "*" (this key).

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:sns:topicArn"
      values   = [local.notifications_topic_arn]
    }
  }

  # EventBridge rules sending to the encrypted batch queue. Pinned to that queue by SQS's encryption
  # context, as the topic statement above is: whether SQS passes aws:SourceArn on to KMS when EventBridge
  # sends is undocumented, so a SourceArn condition could deny every delivery. The queue policy names the
  # rules (aws:SourceArn is supported there).
  statement {
    sid       = "EventBridgeRulesSendToBatchQueue"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"] # KMS key policies must use "*" (this key).

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:sqs:arn"
      values   = [local.batch_queue_arn]
    }
  }

  # CloudWatch alarms publishing to the encrypted operations topic (module monitoring). As for EventBridge
  # above, SNS makes the KMS call on the publisher's behalf, so the statement is pinned by the topic's
  # encryption context, not by aws:Source* keys; the operations topic's own policy names the alarms.
  statement {
    sid       = "CloudWatchAlarmsPublishToOperationsTopic"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"] # KMS key policies must use "*" (this key).

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:sns:topicArn"
      values   = [local.operations_topic_arn]
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
      values   = [local.log_group_prefix, local.state_machine_log_group_prefix, local.firehose_log_group_prefix]
    }
  }
}
