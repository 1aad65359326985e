# What `tooling apply`, `tooling destroy` and the `tooling smoke` after an apply do to the environment's
# stack, one statement per concern, each scoped to the environment's names (<project>-<environment>-*) or, for
# KMS keys whose ids AWS generates, to the keys tagged for the environment. The e2e run records every call a
# deploy makes and evaluates it against this document (tooling/deploy/ci_roles); the escalation check in the
# tests holds it to the rest: every role it creates or edits carries this environment's boundary, and the
# Deny statements at the end keep it off the CI roles, the boundaries, the state key and the state bucket's
# settings.

data "aws_iam_policy_document" "deploy" {
  source_policy_documents = [
    data.aws_iam_policy_document.state_write.json,
    data.aws_iam_policy_document.stack_read.json,
  ]

  statement {
    sid = "ManageBusesRulesArchives"
    actions = [
      "events:CreateEventBus", "events:UpdateEventBus", "events:DeleteEventBus", "events:PutPermission",
      "events:RemovePermission", "events:PutRule", "events:DeleteRule", "events:EnableRule", "events:DisableRule",
      "events:PutTargets", "events:RemoveTargets", "events:CreateArchive", "events:UpdateArchive",
      "events:DeleteArchive", "events:TagResource", "events:UntagResource",
    ]
    resources = local.stack_events
  }

  # [failover]: the global endpoint, and the Route 53 health check it fails over on (ids are generated, so
  # any health check of the account; CreateHealthCheck has no resource at all).
  statement {
    sid       = "ManageGlobalEndpoints"
    actions   = ["events:CreateEndpoint", "events:UpdateEndpoint", "events:DeleteEndpoint"]
    resources = [local.stack_endpoints]
  }

  statement {
    sid       = "CreateHealthChecks"
    actions   = ["route53:CreateHealthCheck"]
    resources = ["*"] # AWS: CreateHealthCheck has no resource-level permissions, so IAM requires "*".
  }

  statement {
    sid       = "ManageHealthChecks"
    actions   = ["route53:UpdateHealthCheck", "route53:DeleteHealthCheck", "route53:ChangeTagsForResource"]
    resources = [local.health_checks]
  }

  statement {
    sid       = "ManageQueues"
    actions   = ["sqs:CreateQueue", "sqs:DeleteQueue", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue"]
    resources = ["${local.arn}:sqs:${local.in_account}:${local.named}"]
  }

  statement {
    sid       = "ManageTopics"
    actions   = ["sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:TagResource", "sns:UntagResource"]
    resources = ["${local.arn}:sns:${local.in_account}:${local.named}"]
  }

  statement {
    sid       = "ManageSubscriptions"
    actions   = ["sns:Unsubscribe", "sns:SetSubscriptionAttributes"]
    resources = ["*"] # AWS: subscription actions have no resource-level permissions, so IAM requires "*".
  }

  statement {
    sid = "ManageFunctions"
    actions = [
      "lambda:CreateFunction", "lambda:DeleteFunction", "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration", "lambda:AddPermission", "lambda:RemovePermission",
      "lambda:PutFunctionEventInvokeConfig", "lambda:UpdateFunctionEventInvokeConfig",
      "lambda:DeleteFunctionEventInvokeConfig", "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency",
      "lambda:TagResource", "lambda:UntagResource",
    ]
    resources = ["${local.arn}:lambda:${local.in_account}:function:${local.named}"]
  }

  statement {
    sid       = "CreateEventSourceMappings"
    actions   = ["lambda:CreateEventSourceMapping"]
    resources = ["*"] # AWS: the mapping does not exist yet; lambda:FunctionArn names the environment's function

    condition {
      test     = "ArnLike"
      variable = "lambda:FunctionArn"
      values   = ["${local.arn}:lambda:${local.in_account}:function:${local.named}"]
    }
  }

  # Tags on create: the mapping has no ARN yet, so Lambda evaluates lambda:TagResource without one; a
  # resource already tagged for a project cannot be tagged through this statement.
  statement {
    sid       = "TagNewEventSourceMappings"
    actions   = ["lambda:TagResource"]
    resources = ["*"]

    dynamic "condition" {
      for_each = local.request_tags
      content {
        test     = "StringEquals"
        variable = condition.key
        values   = [condition.value]
      }
    }

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/Project"
      values   = ["true"]
    }
  }

  statement {
    sid       = "ManageEventSourceMappings"
    actions   = ["lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"]
    resources = ["${local.arn}:lambda:${local.in_account}:event-source-mapping:*"] # ids are generated

    condition {
      test     = "ArnLike"
      variable = "lambda:FunctionArn"
      values   = ["${local.arn}:lambda:${local.in_account}:function:${local.named}"]
    }
  }

  statement {
    sid = "ManageLogGroups"
    actions = [
      "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
      "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource",
      "logs:TagLogGroup", "logs:UntagLogGroup",
    ]
    resources = local.stack_log_groups
  }

  statement {
    sid     = "ManageLogStreams"
    actions = ["logs:CreateLogStream", "logs:DeleteLogStream"]
    resources = [
      "${local.arn}:logs:${local.in_account}:log-group:/aws/lambda/${local.named}:log-stream:*",
      "${local.arn}:logs:${local.in_account}:log-group:/aws/kinesisfirehose/${local.named}:log-stream:*",
      "${local.arn}:logs:${local.in_account}:log-group:/aws/vendedlogs/states/${local.named}:log-stream:*",
    ]
  }

  statement {
    sid       = "ManageAlarms"
    actions   = ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource"]
    resources = ["${local.arn}:cloudwatch:${local.in_account}:alarm:${local.named}"]
  }

  statement {
    sid       = "ManageDashboards"
    actions   = ["cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"]
    resources = ["${local.arn}:cloudwatch::${var.account_id}:dashboard/${local.named}"]
  }

  statement {
    sid = "ManageTables"
    actions = [
      "dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:UpdateContinuousBackups",
      "dynamodb:UpdateTimeToLive", "dynamodb:TagResource", "dynamodb:UntagResource",
    ]
    resources = ["${local.arn}:dynamodb:${local.in_account}:table/${local.named}"]
  }

  # [failover] with consumers in both regions: the tables become global tables. Adding a replica is an
  # UpdateTable in the primary region and, in the replica's, the actions DynamoDB's guide lists for it
  # ("DynamoDB global tables security"): the replica's creation and its initial copy of the items.
  statement {
    sid = "ManageTableReplicas"
    actions = [
      "dynamodb:CreateTableReplica", "dynamodb:DeleteTableReplica", "dynamodb:Scan", "dynamodb:Query",
      "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
    ]
    resources = ["${local.arn}:dynamodb:${local.in_account}:table/${local.named}"]
  }

  # The first global table of an account creates DynamoDB's replication service-linked role; only that one.
  statement {
    sid       = "CreateDynamoDbReplicationRole"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["${local.arn}:iam::${var.account_id}:role/aws-service-role/replication.dynamodb.amazonaws.com/AWSServiceRoleForDynamoDBReplication"]

    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["replication.dynamodb.amazonaws.com"]
    }
  }

  statement {
    sid = "ManageSchemaRegistry"
    actions = [
      "schemas:CreateRegistry", "schemas:UpdateRegistry", "schemas:DeleteRegistry", "schemas:CreateSchema",
      "schemas:UpdateSchema", "schemas:DeleteSchema", "schemas:TagResource", "schemas:UntagResource",
    ]
    resources = [
      "${local.arn}:schemas:${local.in_account}:registry/${local.named}",
      "${local.arn}:schemas:${local.in_account}:schema/${local.named}",
    ]
  }

  statement {
    sid       = "ManageStateMachines"
    actions   = ["states:CreateStateMachine", "states:UpdateStateMachine", "states:DeleteStateMachine", "states:TagResource", "states:UntagResource"]
    resources = ["${local.arn}:states:${local.in_account}:stateMachine:${local.named}"]
  }

  statement {
    sid = "ManageArchiveStreams"
    actions = [
      "firehose:CreateDeliveryStream", "firehose:DeleteDeliveryStream", "firehose:UpdateDestination",
      "firehose:StartDeliveryStreamEncryption", "firehose:StopDeliveryStreamEncryption",
      "firehose:TagDeliveryStream", "firehose:UntagDeliveryStream",
    ]
    resources = ["${local.arn}:firehose:${local.in_account}:deliverystream/${local.named}"]
  }

  statement {
    sid = "ManageArchiveBucket"
    actions = [
      "s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy",
      "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration", "s3:PutBucketOwnershipControls",
      "s3:PutBucketPublicAccessBlock", "s3:PutBucketTagging", "s3:PutBucketVersioning",
    ]
    resources = [local.stack_bucket]
  }

  # Roles: only with this environment's boundary (CreateRole names it; PutRolePolicy, DeleteRolePolicy and
  # UpdateAssumeRolePolicy see the role's current one), so no role the pipeline writes can exceed it.
  statement {
    sid       = "WriteStackRolesWithinTheBoundary"
    actions   = ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:UpdateAssumeRolePolicy"]
    resources = [local.stack_roles]

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
  }

  statement {
    sid       = "ManageStackRoles"
    actions   = ["iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:TagRole", "iam:UntagRole", "iam:ListInstanceProfilesForRole"]
    resources = [local.stack_roles]
  }

  statement {
    sid       = "PassStackRolesToTheirServices"
    actions   = ["iam:PassRole"]
    resources = [local.stack_roles]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = local.role_services
    }
  }

  # The producers' publisher policy (module event_bus), attached by its users, never by the pipeline.
  statement {
    sid = "ManagePublisherPolicy"
    actions = [
      "iam:CreatePolicy", "iam:DeletePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion",
      "iam:ListPolicyVersions", "iam:TagPolicy", "iam:UntagPolicy",
    ]
    resources = [local.stack_policies]
  }

  statement {
    sid       = "CreateEnvironmentKeys"
    actions   = ["kms:CreateKey"]
    resources = ["*"] # AWS: the key does not exist yet; the request's tags name the environment

    dynamic "condition" {
      for_each = local.request_tags
      content {
        test     = "StringEquals"
        variable = condition.key
        values   = [condition.value]
      }
    }
  }

  # Tags on create: KMS evaluates kms:TagResource for a key that has no tags yet (it must be allowed on
  # every key, KMS Developer Guide "Controlling access to tags"); a key that already carries a Project tag
  # cannot be tagged through this statement, and DenyRetaggingKeys stops re-labelling any tagged key.
  statement {
    sid       = "TagNewEnvironmentKeys"
    actions   = ["kms:TagResource"]
    resources = ["*"]

    dynamic "condition" {
      for_each = local.request_tags
      content {
        test     = "StringEquals"
        variable = condition.key
        values   = [condition.value]
      }
    }

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/Project"
      values   = ["true"]
    }
  }

  statement {
    sid = "ManageEnvironmentKeys"
    actions = [
      "kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:UpdateKeyDescription",
      "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:CreateAlias", "kms:DeleteAlias",
      "kms:UpdateAlias",
    ]
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

  statement {
    sid       = "ManageEnvironmentAliases"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = ["${local.arn}:kms:${local.in_account}:alias/${local.named}"]
  }

  # Lambda (environment variables), DynamoDB (table encryption) and Firehose (server-side encryption) use
  # the stack's key with the caller's permissions while the deploy creates or updates them.
  statement {
    sid       = "UseEnvironmentKeysThroughServices"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"]
    resources = ["${local.arn}:kms:${local.in_account}:key/*"]

    condition {
      test     = "StringLike"
      variable = "kms:ViaService"
      values   = local.key_via_services
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
    sid       = "GrantEnvironmentKeysToServices"
    actions   = ["kms:CreateGrant"]
    resources = ["${local.arn}:kms:${local.in_account}:key/*"]

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }

    condition {
      test     = "StringLike"
      variable = "kms:ViaService"
      values   = local.key_via_services
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

  # `tooling smoke` after every apply (.github/workflows/deploy.yml): one canary per rule on the stack's bus,
  # then reads of where each must land: the functions' log groups, the event store (its Query is in
  # ManageTableReplicas), the S3 archive and the workflow's executions. DynamoDB and CloudWatch Logs decrypt
  # with their own grants on the stack's key; S3 decrypts an SSE-KMS object with the caller's kms:Decrypt.
  statement {
    sid       = "SmokePublishCanaries"
    actions   = ["events:PutEvents"]
    resources = ["${local.arn}:events:${local.in_account}:event-bus/${local.named}"]
  }

  statement {
    sid       = "SmokeReadFunctionLogs"
    actions   = ["logs:FilterLogEvents"]
    resources = ["${local.arn}:logs:${local.in_account}:log-group:/aws/lambda/${local.named}"]
  }

  statement {
    sid       = "SmokeReadArchiveObjects"
    actions   = ["s3:ListBucket", "s3:GetObject"]
    resources = [local.stack_bucket, "${local.stack_bucket}/*"]
  }

  statement {
    sid       = "SmokeDecryptArchiveObjects"
    actions   = ["kms:Decrypt"]
    resources = ["${local.arn}:kms:${local.in_account}:key/*"] # key ids are generated; the tags name the environment

    condition {
      test     = "StringLike"
      variable = "kms:ViaService"
      values   = ["s3.*.${var.dns_suffix}"]
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
    sid     = "SmokeReadWorkflowExecutions"
    actions = ["states:ListExecutions", "states:DescribeExecution"]
    resources = [
      "${local.arn}:states:${local.in_account}:stateMachine:${local.named}",
      "${local.arn}:states:${local.in_account}:execution:${local.named}:*",
    ]
  }

  statement {
    sid       = "DenyCiIdentities"
    effect    = "Deny"
    actions   = ["iam:*"]
    resources = local.protected_arns
  }

  statement {
    sid    = "DenyBoundaryChanges"
    effect = "Deny"
    actions = [
      "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary",
      "iam:PutUserPermissionsBoundary", "iam:DeleteUserPermissionsBoundary",
    ]
    resources = ["*"]
  }

  statement {
    sid         = "DenyStateKeyAdministration"
    effect      = "Deny"
    not_actions = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources   = [var.state_key_arn]
  }

  statement {
    sid       = "DenyRetaggingKeys"
    effect    = "Deny"
    actions   = ["kms:TagResource", "kms:UntagResource"]
    resources = ["*"]

    condition {
      test     = "Null"
      variable = "aws:ResourceTag/Project"
      values   = ["false"]
    }

    condition {
      test     = "ForAnyValue:StringEquals"
      variable = "aws:TagKeys"
      values   = ["Project", "Environment"]
    }
  }

  statement {
    sid    = "DenyStateBucketSettings"
    effect = "Deny"
    actions = [
      "s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketAcl",
      "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning",
      "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls", "s3:PutReplicationConfiguration",
    ]
    resources = [var.state_bucket_arn]
  }
}
