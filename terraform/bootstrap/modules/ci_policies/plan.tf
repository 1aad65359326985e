# What `tooling plan` reads: every resource of the environment's stack, as the provider refreshes it (the
# e2e run records each call and evaluates it against this document: tooling/deploy/ci_roles). Read actions
# only; the state lock is the one object it writes.

locals {
  stack_log_groups = [
    "${local.arn}:logs:${local.in_account}:log-group:/aws/lambda/${local.named}",
    "${local.arn}:logs:${local.in_account}:log-group:/aws/kinesisfirehose/${local.named}",
    "${local.arn}:logs:${local.in_account}:log-group:/aws/vendedlogs/states/${local.named}",
  ]
  stack_events = [
    "${local.arn}:events:${local.in_account}:event-bus/${local.named}",
    "${local.arn}:events:${local.in_account}:rule/${local.named}", # rule/<bus>/<rule> and rule/<rule> (default bus)
    "${local.arn}:events:${local.in_account}:archive/${local.named}",
  ]
  # [failover]'s global endpoint (<project>-<environment>-<suffix>-endpoint), in the primary region.
  stack_endpoints = "${local.arn}:events:${local.in_account}:endpoint/${local.named}"
  # Route 53 health check ids are generated and Route 53 has no condition keys for tags: every health check
  # of the account (the failover's, on the health alarm).
  health_checks = "${local.arn}:route53:::healthcheck/*"
  stack_bucket  = "${local.arn}:s3:::${local.named}"
}

data "aws_iam_policy_document" "stack_read" {
  statement {
    sid       = "ReadBusesRulesArchives"
    actions   = ["events:DescribeEventBus", "events:DescribeRule", "events:DescribeArchive", "events:ListTargetsByRule", "events:ListTagsForResource"]
    resources = local.stack_events
  }

  statement {
    sid       = "ReadGlobalEndpoints"
    actions   = ["events:DescribeEndpoint"]
    resources = [local.stack_endpoints]
  }

  statement {
    sid       = "ReadHealthChecks"
    actions   = ["route53:GetHealthCheck", "route53:ListTagsForResource"]
    resources = [local.health_checks]
  }

  statement {
    sid       = "ReadQueues"
    actions   = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags"]
    resources = ["${local.arn}:sqs:${local.in_account}:${local.named}"]
  }

  statement {
    sid       = "ReadTopics"
    actions   = ["sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource"]
    resources = ["${local.arn}:sns:${local.in_account}:${local.named}"]
  }

  statement {
    sid       = "ReadFunctions"
    actions   = ["lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionEventInvokeConfig", "lambda:GetPolicy", "lambda:ListTags", "lambda:ListVersionsByFunction"]
    resources = ["${local.arn}:lambda:${local.in_account}:function:${local.named}"]
  }

  # Not pinned to the environment's functions (lambda:FunctionArn): while destroy waits for a mapping to go,
  # Lambda is asked about a mapping that no longer has a function. A mapping names a queue and a function.
  statement {
    sid       = "ReadEventSourceMappings"
    actions   = ["lambda:GetEventSourceMapping", "lambda:ListTags"]
    resources = ["${local.arn}:lambda:${local.in_account}:event-source-mapping:*"] # ids are generated
  }

  statement {
    sid       = "ReadLogGroups"
    actions   = ["logs:DescribeLogStreams", "logs:ListTagsForResource", "logs:ListTagsLogGroup"]
    resources = local.stack_log_groups
  }

  statement {
    sid       = "ReadAlarms"
    actions   = ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"]
    resources = ["${local.arn}:cloudwatch:${local.in_account}:alarm:${local.named}"]
  }

  statement {
    sid       = "ReadDashboards"
    actions   = ["cloudwatch:GetDashboard"]
    resources = ["${local.arn}:cloudwatch::${var.account_id}:dashboard/${local.named}"]
  }

  statement {
    sid       = "ReadTables"
    actions   = ["dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource"]
    resources = ["${local.arn}:dynamodb:${local.in_account}:table/${local.named}"]
  }

  statement {
    sid     = "ReadSchemaRegistry"
    actions = ["schemas:DescribeRegistry", "schemas:DescribeSchema", "schemas:ListSchemaVersions", "schemas:ListTagsForResource"]
    resources = [
      "${local.arn}:schemas:${local.in_account}:registry/${local.named}",
      "${local.arn}:schemas:${local.in_account}:schema/${local.named}",
    ]
  }

  statement {
    sid       = "ReadStateMachines"
    actions   = ["states:DescribeStateMachine", "states:ListStateMachineVersions", "states:ListTagsForResource"]
    resources = ["${local.arn}:states:${local.in_account}:stateMachine:${local.named}"]
  }

  statement {
    sid       = "ReadArchiveStreams"
    actions   = ["firehose:DescribeDeliveryStream", "firehose:ListTagsForDeliveryStream"]
    resources = ["${local.arn}:firehose:${local.in_account}:deliverystream/${local.named}"]
  }

  statement {
    sid = "ReadArchiveBucket"
    actions = [
      "s3:ListBucket", "s3:GetAccelerateConfiguration", "s3:GetBucketAcl", "s3:GetBucketCORS",
      "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:GetBucketLogging",
      "s3:GetBucketOwnershipControls", "s3:GetBucketPolicy", "s3:GetReplicationConfiguration",
      "s3:GetBucketRequestPayment", "s3:GetBucketTagging", "s3:GetBucketVersioning", "s3:GetBucketWebsite",
      "s3:GetBucketObjectLockConfiguration", "s3:GetBucketPublicAccessBlock",
    ]
    resources = [local.stack_bucket]
  }

  statement {
    sid       = "ReadStackRolesAndPolicies"
    actions   = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:GetPolicy", "iam:GetPolicyVersion"]
    resources = [local.stack_roles, local.stack_policies]
  }

  statement {
    sid       = "ReadEnvironmentKeys"
    actions   = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
    resources = ["${local.arn}:kms:${local.in_account}:key/*"] # key ids are generated; the tags name the environment

    dynamic "condition" {
      for_each = local.key_tags
      content {
        test     = "StringEquals"
        variable = condition.key
        values   = [condition.value]
      }
    }
  }

  # GetFunction returns the environment variables, which Lambda decrypts with the caller's permission.
  statement {
    sid       = "ReadFunctionEnvironmentsThroughLambda"
    actions   = ["kms:Decrypt"]
    resources = ["${local.arn}:kms:${local.in_account}:key/*"]

    condition {
      test     = "StringLike"
      variable = "kms:ViaService"
      values   = ["lambda.*.${var.dns_suffix}"]
    }

    dynamic "condition" {
      for_each = local.key_tags
      content {
        test     = "StringEquals"
        variable = condition.key
        values   = [condition.value]
      }
    }
  }

  statement {
    sid = "ReadWithoutResourceLevelPermissions"
    actions = [
      "kms:ListAliases", "logs:DescribeLogGroups", "sns:GetSubscriptionAttributes",
      "states:ValidateStateMachineDefinition",
    ]
    resources = ["*"] # AWS: these actions have no resource-level permissions, so IAM requires "*".
  }
}

data "aws_iam_policy_document" "plan" {
  source_policy_documents = [
    data.aws_iam_policy_document.state_read.json,
    data.aws_iam_policy_document.stack_read.json,
  ]
}
