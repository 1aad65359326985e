# The alarms were one resource per family (alarms.tf, forwarding.tf, batch_consumer.tf) before the catalogue
# (alarm_catalogue.json) made them one resource keyed by alarm name. These blocks move an existing
# deployment's alarms to their new addresses: `terraform plan` shows "has moved to" and changes nothing.
# Every key a family could hold is listed: the functions, queues, workflow, stream and forwarding rule have
# fixed logical names (tooling/config.py).

moved {
  from = aws_cloudwatch_metric_alarm.lambda_errors["processor"]
  to   = aws_cloudwatch_metric_alarm.this["lambda-processor-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.lambda_errors["notifier"]
  to   = aws_cloudwatch_metric_alarm.this["lambda-notifier-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.lambda_errors["analytics"]
  to   = aws_cloudwatch_metric_alarm.this["lambda-analytics-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.lambda_errors["batch-processor"]
  to   = aws_cloudwatch_metric_alarm.this["lambda-batch-processor-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.lambda_throttles["processor"]
  to   = aws_cloudwatch_metric_alarm.this["lambda-processor-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.lambda_throttles["notifier"]
  to   = aws_cloudwatch_metric_alarm.this["lambda-notifier-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.lambda_throttles["analytics"]
  to   = aws_cloudwatch_metric_alarm.this["lambda-analytics-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.lambda_throttles["batch-processor"]
  to   = aws_cloudwatch_metric_alarm.this["lambda-batch-processor-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.lambda_dead_letter_errors["processor"]
  to   = aws_cloudwatch_metric_alarm.this["lambda-processor-dead-letter-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.lambda_dead_letter_errors["notifier"]
  to   = aws_cloudwatch_metric_alarm.this["lambda-notifier-dead-letter-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.lambda_dead_letter_errors["analytics"]
  to   = aws_cloudwatch_metric_alarm.this["lambda-analytics-dead-letter-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.dlq_depth["events"]
  to   = aws_cloudwatch_metric_alarm.this["dlq-events-messages"]
}

moved {
  from = aws_cloudwatch_metric_alarm.dlq_depth["batch-queue"]
  to   = aws_cloudwatch_metric_alarm.this["dlq-batch-queue-messages"]
}

moved {
  from = aws_cloudwatch_metric_alarm.dlq_depth["notifications"]
  to   = aws_cloudwatch_metric_alarm.this["dlq-notifications-messages"]
}

moved {
  from = aws_cloudwatch_metric_alarm.dlq_depth["processor"]
  to   = aws_cloudwatch_metric_alarm.this["dlq-processor-messages"]
}

moved {
  from = aws_cloudwatch_metric_alarm.dlq_depth["notifier"]
  to   = aws_cloudwatch_metric_alarm.this["dlq-notifier-messages"]
}

moved {
  from = aws_cloudwatch_metric_alarm.dlq_depth["analytics"]
  to   = aws_cloudwatch_metric_alarm.this["dlq-analytics-messages"]
}

moved {
  from = aws_cloudwatch_metric_alarm.batch_queue_age
  to   = aws_cloudwatch_metric_alarm.this["batch-queue-oldest-message-age"]
}

moved {
  from = aws_cloudwatch_metric_alarm.batch_consumer_failed_messages[0]
  to   = aws_cloudwatch_metric_alarm.this["batch-consumer-failed-messages"]
}

moved {
  from = aws_cloudwatch_metric_alarm.state_machine_failed["order-workflow"]
  to   = aws_cloudwatch_metric_alarm.this["sfn-order-workflow-executions-failed"]
}

moved {
  from = aws_cloudwatch_metric_alarm.state_machine_timed_out["order-workflow"]
  to   = aws_cloudwatch_metric_alarm.this["sfn-order-workflow-executions-timed-out"]
}

moved {
  from = aws_cloudwatch_metric_alarm.firehose_delivery_failures["s3-archive"]
  to   = aws_cloudwatch_metric_alarm.this["firehose-s3-archive-delivery-failures"]
}

moved {
  from = aws_cloudwatch_metric_alarm.forwarding_failed_invocations["forwarding"]
  to   = aws_cloudwatch_metric_alarm.this["rule-forwarding-failed-invocations"]
}

moved {
  from = aws_cloudwatch_metric_alarm.forwarding_dlq_failures["forwarding"]
  to   = aws_cloudwatch_metric_alarm.this["rule-forwarding-dlq-send-failures"]
}

# The routing rules' alarms are keyed by rule names, which only the environment file knows, and a moved
# block cannot iterate. Terraform forgets them without deleting them, and the new resource's create
# (PutMetricAlarm, which creates or overwrites an alarm of that name) takes each one over with the same
# settings and state. A rule removed in the same apply leaves its two alarms behind in CloudWatch: apply the
# catalogue change first, or delete them by hand (<name_prefix>-rule-<rule>-...).
removed {
  from = aws_cloudwatch_metric_alarm.rule_failed_invocations

  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_cloudwatch_metric_alarm.rule_dlq_failures

  lifecycle {
    destroy = false
  }
}
