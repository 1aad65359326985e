# Every alarm comes from alarm_catalogue.json: one alarm per family and member of the family's collection,
# named <name_prefix>-<family name with {key}>. The local target evaluates the same catalogue
# (tooling/observe/alarm_catalogue.py, tooling/local/alarms.py), so adding an alarm is one entry there.

locals {
  catalogue = jsondecode(file("${path.module}/alarm_catalogue.json")).families

  # What each collection holds: member key -> the AWS name (or ARN) and the dimensions of its metrics.
  # The forwarding rule lives on the account's default bus, whose rules report under RuleName alone (the
  # custom bus's add EventBusName), hence a collection of its own rather than an entry of rule_names.
  collections = {
    rules = {
      for key, name in var.rule_names : key => { name = name, dimensions = { EventBusName = var.event_bus_name, RuleName = name } }
    }
    forwarding_rules = {
      for key, name in local.forwarding_rules : key => { name = name, dimensions = { RuleName = name } }
    }
    functions = {
      for key, name in var.function_names : key => { name = name, dimensions = { FunctionName = name } }
    }
    # Invoked asynchronously (EventBridge, SNS): every function but the batch consumer, which its SQS
    # mapping invokes synchronously, so it has no function DLQ.
    async_functions = {
      for key, name in var.function_names : key => { name = name, dimensions = { FunctionName = name } }
      if name != var.batch_consumer_function
    }
    dead_letter_queues = {
      for key, name in var.dead_letter_queue_names : key => { name = name, dimensions = { QueueName = name } }
    }
    batch_queue = {
      batch-queue = { name = var.batch_queue_name, dimensions = { QueueName = var.batch_queue_name } }
    }
    state_machines = {
      for key, arn in var.state_machine_arns : key => { name = arn, dimensions = { StateMachineArn = arn } }
    }
    firehose_streams = {
      for key, name in var.firehose_stream_names : key => { name = name, dimensions = { DeliveryStreamName = name } }
    }
    # Its Powertools metrics carry the service dimension (the function's logical name).
    batch_consumer = {
      for key, name in local.batch_consumers : key => { name = name, dimensions = { service = key } }
    }
  }

  forwarding_rules = var.forwarding_rule_name == null ? {} : { forwarding = var.forwarding_rule_name }
  batch_consumers  = var.batch_consumer_function == null ? {} : { batch-processor = var.batch_consumer_function }

  # One entry per family and member; a threshold_setting names an [alarms] setting (var.alarms).
  alarm_list = flatten([
    for family in values(local.catalogue) : [
      for key, member in local.collections[family.collection] : {
        name        = replace(family.name, "{key}", key)
        target      = member.name
        key         = key
        description = family.description
        namespace   = family.namespace
        metric      = family.metric
        statistic   = family.statistic
        comparison  = family.comparison
        threshold   = can(family.threshold_setting) ? var.alarms[family.threshold_setting] : family.threshold
        dimensions  = tomap(member.dimensions)
        expression  = try(family.expression, null)
      }
    ]
  ])

  # Alarm name (after the prefix) -> its settings. Two families naming the same alarm fail the plan here
  # ("Duplicate object key") rather than in AWS, where the second would overwrite the first.
  alarms = { for alarm in local.alarm_list : alarm.name => merge(alarm, {
    description = replace(replace(replace(alarm.description, "{key}", alarm.key), "{name}", alarm.target), "{threshold}", tostring(alarm.threshold))
  }) }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  comparison_operator = each.value.comparison
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]

  # A plain metric alarm, or (expression) metric math over the member's metrics.
  namespace   = each.value.expression == null ? each.value.namespace : null
  metric_name = each.value.expression == null ? each.value.metric : null
  dimensions  = each.value.expression == null ? each.value.dimensions : null
  statistic   = each.value.expression == null ? each.value.statistic : null
  period      = each.value.expression == null ? var.alarms.period_seconds : null

  dynamic "metric_query" {
    for_each = each.value.expression == null ? [] : [each.value.expression]

    content {
      id          = metric_query.value.id
      expression  = metric_query.value.formula
      label       = metric_query.value.label
      return_data = true
    }
  }

  dynamic "metric_query" {
    for_each = each.value.expression == null ? {} : each.value.expression.metrics

    content {
      id = metric_query.key

      metric {
        namespace   = each.value.namespace
        metric_name = metric_query.value
        dimensions  = each.value.dimensions
        stat        = each.value.statistic
        period      = var.alarms.period_seconds
      }
    }
  }
}
