# What the module computes: the EXPRESS order-fulfilment state machine (its definition as JSON, logging
# without execution data, tracing), its log group, the state machine's role and the EventBridge target role
# with their policies; nothing when create_workflow is false; and what it refuses.
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

override_data {
  target = data.aws_partition.current
  values = { partition = "aws", dns_suffix = "amazonaws.com" }
}

override_resource {
  target = aws_sfn_state_machine.this
  values = { arn = "arn:aws:states:us-east-1:123456789012:stateMachine:shop-dev-abc123-order-fulfilment" }
}

override_resource {
  target = aws_cloudwatch_log_group.this
  values = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/shop-dev-abc123-order-fulfilment" }
}

override_resource {
  target = aws_iam_role.state_machine
  values = {
    arn = "arn:aws:iam::123456789012:role/shop-dev-abc123-order-fulfilment"
    id  = "shop-dev-abc123-order-fulfilment"
  }
}

override_resource {
  target = aws_iam_role_policy.state_machine
}

override_resource {
  target = module.target_role.aws_iam_role.this
  values = {
    arn = "arn:aws:iam::123456789012:role/shop-dev-abc123-order-fulfilment-target"
    id  = "shop-dev-abc123-order-fulfilment-target"
  }
}

override_resource {
  target = module.target_role.aws_iam_role_policy.this
}

variables {
  create_workflow      = true
  name_prefix          = "shop-dev-abc123"
  event_bus_name       = "shop-dev-abc123"
  event_bus_arn        = "arn:aws:events:us-east-1:123456789012:event-bus/shop-dev-abc123"
  high_value_threshold = 1000
  kms_key_arn          = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  log_retention_days   = 14
  rule_arns            = ["arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123/shop-dev-abc123-order-fulfilment"]
  region               = "us-east-1"
}

run "off_creates_nothing_and_the_outputs_are_empty" {
  command = apply

  variables {
    create_workflow = false
  }

  assert {
    condition = (
      length(aws_sfn_state_machine.this) == 0 && length(aws_cloudwatch_log_group.this) == 0
      && length(aws_iam_role.state_machine) == 0 && length(aws_iam_role_policy.state_machine) == 0
      && module.target_role.arn == null
    )
    error_message = "create_workflow = false creates no state machine, log group or role."
  }

  assert {
    condition     = length(output.state_machine_arns) == 0 && length(output.target_role_arns) == 0 && output.log_group_name == null
    error_message = "Off: empty maps and a null log group name."
  }
}

run "an_express_state_machine_logging_every_step_without_execution_data" {
  command = plan

  assert {
    condition     = aws_sfn_state_machine.this[0].name == "shop-dev-abc123-order-fulfilment" && aws_sfn_state_machine.this[0].type == "EXPRESS"
    error_message = "One EXPRESS state machine, <name_prefix>-order-fulfilment."
  }

  assert {
    # The order event carries customerEmail: every step is logged, never its input or output.
    condition = (
      aws_sfn_state_machine.this[0].logging_configuration[0].level == "ALL"
      && aws_sfn_state_machine.this[0].logging_configuration[0].include_execution_data == false
    )
    error_message = "Logging: level ALL, no execution data."
  }

  assert {
    condition     = aws_sfn_state_machine.this[0].tracing_configuration[0].enabled
    error_message = "Tracing is on."
  }

  assert {
    condition = (
      aws_cloudwatch_log_group.this[0].name == "/aws/vendedlogs/states/shop-dev-abc123-order-fulfilment"
      && aws_cloudwatch_log_group.this[0].retention_in_days == 14
      && aws_cloudwatch_log_group.this[0].kms_key_id == var.kms_key_arn
    )
    error_message = "The log group is under /aws/vendedlogs/states/, kept log_retention_days, encrypted with the key."
  }
}

# Both regions of a failover with replication run the workflow for each order: the outcome carries what
# makes the two executions' events one event to consumers, a deterministic idempotencyKey
# (<detail-type>#<orderId>) and the order event's own time as detail.timestamp (in the detail: the
# putEvents integration does not document PutEvents' Time, so the entry has none).
run "the_definition_flags_orders_above_the_threshold_and_accepts_the_others" {
  command = plan

  assert {
    condition = jsondecode(aws_sfn_state_machine.this[0].definition) == {
      Comment = "Order fulfilment: flag orders above 1000, accept the others."
      StartAt = "CheckTotal"
      States = {
        CheckTotal = {
          Type = "Choice"
          Choices = [
            { Variable = "$.detail.totalAmount", IsPresent = false, Next = "InvalidOrder" },
            { Variable = "$.detail.totalAmount", IsNumeric = false, Next = "InvalidOrder" },
            { Variable = "$.detail.totalAmount", NumericGreaterThan = 1000, Next = "FlagOrder" },
          ]
          Default = "AcceptOrder"
        }
        FlagOrder = {
          Type     = "Task"
          Resource = "arn:aws:states:::events:putEvents"
          Parameters = {
            Entries = [{
              EventBusName = "shop-dev-abc123"
              Source       = "ecommerce.orders"
              DetailType   = "Order Flagged"
              Detail = {
                "orderId.$"        = "$.detail.orderId"
                "customerId.$"     = "$.detail.customerId"
                "totalAmount.$"    = "$.detail.totalAmount"
                "sourceEventId.$"  = "$.id"
                "timestamp.$"      = "$.time"
                threshold          = 1000
                "idempotencyKey.$" = "States.Format('Order Flagged#{}', $.detail.orderId)"
              }
            }]
          }
          ResultSelector = { detailType = "Order Flagged", "eventId.$" = "$.Entries[0].EventId" }
          Retry          = [{ ErrorEquals = ["States.ALL"], IntervalSeconds = 1, MaxAttempts = 3, BackoffRate = 2 }]
          Next           = "Done"
        }
        AcceptOrder = {
          Type     = "Task"
          Resource = "arn:aws:states:::events:putEvents"
          Parameters = {
            Entries = [{
              EventBusName = "shop-dev-abc123"
              Source       = "ecommerce.orders"
              DetailType   = "Order Accepted"
              Detail = {
                "orderId.$"        = "$.detail.orderId"
                "customerId.$"     = "$.detail.customerId"
                "totalAmount.$"    = "$.detail.totalAmount"
                "sourceEventId.$"  = "$.id"
                "timestamp.$"      = "$.time"
                threshold          = 1000
                "idempotencyKey.$" = "States.Format('Order Accepted#{}', $.detail.orderId)"
              }
            }]
          }
          ResultSelector = { detailType = "Order Accepted", "eventId.$" = "$.Entries[0].EventId" }
          Retry          = [{ ErrorEquals = ["States.ALL"], IntervalSeconds = 1, MaxAttempts = 3, BackoffRate = 2 }]
          Next           = "Done"
        }
        InvalidOrder = {
          Type  = "Fail"
          Error = "Order.InvalidTotal"
          Cause = "detail.totalAmount is missing or not a number"
        }
        Done = { Type = "Succeed" }
      }
    }
    error_message = "Definition: ${aws_sfn_state_machine.this[0].definition}"
  }
}

run "the_roles_may_do_only_what_the_workflow_needs" {
  command   = apply
  providers = { aws = aws.render }

  assert {
    condition = (
      aws_sfn_state_machine.this[0].role_arn == "arn:aws:iam::123456789012:role/shop-dev-abc123-order-fulfilment"
      && aws_iam_role.state_machine[0].name == "shop-dev-abc123-order-fulfilment"
      && aws_sfn_state_machine.this[0].logging_configuration[0].log_destination == "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/shop-dev-abc123-order-fulfilment:*"
    )
    error_message = "The state machine runs with its own role and logs to every stream of its log group."
  }

  assert {
    condition = jsondecode(aws_iam_role.state_machine[0].assume_role_policy).Statement == [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "states.amazonaws.com" }
      Condition = {
        StringEquals = { "aws:SourceAccount" = "123456789012" }
        ArnLike      = { "aws:SourceArn" = "arn:aws:states:us-east-1:123456789012:stateMachine:shop-dev-abc123-order-fulfilment" }
      }
    }]
    error_message = "Only Step Functions, for this state machine of this account: ${aws_iam_role.state_machine[0].assume_role_policy}"
  }

  assert {
    # Actions compared sorted: the provider renders them in an order of its own.
    condition = [
      for statement in jsondecode(aws_iam_role_policy.state_machine[0].policy).Statement :
      merge(statement, { Action = sort(flatten([statement.Action])) })
      ] == [
      {
        Sid      = "PublishOnTheBus"
        Effect   = "Allow"
        Action   = sort(["events:PutEvents"])
        Resource = "arn:aws:events:us-east-1:123456789012:event-bus/shop-dev-abc123"
      },
      {
        Sid    = "DeliverExecutionLogs"
        Effect = "Allow"
        Action = sort([
          "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
          "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
        ])
        Resource = "*"
      },
      {
        Sid      = "SendTraces"
        Effect   = "Allow"
        Action   = sort(["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"])
        Resource = "*"
      },
    ]
    error_message = "State machine policy: ${aws_iam_role_policy.state_machine[0].policy}"
  }

  assert {
    condition = jsondecode(data.aws_iam_policy_document.target[0].json).Statement == [{
      Sid      = "StartExecutions"
      Effect   = "Allow"
      Action   = "states:StartExecution"
      Resource = "arn:aws:states:us-east-1:123456789012:stateMachine:shop-dev-abc123-order-fulfilment"
    }]
    error_message = "Target role policy: ${data.aws_iam_policy_document.target[0].json}"
  }

  assert {
    condition = jsondecode(module.target_role.assume_role_policy).Statement[0].Condition == {
      StringEquals = { "aws:SourceAccount" = "123456789012" }
      ArnEquals    = { "aws:SourceArn" = "arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123/shop-dev-abc123-order-fulfilment" }
    }
    error_message = "Only the rules that target the workflow may assume the target role: ${module.target_role.assume_role_policy}"
  }

  assert {
    condition = (
      output.state_machine_arns == { "order-workflow" = "arn:aws:states:us-east-1:123456789012:stateMachine:shop-dev-abc123-order-fulfilment" }
      && output.target_role_arns == tomap({ "order-workflow" = "arn:aws:iam::123456789012:role/shop-dev-abc123-order-fulfilment-target" })
      && output.log_group_name == "/aws/vendedlogs/states/shop-dev-abc123-order-fulfilment"
    )
    error_message = "The outputs key the state machine and its target role by the logical target order-workflow."
  }
}

# The failover's secondary: IAM names are global, so both roles take role_name_suffix; the state machine
# and its log group are regional and keep their names.
run "the_secondary_suffixes_the_role_names_only" {
  command = plan

  variables {
    region           = "us-west-2"
    role_name_suffix = "-dr"
    event_bus_arn    = "arn:aws:events:us-west-2:123456789012:event-bus/shop-dev-abc123"
    rule_arns        = ["arn:aws:events:us-west-2:123456789012:rule/shop-dev-abc123/shop-dev-abc123-order-fulfilment"]
  }

  assert {
    condition = (
      aws_iam_role.state_machine[0].name == "shop-dev-abc123-order-fulfilment-dr"
      && module.target_role.name == "shop-dev-abc123-order-fulfilment-target-dr"
    )
    error_message = "The state machine's role and the target role end in role_name_suffix."
  }

  assert {
    condition = (
      aws_sfn_state_machine.this[0].name == "shop-dev-abc123-order-fulfilment"
      && aws_cloudwatch_log_group.this[0].name == "/aws/vendedlogs/states/shop-dev-abc123-order-fulfilment"
    )
    error_message = "The state machine and its log group keep their names."
  }
}

run "a_threshold_of_zero_and_arns_that_are_not_rules_are_refused" {
  command = plan

  variables {
    high_value_threshold = 0
    rule_arns            = ["arn:aws:events:us-east-1:123456789012:event-bus/shop-dev-abc123"]
    role_name_suffix     = "-disaster-recovery"
  }

  expect_failures = [var.high_value_threshold, var.rule_arns, var.role_name_suffix]
}
