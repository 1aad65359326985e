# The role EventBridge assumes to forward events: only this account's replication rule may assume it, and it
# may only put events on the replica bus.

data "aws_iam_policy_document" "assume_role" {
  count = var.create_replication ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.replicate[0].arn]
    }
  }
}

resource "aws_iam_role" "replicate" {
  count = var.create_replication ? 1 : 0

  name               = local.rule_name
  description        = "Lets rule ${local.rule_name} put events on ${var.replica_event_bus_name} in ${var.replica_region}"
  assume_role_policy = data.aws_iam_policy_document.assume_role[0].json
}

resource "aws_iam_role_policy" "replicate" {
  count = var.create_replication ? 1 : 0

  name   = "put-events-on-replica"
  role   = aws_iam_role.replicate[0].id
  policy = data.aws_iam_policy_document.replicate[0].json
}

data "aws_iam_policy_document" "replicate" {
  count = var.create_replication ? 1 : 0

  statement {
    sid       = "PutEventsOnReplicaBus"
    actions   = ["events:PutEvents"]
    resources = [aws_cloudwatch_event_bus.this[0].arn]
  }
}
