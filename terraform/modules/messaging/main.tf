# Messaging: the customer-managed KMS key every encrypted resource of the stack uses, the notifications
# topic, the batch queue and the dead-letter queues EventBridge and SNS write to (the topic, the batch queue
# and their DLQs only with create_targets; the key and the events DLQ always, since the bus needs both). Each resource policy names the
# exact rule, bus or topic ARNs allowed to deliver, so a target works on the first apply and nothing else can send.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = var.region

  # Every action an SNS topic policy can name (SNS developer guide, "Valid Amazon SNS policy actions"): the
  # TLS-only deny covers them all, not only Publish (Subscribe, SetTopicAttributes, ... over plain HTTP too).
  sns_topic_policy_actions = [
    "sns:AddPermission", "sns:DeleteTopic", "sns:GetDataProtectionPolicy", "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource", "sns:Publish", "sns:PutDataProtectionPolicy",
    "sns:RemovePermission", "sns:SetTopicAttributes", "sns:Subscribe",
  ]

  # Built from names rather than read from resources: the bus is encrypted with this key, so the key
  # policy cannot wait for the bus to exist.
  event_bus_arn    = "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/${var.event_bus_name}"
  log_group_prefix = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${var.name_prefix}-*"
  # The execution log group of the order-fulfilment state machine (module workflows).
  firehose_log_group_prefix      = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/kinesisfirehose/${var.name_prefix}-*"
  state_machine_log_group_prefix = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/vendedlogs/states/${var.name_prefix}-*"

  # The topic is encrypted with this key too, so its ARN is built from its name the same way.
  notifications_topic_name = "${var.name_prefix}-notifications"
  notifications_topic_arn  = "arn:${local.partition}:sns:${local.region}:${local.account_id}:${local.notifications_topic_name}"
  # The operations topic of module monitoring (encrypted with this key; CloudWatch alarms publish to it).
  operations_topic_arn = "arn:${local.partition}:sns:${local.region}:${local.account_id}:${var.operations_topic_name}"
  # The batch queue is encrypted with this key as well.
  batch_queue_name = "${var.name_prefix}-batch"
  batch_queue_arn  = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.batch_queue_name}"

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
