# What the module computes from a routing table: rule names and states, targets keyed "<rule>/<target id>"
# (two rules may share a target), each target's ARN, role, retries, DLQ and transformer, one Lambda
# permission per (rule, function), the ARNs handed to the topic, queue and DLQ policies; and what it refuses.
# Run: terraform init -backend=false && terraform test (tests/terraform/test_terraform_test.py runs every module).

mock_provider "aws" {}

override_resource {
  target = aws_cloudwatch_event_rule.this["orders"]
  values = { arn = "arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123/shop-dev-abc123-orders" }
}

override_resource {
  target = aws_cloudwatch_event_rule.this["payments"]
  values = { arn = "arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123/shop-dev-abc123-payments" }
}

override_resource {
  target = aws_cloudwatch_event_rule.this["audit"]
  values = { arn = "arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123/shop-dev-abc123-audit" }
}

variables {
  name_prefix           = "shop-dev-abc123"
  event_bus_name        = "shop-dev-abc123"
  dead_letter_queue_arn = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-events-dlq"

  target_arns = {
    processor        = "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-abc123-processor"
    analytics        = "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-abc123-analytics"
    notifications    = "arn:aws:sns:us-east-1:123456789012:shop-dev-abc123-notifications"
    "batch-queue"    = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-batch"
    "order-workflow" = "arn:aws:states:us-east-1:123456789012:stateMachine:shop-dev-abc123-order-fulfilment"
  }
  target_role_arns = {
    "order-workflow" = "arn:aws:iam::123456789012:role/shop-dev-abc123-order-fulfilment-target"
  }
  function_names = {
    processor = "shop-dev-abc123-processor"
    analytics = "shop-dev-abc123-analytics"
  }

  rules = {
    orders = {
      description   = "Every order event"
      event_pattern = "{\"source\":[\"ecommerce.orders\"]}"
      targets = {
        processor = { target = "processor" }
        notify    = { target = "notifications", dead_letter_queue = false }
        flow = {
          target       = "order-workflow"
          retry_policy = { maximum_retry_attempts = 3 }
          input_transformer = {
            input_paths    = { id = "$.detail.orderId" }
            input_template = "{\"order\": <id>}"
          }
        }
      }
    }
    # Two targets on one function: one Lambda permission.
    payments = {
      enabled       = false
      event_pattern = "{\"source\":[\"ecommerce.payments\"]}"
      targets = {
        processor     = { target = "processor" }
        "processor-2" = { target = "processor", retry_policy = { maximum_event_age_in_seconds = 60 } }
        analytics     = { target = "analytics" }
      }
    }
    # PutRule's state, when the table gives one, wins over enabled.
    audit = {
      state         = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
      event_pattern = "{\"source\":[{\"prefix\":\"ecommerce.\"}]}"
      targets = {
        all = { target = "analytics", dead_letter_queue = false }
      }
    }
  }
}

run "rules_and_targets_are_named_keyed_and_wired_from_the_table" {
  command = plan

  assert {
    condition = {
      for key, rule in aws_cloudwatch_event_rule.this : key => [rule.name, rule.event_bus_name, rule.state, rule.description]
      } == {
      orders   = ["shop-dev-abc123-orders", "shop-dev-abc123", "ENABLED", "Every order event"]
      payments = ["shop-dev-abc123-payments", "shop-dev-abc123", "DISABLED", ""]
      audit    = ["shop-dev-abc123-audit", "shop-dev-abc123", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", ""]
    }
    error_message = "Each rule is <name_prefix>-<key> on the custom bus, ENABLED unless enabled = false or a state says otherwise."
  }

  assert {
    condition     = aws_cloudwatch_event_rule.this["orders"].event_pattern == "{\"source\":[\"ecommerce.orders\"]}"
    error_message = "The rule's pattern is the table's."
  }

  assert {
    condition = {
      for key, target in aws_cloudwatch_event_target.this : key => [target.rule, target.target_id, target.arn, target.event_bus_name]
      } == {
      "orders/processor"     = ["shop-dev-abc123-orders", "processor", var.target_arns.processor, "shop-dev-abc123"]
      "orders/notify"        = ["shop-dev-abc123-orders", "notify", var.target_arns.notifications, "shop-dev-abc123"]
      "orders/flow"          = ["shop-dev-abc123-orders", "flow", var.target_arns["order-workflow"], "shop-dev-abc123"]
      "payments/processor"   = ["shop-dev-abc123-payments", "processor", var.target_arns.processor, "shop-dev-abc123"]
      "payments/processor-2" = ["shop-dev-abc123-payments", "processor-2", var.target_arns.processor, "shop-dev-abc123"]
      "payments/analytics"   = ["shop-dev-abc123-payments", "analytics", var.target_arns.analytics, "shop-dev-abc123"]
      "audit/all"            = ["shop-dev-abc123-audit", "all", var.target_arns.analytics, "shop-dev-abc123"]
    }
    error_message = "Targets are keyed <rule>/<target id>, on their rule, delivering to their logical target's ARN."
  }

  assert {
    condition = {
      for key, target in aws_cloudwatch_event_target.this : key => target.role_arn if target.role_arn != null
      } == {
      "orders/flow" = "arn:aws:iam::123456789012:role/shop-dev-abc123-order-fulfilment-target"
    }
    error_message = "Only the targets listed in target_role_arns (the workflow) get a role."
  }

  assert {
    condition = {
      for key, target in aws_cloudwatch_event_target.this : key => [
        target.retry_policy[0].maximum_retry_attempts, target.retry_policy[0].maximum_event_age_in_seconds
      ]
      } == {
      "orders/processor"     = [185, 86400]
      "orders/notify"        = [185, 86400]
      "orders/flow"          = [3, 86400]
      "payments/processor"   = [185, 86400]
      "payments/processor-2" = [185, 60]
      "payments/analytics"   = [185, 86400]
      "audit/all"            = [185, 86400]
    }
    error_message = "Each target's retry policy is its own, EventBridge's maximum by default."
  }

  assert {
    condition = sort([
      for key, target in aws_cloudwatch_event_target.this : key
      if length(target.dead_letter_config) == 1 && try(target.dead_letter_config[0].arn, "") == var.dead_letter_queue_arn
    ]) == tolist(["orders/flow", "orders/processor", "payments/analytics", "payments/processor", "payments/processor-2"])
    error_message = "Every target dead-letters into the shared DLQ unless dead_letter_queue = false."
  }

  assert {
    condition = (
      aws_cloudwatch_event_target.this["orders/flow"].input_transformer[0].input_paths == tomap({ id = "$.detail.orderId" })
      && aws_cloudwatch_event_target.this["orders/flow"].input_transformer[0].input_template == "{\"order\": <id>}"
      && length(aws_cloudwatch_event_target.this["orders/processor"].input_transformer) == 0
    )
    error_message = "Only a target with an input_transformer gets one, as given."
  }
}

run "one_lambda_permission_per_rule_and_function_scoped_to_the_rule" {
  command = apply

  assert {
    condition = {
      for key, permission in aws_lambda_permission.this : key => [
        permission.statement_id, permission.function_name, permission.principal, permission.action, permission.source_arn
      ]
      } == {
      "orders/processor"   = ["AllowEventBridgeRule-orders", "shop-dev-abc123-processor", "events.amazonaws.com", "lambda:InvokeFunction", aws_cloudwatch_event_rule.this["orders"].arn]
      "payments/processor" = ["AllowEventBridgeRule-payments", "shop-dev-abc123-processor", "events.amazonaws.com", "lambda:InvokeFunction", aws_cloudwatch_event_rule.this["payments"].arn]
      "payments/analytics" = ["AllowEventBridgeRule-payments", "shop-dev-abc123-analytics", "events.amazonaws.com", "lambda:InvokeFunction", aws_cloudwatch_event_rule.this["payments"].arn]
      "audit/analytics"    = ["AllowEventBridgeRule-audit", "shop-dev-abc123-analytics", "events.amazonaws.com", "lambda:InvokeFunction", aws_cloudwatch_event_rule.this["audit"].arn]
    }
    error_message = "One permission per distinct (rule, function), for the function targets only, from that rule's ARN."
  }

  assert {
    condition = output.rule_names == {
      orders   = "shop-dev-abc123-orders"
      payments = "shop-dev-abc123-payments"
      audit    = "shop-dev-abc123-audit"
    }
    error_message = "rule_names maps each rule key to its AWS name."
  }

  assert {
    condition     = output.rule_arns == { for key, rule in aws_cloudwatch_event_rule.this : key => rule.arn }
    error_message = "rule_arns maps each rule key to its ARN."
  }

  assert {
    condition = output.rule_arns_by_target == {
      processor        = [aws_cloudwatch_event_rule.this["orders"].arn, aws_cloudwatch_event_rule.this["payments"].arn]
      analytics        = [aws_cloudwatch_event_rule.this["audit"].arn, aws_cloudwatch_event_rule.this["payments"].arn]
      notifications    = [aws_cloudwatch_event_rule.this["orders"].arn]
      "batch-queue"    = []
      "order-workflow" = [aws_cloudwatch_event_rule.this["orders"].arn]
    }
    error_message = "rule_arns_by_target: each logical target's rules, once each, and [] for a target no rule uses."
  }

  assert {
    condition = sort(output.dead_letter_rule_arns) == sort([
      aws_cloudwatch_event_rule.this["orders"].arn, aws_cloudwatch_event_rule.this["payments"].arn
    ])
    error_message = "dead_letter_rule_arns: the rules with a target dead-lettering into the DLQ (not audit)."
  }
}

run "rule_keys_a_statement_id_cannot_hold_are_refused" {
  command = plan

  variables {
    rules = {
      "order.events" = {
        event_pattern = "{}"
        targets       = { processor = { target = "processor" } }
      }
    }
  }

  expect_failures = [var.rules]
}

run "a_state_putrule_does_not_know_is_refused" {
  command = plan

  variables {
    rules = {
      paused = { state = "PAUSED", event_pattern = "{}", targets = { processor = { target = "processor" } } }
    }
  }

  expect_failures = [var.rules]
}

run "a_rule_without_targets_is_refused" {
  command = plan

  variables {
    rules = {
      empty = { event_pattern = "{}", targets = {} }
    }
  }

  expect_failures = [var.rules]
}

run "more_than_185_retries_are_refused" {
  command = plan

  variables {
    rules = {
      orders = {
        event_pattern = "{}"
        targets       = { processor = { target = "processor", retry_policy = { maximum_retry_attempts = 186 } } }
      }
    }
  }

  expect_failures = [var.rules]
}

run "an_event_age_under_a_minute_is_refused" {
  command = plan

  variables {
    rules = {
      orders = {
        event_pattern = "{}"
        targets       = { processor = { target = "processor", retry_policy = { maximum_event_age_in_seconds = 59 } } }
      }
    }
  }

  expect_failures = [var.rules]
}

run "an_unknown_logical_target_is_refused" {
  command = plan

  variables {
    rules = {
      orders = {
        event_pattern = "{}"
        targets       = { inbox = { target = "inbox" } }
      }
    }
  }

  expect_failures = [aws_cloudwatch_event_target.this]
}

run "a_rule_name_over_eventbridges_64_characters_is_refused" {
  command = plan

  variables {
    rules = {
      a-rule-key-long-enough-to-push-the-aws-name-over-sixty-four = {
        event_pattern = "{}"
        targets       = { processor = { target = "processor" } }
      }
    }
  }

  expect_failures = [aws_cloudwatch_event_rule.this]
}
