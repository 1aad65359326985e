# What the module computes: a rule on the default bus matching the chosen AWS sources (and detail types), a
# target delivering to the custom bus with a role that may only PutEvents there, the DLQ and retries;
# nothing when create_forwarding is false; and what it refuses.
# Run: terraform init -backend=false && terraform test (tests/terraform/test_terraform_test.py runs every module).

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

# The real provider renders the aws_iam_policy_document data sources (a mock invents their JSON). Every
# resource is overridden, so an apply with it creates nothing and calls no AWS API.
provider "aws" {
  alias                       = "render"
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  max_retries                 = 1
}

override_data {
  target = data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

override_resource {
  target = aws_cloudwatch_event_rule.this
  values = { arn = "arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123-forward-default" }
}

override_resource {
  target = aws_cloudwatch_event_target.this
}

override_resource {
  target = module.role.aws_iam_role.this
  values = {
    arn = "arn:aws:iam::123456789012:role/shop-dev-abc123-forward-default"
    id  = "shop-dev-abc123-forward-default"
  }
}

override_resource {
  target = module.role.aws_iam_role_policy.this
}

variables {
  name_prefix           = "shop-dev-abc123"
  event_bus_name        = "shop-dev-abc123"
  event_bus_arn         = "arn:aws:events:us-east-1:123456789012:event-bus/shop-dev-abc123"
  dead_letter_queue_arn = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-events-dlq"
  sources               = ["aws.ec2", "aws.health"]
}

run "off_creates_nothing_and_the_outputs_say_so" {
  command = apply

  variables {
    create_forwarding = false
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.this) == 0 && length(aws_cloudwatch_event_target.this) == 0
    error_message = "create_forwarding = false creates no rule and no target."
  }

  assert {
    condition     = length(data.aws_iam_policy_document.put_events) == 0
    error_message = "create_forwarding = false renders no role policy."
  }

  assert {
    condition     = output.rule_arn == null && output.rule_name == null && output.role_arn == null && output.rule_arns == []
    error_message = "Off: null rule_arn, rule_name and role_arn, empty rule_arns."
  }
}

run "the_rule_on_the_default_bus_forwards_the_sources_to_the_custom_bus" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_event_rule.this[0].name == "shop-dev-abc123-forward-default"
      && aws_cloudwatch_event_rule.this[0].event_bus_name == "default"
      && aws_cloudwatch_event_rule.this[0].state == "ENABLED"
    )
    error_message = "One enabled rule <name_prefix>-forward-default on the default bus."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.this[0].event_pattern) == { source = ["aws.ec2", "aws.health"] }
    error_message = "Without detail_types the pattern is the sources alone: ${aws_cloudwatch_event_rule.this[0].event_pattern}"
  }

  assert {
    condition = (
      aws_cloudwatch_event_target.this[0].event_bus_name == "default"
      && aws_cloudwatch_event_target.this[0].rule == "shop-dev-abc123-forward-default"
      && aws_cloudwatch_event_target.this[0].target_id == "custom-bus"
      && aws_cloudwatch_event_target.this[0].arn == var.event_bus_arn
    )
    error_message = "The target sits on the default bus's rule and delivers to the custom bus."
  }

  assert {
    condition = (
      aws_cloudwatch_event_target.this[0].dead_letter_config[0].arn == var.dead_letter_queue_arn
      && aws_cloudwatch_event_target.this[0].retry_policy[0].maximum_retry_attempts == 185
      && aws_cloudwatch_event_target.this[0].retry_policy[0].maximum_event_age_in_seconds == 86400
    )
    error_message = "The target dead-letters into the events DLQ and retries at EventBridge's maximum by default."
  }
}

run "detail_types_narrow_the_pattern_and_retries_are_the_callers" {
  command = plan

  variables {
    detail_types = ["EC2 Instance State-change Notification"]
    retry_policy = { maximum_retry_attempts = 10, maximum_event_age_in_seconds = 3600 }
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.this[0].event_pattern) == {
      source        = ["aws.ec2", "aws.health"]
      "detail-type" = ["EC2 Instance State-change Notification"]
    }
    error_message = "detail_types add a detail-type filter: ${aws_cloudwatch_event_rule.this[0].event_pattern}"
  }

  assert {
    condition = (
      aws_cloudwatch_event_target.this[0].retry_policy[0].maximum_retry_attempts == 10
      && aws_cloudwatch_event_target.this[0].retry_policy[0].maximum_event_age_in_seconds == 3600
    )
    error_message = "retry_policy sets the target's retries."
  }
}

run "the_role_may_only_put_events_on_the_custom_bus_and_only_the_rule_may_assume_it" {
  command   = apply
  providers = { aws = aws.render }

  assert {
    condition = jsondecode(data.aws_iam_policy_document.put_events[0].json).Statement == [{
      Sid      = "PutEventsOnCustomBus"
      Effect   = "Allow"
      Action   = "events:PutEvents"
      Resource = "arn:aws:events:us-east-1:123456789012:event-bus/shop-dev-abc123"
    }]
    error_message = "Role policy: ${data.aws_iam_policy_document.put_events[0].json}"
  }

  assert {
    condition = jsondecode(module.role.assume_role_policy).Statement[0].Condition == {
      StringEquals = { "aws:SourceAccount" = "123456789012" }
      ArnEquals    = { "aws:SourceArn" = "arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123-forward-default" }
    }
    error_message = "Only the forwarding rule of this account may assume the role: ${module.role.assume_role_policy}"
  }

  assert {
    condition     = aws_cloudwatch_event_target.this[0].role_arn == "arn:aws:iam::123456789012:role/shop-dev-abc123-forward-default"
    error_message = "The target uses the module's role."
  }

  assert {
    condition = (
      output.rule_arn == "arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123-forward-default"
      && output.rule_name == "shop-dev-abc123-forward-default"
      && output.rule_arns == ["arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123-forward-default"]
      && output.role_arn == "arn:aws:iam::123456789012:role/shop-dev-abc123-forward-default"
    )
    error_message = "The outputs are the rule's name and ARN (also as a list) and the role's ARN."
  }
}

# One bad value per variable: each listed variable must refuse its own, and nothing else may fail.
run "the_default_bus_non_aws_sources_a_bad_prefix_and_too_many_retries_are_refused" {
  command = plan

  variables {
    event_bus_arn = "arn:aws:events:us-east-1:123456789012:event-bus/default"
    sources       = ["ecommerce.orders"]
    name_prefix   = "Shop_Dev"
    retry_policy  = { maximum_retry_attempts = 186 }
  }

  expect_failures = [var.event_bus_arn, var.sources, var.name_prefix, var.retry_policy]
}

run "an_event_age_under_a_minute_is_refused" {
  command = plan

  variables {
    retry_policy = { maximum_event_age_in_seconds = 59 }
  }

  expect_failures = [var.retry_policy]
}
