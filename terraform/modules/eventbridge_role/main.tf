# The role EventBridge assumes to deliver to a target that no resource policy can authorise (another bus, a
# Step Functions state machine, a Firehose stream). Only the given rules of this account may assume it
# (aws:SourceArn, aws:SourceAccount: no confused deputy), and it may do only what policy_json allows. One
# definition for forwarding, workflows and s3_archive.

data "aws_iam_policy_document" "assume_role" {
  count = var.create ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = var.rule_arns
    }
  }
}

resource "aws_iam_role" "this" {
  count = var.create ? 1 : 0

  name                 = var.name
  description          = var.description
  assume_role_policy   = data.aws_iam_policy_document.assume_role[0].json
  permissions_boundary = var.permissions_boundary_arn
}

resource "aws_iam_role_policy" "this" {
  count = var.create ? 1 : 0

  name   = var.policy_name
  role   = aws_iam_role.this[0].id
  policy = var.policy_json
}
