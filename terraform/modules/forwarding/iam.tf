# The role EventBridge assumes to forward events: only this account's forwarding rule may assume it, and it
# may only put events on the custom bus.

data "aws_iam_policy_document" "assume_role" {
  count = var.create_forwarding ? 1 : 0

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
      values   = [aws_cloudwatch_event_rule.this[0].arn]
    }
  }
}

resource "aws_iam_role" "this" {
  count = var.create_forwarding ? 1 : 0

  name               = local.rule_name
  description        = "Lets rule ${local.rule_name} on the default bus put events on ${var.event_bus_name}"
  assume_role_policy = data.aws_iam_policy_document.assume_role[0].json
}

resource "aws_iam_role_policy" "this" {
  count = var.create_forwarding ? 1 : 0

  name   = "put-events-on-custom-bus"
  role   = aws_iam_role.this[0].id
  policy = data.aws_iam_policy_document.put_events[0].json
}

data "aws_iam_policy_document" "put_events" {
  count = var.create_forwarding ? 1 : 0

  statement {
    sid       = "PutEventsOnCustomBus"
    actions   = ["events:PutEvents"]
    resources = [var.event_bus_arn]
  }
}
