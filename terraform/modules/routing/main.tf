# The routing table: one rule per entry, one target per (rule, target id) keyed "<rule>/<target id>" so
# two rules can share a target, and one Lambda permission per (rule, function) scoped to that rule's ARN.
# Lambda, SNS and SQS targets need no IAM role: Lambda permissions and the topic and queue policies grant
# EventBridge access. A Step Functions target has no resource policy, so it gets the role of target_role_arns.

locals {
  targets = merge([
    for rule_key, rule in var.rules : {
      for target_id, target in rule.targets : "${rule_key}/${target_id}" => merge(target, {
        rule      = rule_key
        target_id = target_id
      })
    }
  ]...)

  # Distinct (rule, function) pairs: a rule with two targets on one function needs one permission.
  lambda_permissions = {
    for pair in distinct([
      for target in values(local.targets) : { rule = target.rule, function = target.target }
      if contains(keys(var.function_names), target.target)
    ]) : "${pair.rule}/${pair.function}" => pair
  }

  # Rule keys (known at plan time) per destination; outputs turn them into ARNs. De-duplicating keys
  # rather than ARNs keeps list lengths known before the rules exist.
  logical_targets = distinct(concat(keys(var.target_arns), [for target in values(local.targets) : target.target]))
  rules_by_target = {
    for logical in local.logical_targets : logical => distinct([
      for target in values(local.targets) : target.rule if target.target == logical
    ])
  }
  dead_letter_rules = distinct([for target in values(local.targets) : target.rule if target.dead_letter_queue])
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each = var.rules

  name           = "${var.name_prefix}-${each.key}"
  description    = each.value.description
  event_bus_name = var.event_bus_name
  event_pattern  = each.value.event_pattern
  state          = each.value.state != null ? each.value.state : (each.value.enabled ? "ENABLED" : "DISABLED")

  lifecycle {
    precondition {
      condition     = length("${var.name_prefix}-${each.key}") <= 64
      error_message = "Rule ${each.key}: ${var.name_prefix}-${each.key} is longer than EventBridge's 64 characters; shorten the rule name."
    }
  }
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = local.targets

  event_bus_name = var.event_bus_name
  rule           = aws_cloudwatch_event_rule.this[each.value.rule].name
  target_id      = each.value.target_id
  arn            = var.target_arns[each.value.target]
  # Only the targets that need a role (today the order workflow) have one; the others stay null.
  role_arn = lookup(var.target_role_arns, each.value.target, null)

  retry_policy {
    maximum_retry_attempts       = each.value.retry_policy.maximum_retry_attempts
    maximum_event_age_in_seconds = each.value.retry_policy.maximum_event_age_in_seconds
  }

  dynamic "dead_letter_config" {
    for_each = each.value.dead_letter_queue ? [var.dead_letter_queue_arn] : []

    content {
      arn = dead_letter_config.value
    }
  }

  dynamic "input_transformer" {
    for_each = each.value.input_transformer == null ? [] : [each.value.input_transformer]

    content {
      input_paths    = input_transformer.value.input_paths
      input_template = input_transformer.value.input_template
    }
  }

  lifecycle {
    precondition {
      condition     = contains(keys(var.target_arns), each.value.target)
      error_message = "Target ${each.key}: unknown logical target \"${each.value.target}\"; use one of ${join(", ", keys(var.target_arns))}."
    }
  }
}

resource "aws_lambda_permission" "this" {
  for_each = local.lambda_permissions

  statement_id  = "AllowEventBridgeRule-${each.value.rule}"
  action        = "lambda:InvokeFunction"
  function_name = var.function_names[each.value.function]
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this[each.value.rule].arn
}
