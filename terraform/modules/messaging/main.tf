# Messaging: the notifications topic, the batch queue and the dead-letter queues EventBridge and SNS write
# to (the topic, the batch queue and their DLQs only with create_targets; the events DLQ always, since the
# bus needs it). The topic and the batch queue are encrypted with the caller's key (module kms), whose policy
# names them by the names passed in here. Each resource policy names the exact rule, bus or topic ARNs
# allowed to deliver, so a target works on the first apply and nothing else can send.

locals {
  create_email_subscription = var.create_targets && var.notification_email != null
}

# The targets' resources became count-toggled (create_targets): an existing stack keeps them, now at [0].
moved {
  from = aws_sns_topic.notifications
  to   = aws_sns_topic.notifications[0]
}

moved {
  from = aws_sns_topic_policy.notifications
  to   = aws_sns_topic_policy.notifications[0]
}

moved {
  from = aws_sns_topic_subscription.notifier
  to   = aws_sns_topic_subscription.notifier[0]
}

moved {
  from = aws_lambda_permission.notifier
  to   = aws_lambda_permission.notifier[0]
}

moved {
  from = aws_sqs_queue.notifications_dlq
  to   = aws_sqs_queue.notifications_dlq[0]
}

moved {
  from = aws_sqs_queue_policy.notifications_dlq
  to   = aws_sqs_queue_policy.notifications_dlq[0]
}

moved {
  from = aws_sqs_queue.batch
  to   = aws_sqs_queue.batch[0]
}

moved {
  from = aws_sqs_queue.batch_dlq
  to   = aws_sqs_queue.batch_dlq[0]
}

moved {
  from = aws_sqs_queue_redrive_allow_policy.batch_dlq
  to   = aws_sqs_queue_redrive_allow_policy.batch_dlq[0]
}

moved {
  from = aws_sqs_queue_policy.batch
  to   = aws_sqs_queue_policy.batch[0]
}

moved {
  from = aws_sqs_queue_policy.batch_dlq
  to   = aws_sqs_queue_policy.batch_dlq[0]
}
