# The permissions boundary of every role the deploy role creates: the union of what the stack's roles need
# (terraform/modules: function roles, the state machine's, Firehose's, the rule-target roles), each scoped to
# this environment's names. Whatever policy the deploy role writes into such a role, the role can do no
# more than this: no IAM (but the replication role passing itself to EventBridge), no STS, no key
# administration, nothing outside the environment.

data "aws_iam_policy_document" "boundary" {
  statement {
    sid     = "WriteOwnLogStreams"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "${local.arn}:logs:${local.in_account}:log-group:/aws/lambda/${local.named}:*",
      "${local.arn}:logs:${local.in_account}:log-group:/aws/kinesisfirehose/${local.named}:*",
    ]
  }

  statement {
    sid = "DeliverStateMachineLogs"
    actions = [
      "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
    ]
    resources = ["*"] # AWS: the log-delivery APIs take no resource ARN, so IAM requires "*".
  }

  statement {
    sid       = "SendTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
    resources = ["*"] # AWS: X-Ray APIs have no resource-level permissions, so IAM requires "*".
  }

  statement {
    sid = "UseStackQueues"
    actions = [
      "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes",
    ]
    resources = ["${local.arn}:sqs:${local.in_account}:${local.named}"]
  }

  statement {
    sid       = "UseStackTables"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    resources = ["${local.arn}:dynamodb:${local.in_account}:table/${local.named}"]
  }

  # Keys only through the services the roles use them with (Lambda environment variables, DynamoDB tables,
  # SQS queues, the S3 archive): each of those is scoped to this environment's names above and below, so
  # no role can reach another environment's data through its key. (Key ids are generated, and a request
  # through a service carries no key tags the boundary could pin.)
  statement {
    sid       = "UseKeysThroughStackServices"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["${local.arn}:kms:${local.in_account}:key/*"]

    condition {
      test     = "StringLike"
      variable = "kms:ViaService"
      values   = ["lambda.*.${var.dns_suffix}", "dynamodb.*.${var.dns_suffix}", "sqs.*.${var.dns_suffix}", "s3.*.${var.dns_suffix}", "ssm.*.${var.dns_suffix}"]
    }
  }

  # The notifier's webhook URL, a SecureString read at run time: parameters under /<project>/<environment>/
  # only (the environment file's webhook_parameter must sit there; README, "The webhook secret").
  statement {
    sid       = "ReadStackParameters"
    actions   = ["ssm:GetParameter"]
    resources = ["${local.arn}:ssm:${local.in_account}:parameter/${var.project}/${var.environment}/*"]
  }

  statement {
    sid       = "PublishOnStackBuses"
    actions   = ["events:PutEvents"]
    resources = ["${local.arn}:events:${local.in_account}:event-bus/${local.named}"]
  }

  # [failover]'s replication role (modules/global_endpoint): EventBridge runs the endpoint's replication
  # with it, the managed rules GlobalEndpointManagedRule-* on the stack's buses, whose targets carry the
  # role, so it may manage those rules only and pass itself to EventBridge only.
  statement {
    sid       = "ManageGlobalEndpointReplicationRules"
    actions   = ["events:PutRule", "events:PutTargets", "events:DeleteRule", "events:RemoveTargets"]
    resources = ["${local.arn}:events:${local.in_account}:rule/${local.named}/GlobalEndpointManagedRule-*"]
  }

  statement {
    sid       = "PassTheReplicationRoleToEventBridge"
    actions   = ["iam:PassRole"]
    resources = ["${local.arn}:iam::${var.account_id}:role/${local.named}-endpoint-replication"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["events.amazonaws.com"]
    }
  }

  statement {
    sid       = "StartStackWorkflows"
    actions   = ["states:StartExecution"]
    resources = ["${local.arn}:states:${local.in_account}:stateMachine:${local.named}"]
  }

  statement {
    sid       = "PutStackArchiveRecords"
    actions   = ["firehose:PutRecord", "firehose:PutRecordBatch"]
    resources = ["${local.arn}:firehose:${local.in_account}:deliverystream/${local.named}"]
  }

  statement {
    sid = "WriteStackArchiveBucket"
    actions = [
      "s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket",
      "s3:ListBucketMultipartUploads", "s3:PutObject",
    ]
    resources = ["${local.arn}:s3:::${local.named}", "${local.arn}:s3:::${local.named}/*"]
  }
}
