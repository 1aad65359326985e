# What the module computes from alarm_catalogue.json: one alarm per family and member of its collection,
# named <name_prefix>-<family name>, on the member's metric and dimensions, with the [alarms] thresholds;
# the optional collections (forwarding rule, workflow, stream, batch consumer) empty when their input is;
# and what it refuses. The local target's side of the same catalogue is tests/robustness/test_alarms_one_catalogue.py.
# Run: terraform init -backend=false && terraform test (tests/terraform/test_terraform_test.py runs every module).

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

override_data {
  target = data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

override_data {
  target = data.aws_partition.current
  values = { partition = "aws" }
}

override_resource {
  target = aws_sns_topic.this
  values = { arn = "arn:aws:sns:us-east-1:123456789012:shop-dev-abc123-operations" }
}

variables {
  name_prefix    = "shop-dev-abc123"
  topic_name     = "shop-dev-abc123-operations"
  kms_key_arn    = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  region         = "us-east-1"
  event_bus_name = "shop-dev-abc123-bus"
  alarms = {
    period_seconds     = 300
    evaluation_periods = 2
    lambda_errors      = 3
    lambda_throttles   = 4
    failed_invocations = 5
    dlq_messages       = 6
  }
  rule_names = {
    orders = "shop-dev-abc123-orders"
    users  = "shop-dev-abc123-users"
  }
  function_names = {
    processor       = "shop-dev-abc123-processor"
    batch-processor = "shop-dev-abc123-batch-processor"
  }
  dead_letter_queue_names = {
    events    = "shop-dev-abc123-events-dlq"
    processor = "shop-dev-abc123-processor-dlq"
  }
  batch_queue_name        = "shop-dev-abc123-batch"
  state_machine_arns      = { order-workflow = "arn:aws:states:us-east-1:123456789012:stateMachine:shop-dev-abc123-order-fulfilment" }
  firehose_stream_names   = { s3-archive = "shop-dev-abc123-events-archive" }
  forwarding_rule_name    = "shop-dev-abc123-forward-default"
  batch_consumer_function = "shop-dev-abc123-batch-processor"
}

run "every_family_alarms_every_member_of_its_collection" {
  command = apply

  assert {
    condition = toset(output.alarm_names) == toset([for suffix in [
      "rule-orders-failed-invocations", "rule-orders-dlq-send-failures",
      "rule-users-failed-invocations", "rule-users-dlq-send-failures",
      "rule-forwarding-failed-invocations", "rule-forwarding-dlq-send-failures",
      "dlq-events-messages", "dlq-processor-messages",
      "lambda-processor-errors", "lambda-processor-throttles", "lambda-processor-dead-letter-errors",
      "lambda-batch-processor-errors", "lambda-batch-processor-throttles",
      "batch-queue-oldest-message-age", "batch-consumer-failed-messages",
      "sfn-order-workflow-executions-failed", "sfn-order-workflow-executions-timed-out",
      "firehose-s3-archive-delivery-failures",
    ] : "shop-dev-abc123-${suffix}"])
    error_message = "One alarm per family and member; the batch consumer (invoked synchronously) has no dead-letter-errors alarm."
  }

  assert {
    condition = alltrue([
      for alarm in aws_cloudwatch_metric_alarm.this : alarm.treat_missing_data == "notBreaching"
      && alarm.alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:shop-dev-abc123-operations"])
      && alarm.ok_actions == toset(["arn:aws:sns:us-east-1:123456789012:shop-dev-abc123-operations"])
      && alarm.evaluation_periods == 2
    ])
    error_message = "Every alarm: missing data is healthy, ALARM and OK notify the operations topic, evaluation_periods from var.alarms."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["lambda-processor-errors"].threshold == 3
      && aws_cloudwatch_metric_alarm.this["lambda-processor-throttles"].threshold == 4
      && aws_cloudwatch_metric_alarm.this["rule-orders-failed-invocations"].threshold == 5
      && aws_cloudwatch_metric_alarm.this["rule-forwarding-failed-invocations"].threshold == 5
      && aws_cloudwatch_metric_alarm.this["dlq-events-messages"].threshold == 6
      && aws_cloudwatch_metric_alarm.this["rule-orders-dlq-send-failures"].threshold == 1
      && aws_cloudwatch_metric_alarm.this["batch-queue-oldest-message-age"].threshold == 86400
    )
    error_message = "threshold_setting families take var.alarms; lost-event alarms fire at 1; the batch queue's age at one day."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["rule-orders-failed-invocations"].dimensions == tomap({ EventBusName = "shop-dev-abc123-bus", RuleName = "shop-dev-abc123-orders" })
      && aws_cloudwatch_metric_alarm.this["rule-forwarding-dlq-send-failures"].dimensions == tomap({ RuleName = "shop-dev-abc123-forward-default" })
      && aws_cloudwatch_metric_alarm.this["dlq-events-messages"].dimensions == tomap({ QueueName = "shop-dev-abc123-events-dlq" })
      && aws_cloudwatch_metric_alarm.this["sfn-order-workflow-executions-failed"].dimensions == tomap({ StateMachineArn = "arn:aws:states:us-east-1:123456789012:stateMachine:shop-dev-abc123-order-fulfilment" })
      && aws_cloudwatch_metric_alarm.this["firehose-s3-archive-delivery-failures"].dimensions == tomap({ DeliveryStreamName = "shop-dev-abc123-events-archive" })
    )
    error_message = "Each collection's dimensions; a default-bus rule reports under RuleName alone."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["firehose-s3-archive-delivery-failures"].comparison_operator == "LessThanThreshold"
      && aws_cloudwatch_metric_alarm.this["firehose-s3-archive-delivery-failures"].statistic == "Minimum"
      && aws_cloudwatch_metric_alarm.this["lambda-processor-dead-letter-errors"].metric_name == "DeadLetterErrors"
      && aws_cloudwatch_metric_alarm.this["lambda-processor-dead-letter-errors"].namespace == "AWS/Lambda"
      && aws_cloudwatch_metric_alarm.this["lambda-processor-dead-letter-errors"].period == 300
    )
    error_message = "A plain metric alarm takes the family's namespace, metric, statistic and comparison, and the period of var.alarms."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["batch-queue-oldest-message-age"].alarm_description == "The oldest message of batch queue shop-dev-abc123-batch is older than 86400 seconds: its consumer is not keeping up, and messages expire after the queue's retention."
      && aws_cloudwatch_metric_alarm.this["rule-users-failed-invocations"].alarm_description == "Rule shop-dev-abc123-users failed to deliver events to a target after its retries."
    )
    error_message = "Descriptions fill {name} (the member's AWS name) and {threshold}."
  }
}

run "the_batch_consumer_alarm_is_metric_math_over_its_own_metrics" {
  command = apply

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["batch-consumer-failed-messages"].metric_name == null
      && aws_cloudwatch_metric_alarm.this["batch-consumer-failed-messages"].namespace == null
      && length(aws_cloudwatch_metric_alarm.this["batch-consumer-failed-messages"].metric_query) == 4
    )
    error_message = "The metric-math alarm has no metric of its own: one expression and its three metrics."
  }

  assert {
    condition = (
      one([for q in aws_cloudwatch_metric_alarm.this["batch-consumer-failed-messages"].metric_query : q.expression if q.return_data == true])
      == "FILL(malformed, 0) + FILL(unstorable, 0) + FILL(writes, 0)"
    )
    error_message = "The expression sums the three failure metrics, missing data as 0."
  }

  assert {
    condition = toset(flatten([
      for q in aws_cloudwatch_metric_alarm.this["batch-consumer-failed-messages"].metric_query : [
        for m in q.metric : "${m.namespace}/${m.metric_name}/${m.stat}/${m.period}/${m.dimensions.service}"
      ]
      ])) == toset([
      "EcommerceEvents/MalformedMessages/Sum/300/batch-processor",
      "EcommerceEvents/UnstorableEvents/Sum/300/batch-processor",
      "EcommerceEvents/EventStoreWriteErrors/Sum/300/batch-processor",
    ])
    error_message = "Each metric: the processors' namespace, Sum over the alarm period, dimension service = batch-processor."
  }
}

run "optional_collections_create_no_alarms_when_their_input_is_empty" {
  command = apply

  variables {
    state_machine_arns      = {}
    firehose_stream_names   = {}
    forwarding_rule_name    = null
    batch_consumer_function = null
  }

  assert {
    condition = length([
      for name in output.alarm_names : name
      if can(regex("-(sfn|firehose|rule-forwarding|batch-consumer)-", name))
    ]) == 0
    error_message = "No workflow, stream, forwarding rule or batch consumer: none of their alarms."
  }

  assert {
    # Without a batch consumer every function is invoked asynchronously, so each gets the DLQ-write alarm.
    condition     = contains(output.alarm_names, "shop-dev-abc123-lambda-batch-processor-dead-letter-errors")
    error_message = "Only the batch consumer goes without a dead-letter-errors alarm."
  }
}

run "refuses_a_period_cloudwatch_does_not_offer" {
  command = plan

  variables {
    alarms = {
      period_seconds     = 120
      evaluation_periods = 1
      lambda_errors      = 1
      lambda_throttles   = 1
      failed_invocations = 1
      dlq_messages       = 1
    }
  }

  expect_failures = [var.alarms]
}
