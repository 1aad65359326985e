# Two roles. The state machine's: publish on this bus, deliver its logs, send traces. EventBridge's (a Step
# Functions target cannot be authorised by a resource policy, unlike Lambda, SNS and SQS): start executions
# of this state machine only, assumable only by the rules that target it.

data "aws_iam_policy_document" "state_machine_assume_role" {
  count = var.create_workflow ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.state_machine_arn]
    }
  }
}

resource "aws_iam_role" "state_machine" {
  count = var.create_workflow ? 1 : 0

  name                 = "${local.state_machine_name}${var.role_name_suffix}"
  description          = "State machine ${local.state_machine_name}: PutEvents on ${var.event_bus_name}, logs, traces"
  assume_role_policy   = data.aws_iam_policy_document.state_machine_assume_role[0].json
  permissions_boundary = var.permissions_boundary_arn
}

resource "aws_iam_role_policy" "state_machine" {
  count = var.create_workflow ? 1 : 0

  name   = "publish-log-trace"
  role   = aws_iam_role.state_machine[0].id
  policy = data.aws_iam_policy_document.state_machine[0].json
}

data "aws_iam_policy_document" "state_machine" {
  count = var.create_workflow ? 1 : 0

  statement {
    sid       = "PublishOnTheBus"
    actions   = ["events:PutEvents"]
    resources = [var.event_bus_arn]
  }

  # Step Functions sets up log delivery with the state machine's own role, through the CloudWatch Logs
  # vended-log APIs; they support no resource-level permissions.
  statement {
    sid = "DeliverExecutionLogs"
    actions = [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ]
    resources = ["*"] # AWS: the log-delivery APIs take no resource ARN, so IAM requires "*".
  }

  statement {
    sid = "SendTraces"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
    ]
    resources = ["*"] # AWS: X-Ray APIs have no resource-level permissions, so IAM requires "*".
  }
}

module "target_role" {
  source = "../eventbridge_role"

  permissions_boundary_arn = var.permissions_boundary_arn

  create      = var.create_workflow
  name        = "${local.state_machine_name}-target${var.role_name_suffix}"
  description = "Lets the rules targeting ${local.state_machine_name} start its executions"
  account_id  = local.account_id
  rule_arns   = var.rule_arns
  policy_name = "start-order-fulfilment"
  policy_json = one(data.aws_iam_policy_document.target[*].json)
}

data "aws_iam_policy_document" "target" {
  count = var.create_workflow ? 1 : 0

  statement {
    sid       = "StartExecutions"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.this[0].arn]
  }
}

# The role moved into the shared eventbridge_role module: existing deployments keep their role (no replace).
moved {
  from = aws_iam_role.target
  to   = module.target_role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.target
  to   = module.target_role.aws_iam_role_policy.this
}
