# The batch consumer reports failed messages per message (ReportBatchItemFailures), so Lambda's Errors
# metric (alarms.tf, lambda_errors) does not see them: the function's own metrics do. Any failed message is
# retried by SQS and, past maxReceiveCount, lands in the batch DLQ (whose depth alarm is in alarms.tf);
# this alarm fires at the first failure, before that. Consumer lag is the batch queue's oldest-message
# age (batch_queue_age in alarms.tf): SQS event sources have no iterator age.

resource "aws_cloudwatch_metric_alarm" "batch_consumer_failed_messages" {
  count = var.batch_consumer_function == null ? 0 : 1

  alarm_name          = "${var.name_prefix}-batch-consumer-failed-messages"
  alarm_description   = "Function ${var.batch_consumer_function} reported messages it could not store (malformed, over 400 KB, or a failed write); SQS retries them, then the batch DLQ keeps them. Its log lines \"Message failed\" carry the reasons."
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = var.alarms.evaluation_periods
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
  ok_actions          = [aws_sns_topic.this.arn]

  metric_query {
    id          = "failed"
    expression  = "FILL(malformed, 0) + FILL(unstorable, 0) + FILL(writes, 0)"
    label       = "Failed messages"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = {
      malformed  = "MalformedMessages"
      unstorable = "UnstorableEvents"
      writes     = "EventStoreWriteErrors"
    }

    content {
      id = metric_query.key

      metric {
        namespace   = var.metrics_namespace
        metric_name = metric_query.value
        dimensions  = { service = "batch-processor" }
        stat        = "Sum"
        period      = var.alarms.period_seconds
      }
    }
  }
}
