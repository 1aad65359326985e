# Every alarm treats missing data as not breaching: a quiet system (no events, no failures) is healthy.

resource "aws_cloudwatch_metric_alarm" "rule_failed_invocations" {
  for_each = var.rule_names

  alarm_name          = "${var.name_prefix}-rule-${each.key}-failed-invocations"
  alarm_description   = "Rule ${each.value} failed to deliver events to a target after its retries."
  namespace           = "AWS/Events"
  metric_name         = "FailedInvocations"
  dimensions          = { EventBusName = var.event_bus_name, RuleName = each.value }
  statistic           = "Sum"
  period              = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = var.alarms.failed_invocations
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}

resource "aws_cloudwatch_metric_alarm" "rule_dlq_failures" {
  for_each = var.rule_names

  alarm_name          = "${var.name_prefix}-rule-${each.key}-dlq-send-failures"
  alarm_description   = "Rule ${each.value} could not even dead-letter an event: the event is lost. Check the DLQ policy and key."
  namespace           = "AWS/Events"
  metric_name         = "InvocationsFailedToBeSentToDlq"
  dimensions          = { EventBusName = var.event_bus_name, RuleName = each.value }
  statistic           = "Sum"
  period              = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}

resource "aws_cloudwatch_metric_alarm" "dlq_depth" {
  for_each = var.dead_letter_queue_names

  alarm_name          = "${var.name_prefix}-dlq-${each.key}-messages"
  alarm_description   = "Dead-letter queue ${each.value} holds messages: work failed and waits for inspection and redrive."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = var.alarms.dlq_messages
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each = var.function_names

  alarm_name          = "${var.name_prefix}-lambda-${each.key}-errors"
  alarm_description   = "Function ${each.value} raised errors; async invocations are retried, then dead-lettered."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = var.alarms.lambda_errors
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  for_each = var.function_names

  alarm_name          = "${var.name_prefix}-lambda-${each.key}-throttles"
  alarm_description   = "Function ${each.value} was throttled; raise its reserved concurrency or the account limit."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = var.alarms.lambda_throttles
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}

# Lambda could not write a failed asynchronous event to the function's dead-letter queue: the event is lost,
# so the alarm fires on the first one (like the DLQ-send alarm of the rules).
# Not for the batch consumer: its mapping invokes it synchronously, so it has no DLQ to fail to write to.
resource "aws_cloudwatch_metric_alarm" "lambda_dead_letter_errors" {
  for_each = { for key, name in var.function_names : key => name if name != var.batch_consumer_function }

  alarm_name          = "${var.name_prefix}-lambda-${each.key}-dead-letter-errors"
  alarm_description   = "Function ${each.value} could not send a failed event to its dead-letter queue: the event is lost. Check the role and the queue."
  namespace           = "AWS/Lambda"
  metric_name         = "DeadLetterErrors"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}

# A message older than the threshold means whatever consumes the batch queue stopped or falls behind; the
# queue drops messages after its retention (4 days), so this fires well before they are lost.
resource "aws_cloudwatch_metric_alarm" "batch_queue_age" {
  alarm_name          = "${var.name_prefix}-batch-queue-oldest-message-age"
  alarm_description   = "The oldest message of batch queue ${var.batch_queue_name} is older than ${var.batch_queue_max_age_seconds} seconds: its consumer is not keeping up, and messages expire after the queue's retention."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = var.batch_queue_name }
  statistic           = "Maximum"
  period              = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = var.batch_queue_max_age_seconds
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}

# Any failed or timed-out execution is an order without a decision (no Order Flagged / Order Accepted event),
# so both alarms fire on the first one, like the DLQ-send alarm above.
resource "aws_cloudwatch_metric_alarm" "state_machine_failed" {
  for_each = var.state_machine_arns

  alarm_name          = "${var.name_prefix}-sfn-${each.key}-executions-failed"
  alarm_description   = "State machine ${each.value} had failed executions (invalid order total, or PutEvents still failing after retries); read its execution log group."
  namespace           = "AWS/States"
  metric_name         = "ExecutionsFailed"
  dimensions          = { StateMachineArn = each.value }
  statistic           = "Sum"
  period              = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}

resource "aws_cloudwatch_metric_alarm" "state_machine_timed_out" {
  for_each = var.state_machine_arns

  alarm_name          = "${var.name_prefix}-sfn-${each.key}-executions-timed-out"
  alarm_description   = "State machine ${each.value} had executions that timed out (EXPRESS executions stop after 5 minutes)."
  namespace           = "AWS/States"
  metric_name         = "ExecutionsTimedOut"
  dimensions          = { StateMachineArn = each.value }
  statistic           = "Sum"
  period              = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}

# DeliveryToS3.Success is the share of successful S3 writes per period (1 when all succeed); any failed
# write (a denied key, a missing bucket) pulls the minimum below 1. Firehose retries and then writes the
# records under the errors/ prefix, so the alarm is the only sign that the archive is incomplete.
resource "aws_cloudwatch_metric_alarm" "firehose_delivery_failures" {
  for_each = var.firehose_stream_names

  alarm_name          = "${var.name_prefix}-firehose-${each.key}-delivery-failures"
  alarm_description   = "Firehose stream ${each.value} failed to write to S3; see its log group /aws/kinesisfirehose/${each.value} and the bucket's errors/ prefix."
  namespace           = "AWS/Firehose"
  metric_name         = "DeliveryToS3.Success"
  dimensions          = { DeliveryStreamName = each.value }
  statistic           = "Minimum"
  period              = var.alarms.period_seconds
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]
}
