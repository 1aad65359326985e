# Two roles. Firehose's: write objects to this bucket with this key and log its delivery errors. EventBridge's
# (a Firehose target cannot be authorised by a resource policy): PutRecord/PutRecordBatch on this stream
# only, assumable only by the rules that target it.

data "aws_iam_policy_document" "firehose_assume_role" {
  count = var.create_archive ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["firehose.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "firehose" {
  count = var.create_archive ? 1 : 0

  name                 = "${var.stream_name}-firehose"
  description          = "Firehose stream ${var.stream_name}: writes the event archive to ${var.bucket_name}"
  assume_role_policy   = data.aws_iam_policy_document.firehose_assume_role[0].json
  permissions_boundary = var.permissions_boundary_arn
}

resource "aws_iam_role_policy" "firehose" {
  count = var.create_archive ? 1 : 0

  name   = "write-archive"
  role   = aws_iam_role.firehose[0].id
  policy = data.aws_iam_policy_document.firehose[0].json
}

# The S3 actions AWS documents for a Firehose S3 destination, on this bucket only.
data "aws_iam_policy_document" "firehose" {
  count = var.create_archive ? 1 : 0

  statement {
    sid = "WriteArchiveObjects"
    actions = [
      "s3:AbortMultipartUpload",
      "s3:GetBucketLocation",
      "s3:GetObject",
      "s3:ListBucket",
      "s3:ListBucketMultipartUploads",
      "s3:PutObject",
    ]
    resources = [local.bucket_arn, "${local.bucket_arn}/*"]
  }

  # The key only through S3, and only for objects of this bucket (S3's encryption context is the bucket ARN
  # when S3 Bucket Keys are on).
  statement {
    sid       = "EncryptArchiveObjects"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${var.region}.${data.aws_partition.current.dns_suffix}"]
    }

    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:aws:s3:arn"
      values   = [local.bucket_arn, "${local.bucket_arn}/*"]
    }
  }

  statement {
    sid       = "LogDeliveryErrors"
    actions   = ["logs:PutLogEvents"]
    resources = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:${local.log_group_name}:log-stream:${local.log_stream}"]
  }
}

module "target_role" {
  source = "../eventbridge_role"

  permissions_boundary_arn = var.permissions_boundary_arn

  create      = var.create_archive
  name        = "${var.stream_name}-target"
  description = "Lets the rules targeting ${var.stream_name} put records on it"
  account_id  = local.account_id
  rule_arns   = var.rule_arns
  policy_name = "put-archive-records"
  policy_json = one(data.aws_iam_policy_document.target[*].json)
}

data "aws_iam_policy_document" "target" {
  count = var.create_archive ? 1 : 0

  statement {
    sid       = "PutArchiveRecords"
    actions   = ["firehose:PutRecord", "firehose:PutRecordBatch"]
    resources = [local.stream_arn]
  }
}
