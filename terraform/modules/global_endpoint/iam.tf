# The replication role (only with replication): EventBridge assumes it to run the endpoint's replication,
# the managed rules GlobalEndpointManagedRule-* it creates on both buses, whose targets are the other
# region's bus. Its policy is AWS's documented one for global endpoints (the console creates the same),
# narrowed to this bus name and these two regions: PutEvents on the two buses; the managed rules' own
# PutRule/PutTargets/DeleteRule/RemoveTargets; PassRole of itself to EventBridge (the managed rules'
# targets carry this role). No KMS permission: EventBridge encrypts what each bus takes with that bus's key
# through the key policy's events.amazonaws.com statement, not with this role.

data "aws_iam_policy_document" "assume_role" {
  count = var.replication ? 1 : 0

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

    # For rule targets EventBridge names the rule (here a managed rule of either bus); the endpoint's own
    # ARN too, for what EventBridge does on the endpoint's behalf.
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = concat([local.endpoint_arn], local.managed_rule_arns)
    }
  }
}

resource "aws_iam_role" "replication" {
  count = var.replication ? 1 : 0

  name                 = local.role_name
  description          = "Event replication of global endpoint ${var.name}: ${var.event_bus_name} in ${var.primary_region} and ${var.secondary_region}"
  assume_role_policy   = data.aws_iam_policy_document.assume_role[0].json
  permissions_boundary = var.permissions_boundary_arn
}

resource "aws_iam_role_policy" "replication" {
  count = var.replication ? 1 : 0

  name   = "replicate-between-buses"
  role   = aws_iam_role.replication[0].id
  policy = data.aws_iam_policy_document.replication[0].json
}

data "aws_iam_policy_document" "replication" {
  count = var.replication ? 1 : 0

  statement {
    sid       = "PutEventsOnBothBuses"
    actions   = ["events:PutEvents"]
    resources = local.bus_arns
  }

  statement {
    sid       = "ManageTheReplicationRules"
    actions   = ["events:PutRule", "events:PutTargets", "events:DeleteRule", "events:RemoveTargets"]
    resources = local.managed_rule_arns
  }

  statement {
    sid       = "PassItselfToEventBridge"
    actions   = ["iam:PassRole"]
    resources = [local.role_arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["events.amazonaws.com"]
    }
  }
}
