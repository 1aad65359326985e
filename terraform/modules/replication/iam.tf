# The role EventBridge assumes to forward events: only this account's replication rule may assume it, and it
# may only put events on the replica bus.

module "role" {
  source = "../eventbridge_role"

  permissions_boundary_arn = var.permissions_boundary_arn

  create      = var.create_replication
  name        = local.rule_name
  description = "Lets rule ${local.rule_name} put events on ${var.replica_event_bus_name} in ${var.replica_region}"
  account_id  = local.account_id
  rule_arns   = aws_cloudwatch_event_rule.replicate[*].arn
  policy_name = "put-events-on-replica"
  policy_json = one(data.aws_iam_policy_document.replicate[*].json)
}

data "aws_iam_policy_document" "replicate" {
  count = var.create_replication ? 1 : 0

  statement {
    sid       = "PutEventsOnReplicaBus"
    actions   = ["events:PutEvents"]
    resources = [aws_cloudwatch_event_bus.this[0].arn]
  }
}

# The role moved into the shared eventbridge_role module: existing deployments keep their role (no replace).
moved {
  from = aws_iam_role.replicate
  to   = module.role.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.replicate
  to   = module.role.aws_iam_role_policy.this
}
