# What the region's wiring computes for its key (kms.tf): the key policy module kms renders from the grants
# built here, naming this region's bus, the notifications and operations topics, the batch queue and the
# log groups by ARN, and the same grants in a standby region (consumers = false), so turning consumers on
# later changes no key. Plan only, with the real provider rendering the policy documents; the data
# sources of every module are overridden, so nothing calls AWS.
# Run: terraform init -backend=false && terraform test (tests/terraform/test_terraform_test.py runs every module).

provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  max_retries                 = 1
}

override_data {
  target = data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

override_data {
  target = data.aws_partition.current
  values = { partition = "aws", dns_suffix = "amazonaws.com" }
}

override_data {
  target = module.kms.data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

override_data {
  target = module.kms.data.aws_partition.current
  values = { partition = "aws", dns_suffix = "amazonaws.com" }
}

# The other modules' lookups (their values do not matter here; no AWS call may happen).
override_module {
  target = module.processors
  outputs = {
    function_names           = { notifier = "shop-prod-abc123-notifier" }
    function_arns            = { notifier = "arn:aws:lambda:eu-west-1:123456789012:function:shop-prod-abc123-notifier" }
    log_group_names          = {}
    dead_letter_queues       = {}
    idempotency_table_name   = "shop-prod-abc123-idempotency"
    idempotency_table_arn    = "arn:aws:dynamodb:eu-west-1:123456789012:table/shop-prod-abc123-idempotency"
    idempotency_replica_arns = {}
  }
}

override_module {
  target = module.monitoring
  outputs = {
    operations_topic_arn = "arn:aws:sns:eu-west-1:123456789012:shop-prod-abc123-operations"
  }
}

override_module {
  target = module.workflows
  outputs = {
    target_role_arns   = {}
    state_machine_arns = {}
  }
}

override_module {
  target = module.s3_archive
  outputs = {
    target_role_arns = {}
    stream_arns      = {}
  }
}

override_module {
  target = module.forwarding
  outputs = {
    rule_arns = []
  }
}

variables {
  region = "eu-west-1"
  # tooling/config.py decides both (the routing below targets s3-archive and order-workflow); the module
  # narrows them per region (the S3 archive in the primary only, the workflow where consumers run).
  create_s3_archive      = true
  create_workflow        = true
  name_prefix            = "shop-prod-abc123"
  functions              = {}
  lambda_zip_path        = "lambda.zip"
  lambda_zip_sha256      = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
  high_value_threshold   = 500
  archive_retention_days = 30
  log_retention_days     = 30
  alarms = {
    period_seconds     = 300
    evaluation_periods = 1
    lambda_errors      = 1
    lambda_throttles   = 1
    failed_invocations = 1
    dlq_messages       = 1
  }
  rules = {}
}

run "the_key_grants_name_what_this_region_encrypts" {
  command = plan

  assert {
    condition = [
      for s in jsondecode(module.kms.key_policy).Statement : merge(s, {
        Action    = sort(flatten([s.Action]))
        Condition = { for test, keys in try(s.Condition, {}) : test => { for key, values in keys : key => sort(flatten([values])) } }
      })
      ] == [
      {
        Sid       = "AccountAdministersKeyThroughIam"
        Effect    = "Allow"
        Action    = sort(["kms:*"])
        Resource  = "*"
        Principal = { AWS = "arn:aws:iam::123456789012:root" }
        Condition = {}
      },
      {
        Sid       = "EventBridgeDescribesKey"
        Effect    = "Allow"
        Action    = sort(["kms:DescribeKey"])
        Resource  = "*"
        Principal = { Service = "events.amazonaws.com" }
        Condition = {}
      },
      {
        Sid       = "EventBridgeEncryptsBusAndArchive"
        Effect    = "Allow"
        Action    = sort(["kms:GenerateDataKey", "kms:Decrypt", "kms:ReEncrypt*"])
        Resource  = "*"
        Principal = { Service = "events.amazonaws.com" }
        Condition = { StringEquals = { "kms:EncryptionContext:aws:events:event-bus:arn" = sort(["arn:aws:events:eu-west-1:123456789012:event-bus/shop-prod-abc123-bus"]) } }
      },
      {
        Sid       = "EventBridgePublishesToNotificationsTopic"
        Effect    = "Allow"
        Action    = sort(["kms:GenerateDataKey*", "kms:Decrypt"])
        Resource  = "*"
        Principal = { Service = "events.amazonaws.com" }
        Condition = { StringEquals = { "kms:EncryptionContext:aws:sns:topicArn" = sort(["arn:aws:sns:eu-west-1:123456789012:shop-prod-abc123-notifications"]) } }
      },
      {
        Sid       = "EventBridgeRulesSendToBatchQueue"
        Effect    = "Allow"
        Action    = sort(["kms:GenerateDataKey", "kms:Decrypt"])
        Resource  = "*"
        Principal = { Service = "events.amazonaws.com" }
        Condition = { StringEquals = { "kms:EncryptionContext:aws:sqs:arn" = sort(["arn:aws:sqs:eu-west-1:123456789012:shop-prod-abc123-batch"]) } }
      },
      {
        Sid       = "CloudWatchAlarmsPublishToOperationsTopic"
        Effect    = "Allow"
        Action    = sort(["kms:GenerateDataKey*", "kms:Decrypt"])
        Resource  = "*"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Condition = { StringEquals = { "kms:EncryptionContext:aws:sns:topicArn" = sort(["arn:aws:sns:eu-west-1:123456789012:shop-prod-abc123-operations"]) } }
      },
      {
        Sid       = "CloudWatchLogsEncryptsLogGroups"
        Effect    = "Allow"
        Action    = sort(["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"])
        Resource  = "*"
        Principal = { Service = "logs.eu-west-1.amazonaws.com" }
        Condition = {
          ArnLike = { "kms:EncryptionContext:aws:logs:arn" = sort([
            "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/shop-prod-abc123-*",
            "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vendedlogs/states/shop-prod-abc123-*",
            "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/kinesisfirehose/shop-prod-abc123-*",
          ]) }
        }
      },
    ]
    error_message = "Key policy: ${module.kms.key_policy}"
  }
}

run "a_standby_region_grants_the_same" {
  command = plan

  variables {
    primary   = false
    consumers = false
  }

  assert {
    condition = [for s in jsondecode(module.kms.key_policy).Statement : s.Sid] == [
      "AccountAdministersKeyThroughIam", "EventBridgeDescribesKey", "EventBridgeEncryptsBusAndArchive",
      "EventBridgePublishesToNotificationsTopic", "EventBridgeRulesSendToBatchQueue",
      "CloudWatchAlarmsPublishToOperationsTopic", "CloudWatchLogsEncryptsLogGroups",
    ]
    error_message = "Key policy: ${module.kms.key_policy}"
  }
}
