# The role EventBridge assumes to forward events: only this account's forwarding rule may assume it, and it
# may only put events on the custom bus.

module "role" {
  source = "../eventbridge_role"

  permissions_boundary_arn = var.permissions_boundary_arn

  create      = var.create_forwarding
  name        = "${local.rule_name}${var.role_name_suffix}"
  description = "Lets rule ${local.rule_name} on the default bus put events on ${var.event_bus_name}"
  account_id  = local.account_id
  rule_arns   = aws_cloudwatch_event_rule.this[*].arn
  policy_name = "put-events-on-custom-bus"
  policy_json = one(data.aws_iam_policy_document.put_events[*].json)
}

data "aws_iam_policy_document" "put_events" {
  count = var.create_forwarding ? 1 : 0

  statement {
    sid       = "PutEventsOnCustomBus"
    actions   = ["events:PutEvents"]
    resources = [var.event_bus_arn]
  }
}
