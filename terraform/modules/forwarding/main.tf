# Default bus -> custom bus: AWS services (EC2, Health, ...) publish only on the account's default bus, so a
# rule there forwards the selected service events to the custom bus, where the routing table routes them
# like any other event. The forwarded events keep their source (aws.ec2, ...), so the routing rules match
# them by it. Nothing here exists unless create_forwarding is true.

data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  rule_name  = "${var.name_prefix}-forward-default"

  # Sources, narrowed to the detail types when any are listed (an empty list forwards every detail type).
  event_pattern = jsonencode(merge(
    { source = var.sources },
    length(var.detail_types) == 0 ? {} : { detail-type = var.detail_types },
  ))
}

resource "aws_cloudwatch_event_rule" "this" {
  count = var.create_forwarding ? 1 : 0

  name           = local.rule_name
  description    = "AWS service events (${join(", ", var.sources)}) from the default bus to ${var.event_bus_name}"
  event_bus_name = "default"
  event_pattern  = local.event_pattern
  state          = "ENABLED"

  lifecycle {
    precondition {
      condition     = length(local.rule_name) <= 64
      error_message = "forwarding: rule name ${local.rule_name} is longer than EventBridge's 64 characters."
    }
  }
}

# A bus-to-bus target needs a role (EventBridge calls PutEvents on the custom bus with it). Same account:
# the role's identity policy is enough, the custom bus's resource policy (if any) need not name it.
# Events the custom bus does not take after the retries go to the events DLQ (SSE-SQS, so no key grant).
resource "aws_cloudwatch_event_target" "this" {
  count = var.create_forwarding ? 1 : 0

  event_bus_name = "default"
  rule           = aws_cloudwatch_event_rule.this[0].name
  target_id      = "custom-bus"
  arn            = var.event_bus_arn
  role_arn       = module.role.arn

  retry_policy {
    maximum_retry_attempts       = var.retry_policy.maximum_retry_attempts
    maximum_event_age_in_seconds = var.retry_policy.maximum_event_age_in_seconds
  }

  dead_letter_config {
    arn = var.dead_letter_queue_arn
  }
}
