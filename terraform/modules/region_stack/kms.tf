# The region's key (module kms) and what each AWS service may do with it. The grants name the bus, the
# topics, the batch queue and the log groups the key encrypts by ARNs built from their names: each of them
# is encrypted with this key, so the key policy cannot wait for them to exist. Everything else (the Lambda
# roles, the state machine's role, Firehose's role) reaches the key through its own IAM policy, which the
# key's account statement lets IAM grant. SNS and SQS call KMS on behalf of whoever sends to them, so they
# need no grant of their own; the dead-letter queues use SSE-SQS, so nothing needs the key to dead-letter.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  # arn:<partition>:<service>:<region>:<account>:<resource>, for what the key encrypts.
  arn = {
    for service in ["events", "logs", "sns", "sqs"] :
    service => "arn:${data.aws_partition.current.partition}:${service}:${var.region}:${data.aws_caller_identity.current.account_id}"
  }

  key_grants = [
    # As in AWS's documented key policies for encrypted buses and archives: DescribeKey with no condition
    # (it reveals only the key's metadata), and the data-key actions pinned to this bus by the encryption
    # context alone; EventBridge does not send aws:SourceAccount/aws:SourceArn on every call it makes for
    # the archive.
    {
      sid     = "EventBridgeDescribesKey"
      service = "events.amazonaws.com"
      actions = ["kms:DescribeKey"]
    },
    {
      sid     = "EventBridgeEncryptsBusAndArchive"
      service = "events.amazonaws.com"
      actions = ["kms:GenerateDataKey", "kms:Decrypt", "kms:ReEncrypt*"]
      conditions = [{
        test     = "StringEquals"
        variable = "kms:EncryptionContext:aws:events:event-bus:arn"
        values   = ["${local.arn.events}:event-bus/${local.event_bus_name}"]
      }]
    },
    # EventBridge publishing to the encrypted notifications topic: SNS makes the KMS call, and the SNS
    # developer guide says aws:SourceAccount/aws:SourceArn/aws:SourceOrgID in the key policy are not
    # supported for this case. The topic's encryption context pins the grant to the topic; the topic policy
    # names the rules (aws:SourceArn there is supported).
    {
      sid     = "EventBridgePublishesToNotificationsTopic"
      service = "events.amazonaws.com"
      actions = ["kms:GenerateDataKey*", "kms:Decrypt"]
      conditions = [{
        test     = "StringEquals"
        variable = "kms:EncryptionContext:aws:sns:topicArn"
        values   = ["${local.arn.sns}:${local.notifications_topic_name}"]
      }]
    },
    # EventBridge rules sending to the encrypted batch queue, pinned to it by SQS's encryption context as
    # the topic grant is: whether SQS passes aws:SourceArn on to KMS when EventBridge sends is undocumented,
    # so a SourceArn condition could deny every delivery. The queue policy names the rules.
    {
      sid     = "EventBridgeRulesSendToBatchQueue"
      service = "events.amazonaws.com"
      actions = ["kms:GenerateDataKey", "kms:Decrypt"]
      conditions = [{
        test     = "StringEquals"
        variable = "kms:EncryptionContext:aws:sqs:arn"
        values   = ["${local.arn.sqs}:${local.batch_queue_name}"]
      }]
    },
    # CloudWatch alarms publishing to the encrypted operations topic (module monitoring). SNS makes the KMS
    # call on the publisher's behalf, so the grant is pinned by the topic's encryption context, not by
    # aws:Source* keys; the topic's own policy names the alarms.
    {
      sid     = "CloudWatchAlarmsPublishToOperationsTopic"
      service = "cloudwatch.amazonaws.com"
      actions = ["kms:GenerateDataKey*", "kms:Decrypt"]
      conditions = [{
        test     = "StringEquals"
        variable = "kms:EncryptionContext:aws:sns:topicArn"
        values   = ["${local.arn.sns}:${local.operations_topic_name}"]
      }]
    },
    # The log groups of the functions (module processors), of the state machine (module workflows) and of
    # the Firehose stream (module s3_archive): each module names its group after name_prefix under the
    # service's own path.
    {
      sid     = "CloudWatchLogsEncryptsLogGroups"
      service = "logs.${var.region}.amazonaws.com"
      actions = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      conditions = [{
        test     = "ArnLike"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values = [
          for path in ["/aws/lambda", "/aws/vendedlogs/states", "/aws/kinesisfirehose"] :
          "${local.arn.logs}:log-group:${path}/${var.name_prefix}-*"
        ]
      }]
    },
  ]
}

module "kms" {
  source = "../kms"

  alias_name     = "alias/${var.name_prefix}"
  description    = "${var.name_prefix}: event bus, archive, topics, queues, logs, Lambda environment and idempotency table"
  service_grants = local.key_grants
}

# The key and its alias were module messaging's: they move, the key is not replaced.
moved {
  from = module.messaging.aws_kms_key.this
  to   = module.kms.aws_kms_key.this
}

moved {
  from = module.messaging.aws_kms_alias.this
  to   = module.kms.aws_kms_alias.this
}
