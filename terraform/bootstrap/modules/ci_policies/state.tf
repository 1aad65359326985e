# The environment's Terraform state: its objects under env:/<environment>/ and their lock files. S3 encrypts
# them with the state key, calling KMS as the caller (kms:ViaService s3).

data "aws_iam_policy_document" "state_read" {
  statement {
    sid       = "ListStateWorkspaces"
    actions   = ["s3:ListBucket"]
    resources = [var.state_bucket_arn] # `terraform workspace` lists the env:/ prefixes: names, never contents
  }

  statement {
    sid       = "ReadEnvironmentState"
    actions   = ["s3:GetObject"]
    resources = [local.state_objects]
  }

  statement {
    sid       = "HoldEnvironmentStateLock"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = [local.state_locks]
  }

  statement {
    sid       = "UseStateKeyThroughS3"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.state_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${var.state_region}.${var.dns_suffix}"]
    }
  }
}

data "aws_iam_policy_document" "state_write" {
  source_policy_documents = [data.aws_iam_policy_document.state_read.json]

  statement {
    sid       = "WriteEnvironmentState"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = [local.state_objects]
  }
}
