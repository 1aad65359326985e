# A key of the replica region for the replica bus and its archive (KMS keys are regional, so the primary
# key cannot serve). Its policy mirrors the primary key's bus statements, for the replica bus only.

resource "aws_kms_key" "this" {
  count    = var.create_replication ? 1 : 0
  provider = aws.replica

  description             = "${var.name_prefix}: replica event bus and archive in ${var.replica_region}"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.kms[0].json
}

resource "aws_kms_alias" "this" {
  count    = var.create_replication ? 1 : 0
  provider = aws.replica

  name          = "alias/${var.name_prefix}-replica"
  target_key_id = aws_kms_key.this[0].key_id
}

data "aws_iam_policy_document" "kms" {
  # checkov:skip=CKV_AWS_109:Key policy; Resource "*" means this key only, and the root statement is AWS's default that delegates key access to IAM policies.
  # checkov:skip=CKV_AWS_111:Key policy; Resource "*" means this key only (KMS forces it), the service statements carry source conditions.
  # checkov:skip=CKV_AWS_356:Key policy; Resource "*" means this key only (KMS forces it).
  count = var.create_replication ? 1 : 0

  # AWS's default key policy statement: the key stays manageable through IAM.
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
  # reveals only the key's metadata), and the data-key actions pinned to the replica bus by the encryption
  # context alone; EventBridge does not send aws:SourceAccount/aws:SourceArn on every call it makes here.
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
    sid       = "EventBridgeEncryptsReplicaBusAndArchive"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt", "kms:ReEncrypt*"]
    resources = ["*"] # KMS key policies must use "*" (this key).

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:events:event-bus:arn"
      values   = [local.replica_bus_arn]
    }
  }
}
