# What the module computes: the functions from the one zip (runtime, architecture, environment per
# function, logging, tracing, DLQ), their log groups, async invoke configs and dead-letter queues, the
# idempotency table (a global table with idempotency_replica; none with idempotency_table, the secondary's
# case), the batch queue's event source mapping, and one least-privilege role per function (the notifier
# alone reaching the idempotency table and the webhook parameter; role_name_suffix); and what it refuses.
# Run: terraform init -backend=false && terraform test (tests/terraform/test_terraform_test.py runs every module).

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

# The real provider renders the aws_iam_policy_document data sources (a mock invents their JSON). Every
# resource is overridden, so an apply with it creates nothing and calls no AWS API.
provider "aws" {
  alias                       = "render"
  region                      = "us-east-1"
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

override_resource {
  target = aws_cloudwatch_log_group.function["processor"]
  values = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-abc123-processor" }
}

override_resource {
  target = aws_cloudwatch_log_group.function["notifier"]
  values = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-abc123-notifier" }
}

override_resource {
  target = aws_cloudwatch_log_group.function["analytics"]
  values = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-abc123-analytics" }
}

override_resource {
  target = aws_cloudwatch_log_group.function["batch-processor"]
  values = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-abc123-batch-processor" }
}

override_resource {
  target = aws_iam_role.function["processor"]
  values = {
    arn = "arn:aws:iam::123456789012:role/shop-dev-abc123-processor"
    id  = "shop-dev-abc123-processor"
  }
}

override_resource {
  target = aws_iam_role.function["notifier"]
  values = {
    arn = "arn:aws:iam::123456789012:role/shop-dev-abc123-notifier"
    id  = "shop-dev-abc123-notifier"
  }
}

override_resource {
  target = aws_iam_role.function["analytics"]
  values = {
    arn = "arn:aws:iam::123456789012:role/shop-dev-abc123-analytics"
    id  = "shop-dev-abc123-analytics"
  }
}

override_resource {
  target = aws_iam_role.function["batch-processor"]
  values = {
    arn = "arn:aws:iam::123456789012:role/shop-dev-abc123-batch-processor"
    id  = "shop-dev-abc123-batch-processor"
  }
}

override_resource {
  target = aws_lambda_function.this["processor"]
  values = { arn = "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-abc123-processor" }
}

override_resource {
  target = aws_lambda_function.this["notifier"]
  values = { arn = "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-abc123-notifier" }
}

override_resource {
  target = aws_lambda_function.this["analytics"]
  values = { arn = "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-abc123-analytics" }
}

override_resource {
  target = aws_lambda_function.this["batch-processor"]
  values = { arn = "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-abc123-batch-processor" }
}

override_resource {
  target = aws_sqs_queue.dlq["processor"]
  values = {
    arn  = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-processor-dlq"
    url  = "https://sqs.us-east-1.amazonaws.com/123456789012/shop-dev-abc123-processor-dlq"
    name = "shop-dev-abc123-processor-dlq"
  }
}

override_resource {
  target = aws_sqs_queue.dlq["notifier"]
  values = {
    arn  = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-notifier-dlq"
    url  = "https://sqs.us-east-1.amazonaws.com/123456789012/shop-dev-abc123-notifier-dlq"
    name = "shop-dev-abc123-notifier-dlq"
  }
}

override_resource {
  target = aws_sqs_queue.dlq["analytics"]
  values = {
    arn  = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-analytics-dlq"
    url  = "https://sqs.us-east-1.amazonaws.com/123456789012/shop-dev-abc123-analytics-dlq"
    name = "shop-dev-abc123-analytics-dlq"
  }
}

override_resource {
  target = aws_dynamodb_table.idempotency
  values = { arn = "arn:aws:dynamodb:us-east-1:123456789012:table/shop-dev-abc123-idempotency" }
}

override_resource {
  target = aws_lambda_event_source_mapping.batch
  values = { uuid = "a1b2c3d4-0000-1111-2222-333344445555" }
}

override_resource {
  target = aws_iam_role_policy.function
}

override_resource {
  target = aws_iam_role_policy.batch_consumer
}

override_resource {
  target = aws_sqs_queue_policy.dlq
}

override_resource {
  target = aws_lambda_function_event_invoke_config.this
}

variables {
  name_prefix          = "shop-dev-abc123"
  region               = "us-east-1"
  lambda_zip_path      = "build/lambda.zip"
  lambda_zip_sha256    = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
  kms_key_arn          = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  high_value_threshold = 1000
  webhook_parameter    = "/shop/dev/webhook-url"

  functions = {
    processor = { handler = "event_processors.processor.handler", memory_mb = 256, timeout_seconds = 30 }
    notifier = {
      handler                   = "event_processors.notifier.handler"
      memory_mb                 = 512
      timeout_seconds           = 20
      reserved_concurrency      = 5
      maximum_retry_attempts    = 1
      maximum_event_age_seconds = 3600
    }
    analytics         = { handler = "event_processors.analytics.handler", memory_mb = 256, timeout_seconds = 30 }
    "batch-processor" = { handler = "event_processors.batch_processor.handler", memory_mb = 256, timeout_seconds = 60 }
  }

  batch_consumer = {
    queue_arn               = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-batch"
    batch_size              = 10
    batching_window_seconds = 5
    event_store = {
      table_name = "shop-dev-abc123-events"
      table_arn  = "arn:aws:dynamodb:us-east-1:123456789012:table/shop-dev-abc123-events"
      ttl_days   = 90
    }
  }
}

run "functions_run_from_the_zip_on_arm64_with_tracing_and_json_logs" {
  command = plan

  assert {
    condition = {
      for key, fn in aws_lambda_function.this : key => [fn.function_name, fn.handler, fn.memory_size, fn.timeout]
      } == {
      processor         = ["shop-dev-abc123-processor", "event_processors.processor.handler", 256, 30]
      notifier          = ["shop-dev-abc123-notifier", "event_processors.notifier.handler", 512, 20]
      analytics         = ["shop-dev-abc123-analytics", "event_processors.analytics.handler", 256, 30]
      "batch-processor" = ["shop-dev-abc123-batch-processor", "event_processors.batch_processor.handler", 256, 60]
    }
    error_message = "Each function is <name_prefix>-<key> with its own handler, memory and timeout."
  }

  assert {
    condition = {
      for key, fn in aws_lambda_function.this : key => fn.reserved_concurrent_executions if fn.reserved_concurrent_executions != null
    } == { notifier = 5 }
    error_message = "Only a function given reserved_concurrency reserves any."
  }

  assert {
    condition = alltrue([
      for fn in aws_lambda_function.this :
      fn.runtime == "python3.13" && fn.architectures == tolist(["arm64"]) && fn.filename == var.lambda_zip_path
      && fn.source_code_hash == var.lambda_zip_sha256 && fn.kms_key_arn == var.kms_key_arn && fn.tracing_config[0].mode == "Active"
    ])
    error_message = "Every function: python3.13 on arm64, the one zip and its hash, the key, active tracing."
  }

  assert {
    condition = alltrue([
      for key, fn in aws_lambda_function.this :
      fn.logging_config[0].log_format == "JSON" && fn.logging_config[0].log_group == "/aws/lambda/shop-dev-abc123-${key}"
      && fn.logging_config[0].application_log_level == "INFO" && fn.logging_config[0].system_log_level == "WARN"
    ])
    error_message = "Every function logs JSON to its own group, application INFO, system WARN."
  }

  assert {
    condition = {
      for key, group in aws_cloudwatch_log_group.function : key => [group.name, group.retention_in_days, group.kms_key_id]
      } == {
      processor         = ["/aws/lambda/shop-dev-abc123-processor", 14, var.kms_key_arn]
      notifier          = ["/aws/lambda/shop-dev-abc123-notifier", 14, var.kms_key_arn]
      analytics         = ["/aws/lambda/shop-dev-abc123-analytics", 14, var.kms_key_arn]
      "batch-processor" = ["/aws/lambda/shop-dev-abc123-batch-processor", 14, var.kms_key_arn]
    }
    error_message = "One encrypted log group per function, kept log_retention_days."
  }

  assert {
    condition = { for key, role in aws_iam_role.function : key => role.name } == {
      processor         = "shop-dev-abc123-processor"
      notifier          = "shop-dev-abc123-notifier"
      analytics         = "shop-dev-abc123-analytics"
      "batch-processor" = "shop-dev-abc123-batch-processor"
    }
    error_message = "One role per function, named like it."
  }
}

run "each_function_gets_the_settings_it_reads_and_nothing_else" {
  command = plan

  assert {
    condition = { for key, fn in aws_lambda_function.this : key => fn.environment[0].variables } == {
      processor = tomap({
        POWERTOOLS_METRICS_NAMESPACE = "EcommerceEvents", LOG_LEVEL = "INFO", POWERTOOLS_SERVICE_NAME = "processor"
        HIGH_VALUE_THRESHOLD         = "1000"
      })
      notifier = tomap({
        POWERTOOLS_METRICS_NAMESPACE = "EcommerceEvents", LOG_LEVEL = "INFO", POWERTOOLS_SERVICE_NAME = "notifier"
        IDEMPOTENCY_TABLE            = "shop-dev-abc123-idempotency"
        # The parameter's name, never the URL.
        WEBHOOK_PARAMETER = "/shop/dev/webhook-url"
      })
      analytics = tomap({
        POWERTOOLS_METRICS_NAMESPACE = "EcommerceEvents", LOG_LEVEL = "INFO", POWERTOOLS_SERVICE_NAME = "analytics"
      })
      "batch-processor" = tomap({
        POWERTOOLS_METRICS_NAMESPACE = "EcommerceEvents", LOG_LEVEL = "INFO", POWERTOOLS_SERVICE_NAME = "batch-processor"
        EVENT_STORE_TABLE            = "shop-dev-abc123-events", EVENT_STORE_TTL_DAYS = "90"
      })
    }
    error_message = "Environment per function: the Powertools settings plus what that function reads."
  }
}

run "the_asynchronously_invoked_functions_retry_then_dead_letter" {
  command = plan

  assert {
    condition = {
      for key, config in aws_lambda_function_event_invoke_config.this : key => [config.function_name, config.maximum_retry_attempts, config.maximum_event_age_in_seconds]
      } == {
      processor = ["shop-dev-abc123-processor", 2, 21600]
      notifier  = ["shop-dev-abc123-notifier", 1, 3600]
      analytics = ["shop-dev-abc123-analytics", 2, 21600]
    }
    error_message = "An invoke config per asynchronously invoked function (not the batch processor), Lambda's defaults unless set."
  }

  assert {
    condition = {
      for key, queue in aws_sqs_queue.dlq : key => [queue.name, queue.sqs_managed_sse_enabled, queue.message_retention_seconds, queue.kms_master_key_id == null]
      } == {
      processor = ["shop-dev-abc123-processor-dlq", true, 1209600, true]
      notifier  = ["shop-dev-abc123-notifier-dlq", true, 1209600, true]
      analytics = ["shop-dev-abc123-analytics-dlq", true, 1209600, true]
    }
    error_message = "A DLQ per asynchronously invoked function, SSE-SQS (not the key it guards against), kept 14 days."
  }

  assert {
    condition = (
      length(aws_dynamodb_table.idempotency) == 1
      && aws_dynamodb_table.idempotency[0].name == "shop-dev-abc123-idempotency"
      && aws_dynamodb_table.idempotency[0].billing_mode == "PAY_PER_REQUEST"
      && aws_dynamodb_table.idempotency[0].hash_key == "id"
      && [for a in aws_dynamodb_table.idempotency[0].attribute : [a.name, a.type]] == [["id", "S"]]
      && aws_dynamodb_table.idempotency[0].ttl[0].attribute_name == "expiration" && aws_dynamodb_table.idempotency[0].ttl[0].enabled
      && aws_dynamodb_table.idempotency[0].point_in_time_recovery[0].enabled
      && aws_dynamodb_table.idempotency[0].server_side_encryption[0].kms_key_arn == var.kms_key_arn
      && !aws_dynamodb_table.idempotency[0].deletion_protection_enabled
    )
    error_message = "The idempotency table has Powertools' layout (key id, TTL expiration), PITR and the key."
  }

  assert {
    # (Its stream settings stay unset, unknown in a plan: an existing table sees no change.)
    condition     = length(aws_dynamodb_table.idempotency[0].replica) == 0
    error_message = "Without idempotency_replica the table is regional: no replica."
  }

  assert {
    condition = (
      aws_lambda_event_source_mapping.batch[0].event_source_arn == var.batch_consumer.queue_arn
      && aws_lambda_event_source_mapping.batch[0].batch_size == 10
      && aws_lambda_event_source_mapping.batch[0].maximum_batching_window_in_seconds == 5
      && aws_lambda_event_source_mapping.batch[0].function_response_types == toset(["ReportBatchItemFailures"])
      && aws_lambda_event_source_mapping.batch[0].enabled
    )
    error_message = "The batch queue's mapping: its size and window, partial batch failures."
  }

  assert {
    condition     = length(aws_lambda_event_source_mapping.batch[0].filter_criteria) == 0
    error_message = "Without a filter_pattern the mapping filters nothing."
  }
}

run "a_filter_pattern_becomes_the_mappings_filter_criteria" {
  command = plan

  variables {
    batch_consumer = {
      queue_arn               = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-batch"
      batch_size              = 10
      batching_window_seconds = 5
      filter_pattern          = "{\"body\":{\"detail-type\":[\"Order Created\"]}}"
    }
  }

  assert {
    condition     = one(one(aws_lambda_event_source_mapping.batch[0].filter_criteria).filter).pattern == "{\"body\":{\"detail-type\":[\"Order Created\"]}}"
    error_message = "The filter pattern reaches Lambda as the mapping's one FilterCriteria pattern, unchanged."
  }
}

run "without_webhook_or_event_store_the_environment_says_so" {
  command = plan

  variables {
    webhook_parameter = null
    batch_consumer = {
      queue_arn               = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-batch"
      batch_size              = 10
      batching_window_seconds = 5
    }
  }

  assert {
    condition     = !contains(keys(aws_lambda_function.this["notifier"].environment[0].variables), "WEBHOOK_PARAMETER")
    error_message = "Without a webhook parameter the notifier's environment has no WEBHOOK_PARAMETER."
  }

  assert {
    condition = aws_lambda_function.this["batch-processor"].environment[0].variables == tomap({
      POWERTOOLS_METRICS_NAMESPACE = "EcommerceEvents", LOG_LEVEL = "INFO", POWERTOOLS_SERVICE_NAME = "batch-processor"
      EVENT_STORE_DISABLED         = "true"
    })
    error_message = "Without an event store the batch processor is told so explicitly."
  }
}

run "without_a_batch_consumer_there_is_no_mapping" {
  command = apply

  variables {
    functions = {
      notifier = { handler = "event_processors.notifier.handler", memory_mb = 256, timeout_seconds = 30 }
    }
    batch_consumer = null
  }

  assert {
    condition     = length(aws_lambda_event_source_mapping.batch) == 0 && length(aws_iam_role_policy.batch_consumer) == 0
    error_message = "batch_consumer = null creates no mapping and no consumer policy."
  }

  assert {
    condition     = output.event_source_mapping_uuid == "" && keys(output.function_names) == ["notifier"]
    error_message = "Without a mapping its uuid output is empty; only the given functions exist."
  }
}

run "each_role_reaches_only_what_its_function_uses" {
  command   = apply
  providers = { aws = aws.render }

  assert {
    condition = alltrue([
      for role in aws_iam_role.function : jsondecode(role.assume_role_policy).Statement == [{
        Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" }
      }]
    ])
    error_message = "Only Lambda may assume the function roles."
  }

  assert {
    condition = { for key, fn in aws_lambda_function.this : key => fn.role } == {
      processor         = "arn:aws:iam::123456789012:role/shop-dev-abc123-processor"
      notifier          = "arn:aws:iam::123456789012:role/shop-dev-abc123-notifier"
      analytics         = "arn:aws:iam::123456789012:role/shop-dev-abc123-analytics"
      "batch-processor" = "arn:aws:iam::123456789012:role/shop-dev-abc123-batch-processor"
    }
    error_message = "Each function runs with its own role."
  }

  assert {
    condition = { for key, fn in aws_lambda_function.this : key => [for dlq in fn.dead_letter_config : dlq.target_arn] } == {
      processor         = ["arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-processor-dlq"]
      notifier          = ["arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-notifier-dlq"]
      analytics         = ["arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-analytics-dlq"]
      "batch-processor" = []
    }
    error_message = "Each asynchronously invoked function dead-letters into its own queue; the batch processor has none."
  }

  assert {
    # Actions compared sorted: the provider renders them in an order of its own.
    condition = [
      for statement in jsondecode(aws_iam_role_policy.function["processor"].policy).Statement :
      merge(statement, { Action = sort(flatten([statement.Action])) })
      ] == [
      { Sid = "WriteOwnLogGroup", Effect = "Allow", Action = sort(["logs:CreateLogStream", "logs:PutLogEvents"]), Resource = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-abc123-processor:*" },
      { Sid = "SendTraces", Effect = "Allow", Action = sort(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]), Resource = "*" },
      { Sid = "DeadLetterFailedInvocations", Effect = "Allow", Action = sort(["sqs:SendMessage"]), Resource = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-processor-dlq" },
      {
        Sid       = "DecryptEnvironmentThroughLambda", Effect = "Allow", Action = sort(["kms:Decrypt"]), Resource = var.kms_key_arn
        Condition = { StringEquals = { "kms:ViaService" = "lambda.us-east-1.amazonaws.com" } }
      },
    ]
    error_message = "Processor policy: ${aws_iam_role_policy.function["processor"].policy}"
  }

  assert {
    condition = [
      for statement in jsondecode(aws_iam_role_policy.function["notifier"].policy).Statement :
      merge(statement, { Action = sort(flatten([statement.Action])) })
      ] == [
      { Sid = "WriteOwnLogGroup", Effect = "Allow", Action = sort(["logs:CreateLogStream", "logs:PutLogEvents"]), Resource = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-abc123-notifier:*" },
      { Sid = "SendTraces", Effect = "Allow", Action = sort(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]), Resource = "*" },
      { Sid = "DeadLetterFailedInvocations", Effect = "Allow", Action = sort(["sqs:SendMessage"]), Resource = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-notifier-dlq" },
      {
        Sid       = "DecryptEnvironmentThroughLambda", Effect = "Allow", Action = sort(["kms:Decrypt"]), Resource = var.kms_key_arn
        Condition = { StringEquals = { "kms:ViaService" = "lambda.us-east-1.amazonaws.com" } }
      },
      {
        Sid      = "IdempotencyRecords", Effect = "Allow", Action = sort(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"])
        Resource = "arn:aws:dynamodb:us-east-1:123456789012:table/shop-dev-abc123-idempotency"
      },
      {
        Sid       = "UseProjectKeyThroughDynamoDb", Effect = "Allow", Action = sort(["kms:Decrypt", "kms:GenerateDataKey"]), Resource = var.kms_key_arn
        Condition = { StringEquals = { "kms:ViaService" = "dynamodb.us-east-1.amazonaws.com" } }
      },
      { Sid = "ReadWebhookParameter", Effect = "Allow", Action = sort(["ssm:GetParameter"]), Resource = "arn:aws:ssm:us-east-1:123456789012:parameter/shop/dev/webhook-url" },
      {
        Sid = "DecryptWebhookParameterThroughSsm", Effect = "Allow", Action = sort(["kms:Decrypt"]), Resource = var.kms_key_arn
        Condition = { StringEquals = {
          "kms:ViaService"                      = "ssm.us-east-1.amazonaws.com"
          "kms:EncryptionContext:PARAMETER_ARN" = "arn:aws:ssm:us-east-1:123456789012:parameter/shop/dev/webhook-url"
        } }
      },
    ]
    error_message = "Notifier policy: ${aws_iam_role_policy.function["notifier"].policy}"
  }

  assert {
    condition = [
      for statement in jsondecode(aws_iam_role_policy.function["batch-processor"].policy).Statement : statement.Sid
    ] == ["WriteOwnLogGroup", "SendTraces", "DecryptEnvironmentThroughLambda"]
    error_message = "The batch processor's role has no DLQ, table or parameter statement."
  }

  assert {
    condition = [
      for statement in jsondecode(aws_iam_role_policy.batch_consumer[0].policy).Statement :
      merge(statement, { Action = sort(flatten([statement.Action])) })
      ] == [
      {
        Sid      = "PollBatchQueue", Effect = "Allow", Action = sort(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"])
        Resource = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-batch"
      },
      {
        Sid       = "DecryptBatchQueueThroughSqs", Effect = "Allow", Action = sort(["kms:Decrypt"]), Resource = var.kms_key_arn
        Condition = { StringEquals = { "kms:ViaService" = "sqs.us-east-1.amazonaws.com" } }
      },
      { Sid = "WriteEventStore", Effect = "Allow", Action = sort(["dynamodb:PutItem"]), Resource = "arn:aws:dynamodb:us-east-1:123456789012:table/shop-dev-abc123-events" },
      {
        Sid       = "UseProjectKeyThroughDynamoDb", Effect = "Allow", Action = sort(["kms:Decrypt", "kms:GenerateDataKey"]), Resource = var.kms_key_arn
        Condition = { StringEquals = { "kms:ViaService" = "dynamodb.us-east-1.amazonaws.com" } }
      },
    ]
    error_message = "Batch consumer policy: ${aws_iam_role_policy.batch_consumer[0].policy}"
  }

  assert {
    condition     = aws_iam_role_policy.batch_consumer[0].role == "shop-dev-abc123-batch-processor" && aws_lambda_event_source_mapping.batch[0].function_name == "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-abc123-batch-processor"
    error_message = "The mapping invokes the batch processor, whose role holds the consumer policy."
  }

  assert {
    condition = alltrue([
      for key, policy in aws_sqs_queue_policy.dlq : jsondecode(policy.policy).Statement == [{
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Action    = "sqs:*"
        Resource  = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-${key}-dlq"
        Principal = "*"
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      }]
    ]) && length(aws_sqs_queue_policy.dlq) == 3
    error_message = "Each DLQ's policy refuses plain HTTP, and only that."
  }

  assert {
    condition = (
      output.function_arns["batch-processor"] == "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-abc123-batch-processor"
      && output.function_names == { for key in keys(var.functions) : key => "shop-dev-abc123-${key}" }
      && output.log_group_names == { for key in keys(var.functions) : key => "/aws/lambda/shop-dev-abc123-${key}" }
      && output.role_arns["notifier"] == "arn:aws:iam::123456789012:role/shop-dev-abc123-notifier"
      && output.dead_letter_queues == {
        for key in ["processor", "notifier", "analytics"] : key => {
          name = "shop-dev-abc123-${key}-dlq"
          url  = "https://sqs.us-east-1.amazonaws.com/123456789012/shop-dev-abc123-${key}-dlq"
        }
      }
      && output.idempotency_table_name == "shop-dev-abc123-idempotency"
      && output.idempotency_table_arn == "arn:aws:dynamodb:us-east-1:123456789012:table/shop-dev-abc123-idempotency"
      && output.event_source_mapping_uuid == "a1b2c3d4-0000-1111-2222-333344445555"
      && output.idempotency_replica_arns == {}
    )
    error_message = "The outputs: maps keyed by logical function name, the DLQs of the async functions, the table, the mapping."
  }
}

run "without_webhook_or_event_store_the_roles_reach_neither" {
  command   = apply
  providers = { aws = aws.render }

  variables {
    webhook_parameter = null
    batch_consumer = {
      queue_arn               = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-batch"
      batch_size              = 10
      batching_window_seconds = 5
    }
  }

  assert {
    condition = [
      for statement in jsondecode(aws_iam_role_policy.function["notifier"].policy).Statement : statement.Sid
    ] == ["WriteOwnLogGroup", "SendTraces", "DeadLetterFailedInvocations", "DecryptEnvironmentThroughLambda", "IdempotencyRecords", "UseProjectKeyThroughDynamoDb"]
    error_message = "Without a webhook parameter the notifier may read no parameter."
  }

  assert {
    condition = [
      for statement in jsondecode(aws_iam_role_policy.batch_consumer[0].policy).Statement : statement.Sid
    ] == ["PollBatchQueue", "DecryptBatchQueueThroughSqs"]
    error_message = "Without an event store the consumer may write no table."
  }
}

run "arns_and_key_conditions_follow_the_partition_and_region" {
  command   = apply
  providers = { aws = aws.render }

  variables {
    region = "cn-north-1"
  }

  override_data {
    target = data.aws_partition.current
    values = { partition = "aws-cn", dns_suffix = "amazonaws.com.cn" }
  }

  assert {
    condition = {
      for statement in jsondecode(aws_iam_role_policy.function["notifier"].policy).Statement : statement.Sid => statement.Condition
      if can(statement.Condition)
      } == {
      DecryptEnvironmentThroughLambda = { StringEquals = { "kms:ViaService" = "lambda.cn-north-1.amazonaws.com.cn" } }
      UseProjectKeyThroughDynamoDb    = { StringEquals = { "kms:ViaService" = "dynamodb.cn-north-1.amazonaws.com.cn" } }
      DecryptWebhookParameterThroughSsm = { StringEquals = {
        "kms:ViaService"                      = "ssm.cn-north-1.amazonaws.com.cn"
        "kms:EncryptionContext:PARAMETER_ARN" = "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/shop/dev/webhook-url"
      } }
    }
    error_message = "kms:ViaService values and the parameter's ARN come from the partition and region: ${aws_iam_role_policy.function["notifier"].policy}"
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.batch_consumer[0].policy).Statement[1].Condition.StringEquals["kms:ViaService"] == "sqs.cn-north-1.amazonaws.com.cn"
    error_message = "The batch queue's key condition follows the partition and region too."
  }
}

# [failover] with consumers in both regions, the primary's side: the idempotency table becomes a global
# table with a replica in the secondary region, encrypted with that region's key.
run "with_a_replica_the_idempotency_table_is_a_global_table" {
  command = apply

  variables {
    idempotency_replica = {
      region_name = "us-west-2"
      kms_key_arn = "arn:aws:kms:us-west-2:123456789012:key/66666666-7777-8888-9999-000000000000"
    }
  }

  assert {
    # DynamoDB replicates a global table through its stream, which must carry both images.
    condition     = aws_dynamodb_table.idempotency[0].stream_enabled == true && aws_dynamodb_table.idempotency[0].stream_view_type == "NEW_AND_OLD_IMAGES"
    error_message = "A global table has its stream on with NEW_AND_OLD_IMAGES."
  }

  assert {
    condition = [for replica in aws_dynamodb_table.idempotency[0].replica : [replica.region_name, replica.kms_key_arn, replica.point_in_time_recovery, replica.propagate_tags]] == [
      ["us-west-2", "arn:aws:kms:us-west-2:123456789012:key/66666666-7777-8888-9999-000000000000", true, true]
    ]
    error_message = "One replica, in the given region, with that region's key, PITR and the table's tags."
  }

  assert {
    condition     = keys(output.idempotency_replica_arns) == ["us-west-2"] && output.idempotency_table_name == "shop-dev-abc123-idempotency"
    error_message = "idempotency_replica_arns maps the replica's region to its ARN; the table keeps its name."
  }
}

# [failover] with consumers in both regions, the secondary's side: no table of its own (it uses the replica
# of the primary's global table), and role names of their own (IAM names are global).
run "the_secondary_uses_the_given_table_and_suffixes_its_role_names" {
  command   = apply
  providers = { aws = aws.render }

  variables {
    region           = "us-west-2"
    role_name_suffix = "-dr"
    idempotency_table = {
      name = "shop-dev-abc123-idempotency"
      arn  = "arn:aws:dynamodb:us-west-2:123456789012:table/shop-dev-abc123-idempotency"
    }
  }

  assert {
    condition     = length(aws_dynamodb_table.idempotency) == 0
    error_message = "With idempotency_table the module creates no table."
  }

  assert {
    condition = (
      aws_lambda_function.this["notifier"].environment[0].variables["IDEMPOTENCY_TABLE"] == "shop-dev-abc123-idempotency"
      && output.idempotency_table_name == "shop-dev-abc123-idempotency"
      && output.idempotency_table_arn == "arn:aws:dynamodb:us-west-2:123456789012:table/shop-dev-abc123-idempotency"
      && output.idempotency_replica_arns == {}
    )
    error_message = "The notifier and the outputs name the given table."
  }

  assert {
    condition = [
      for statement in jsondecode(aws_iam_role_policy.function["notifier"].policy).Statement : statement.Resource
      if statement.Sid == "IdempotencyRecords"
    ] == ["arn:aws:dynamodb:us-west-2:123456789012:table/shop-dev-abc123-idempotency"]
    error_message = "The notifier may use the given table (this region's replica): ${aws_iam_role_policy.function["notifier"].policy}"
  }

  assert {
    # Only the roles: functions, log groups and queues are regional and keep their names.
    condition = (
      { for key, role in aws_iam_role.function : key => role.name } == { for key in keys(var.functions) : key => "shop-dev-abc123-${key}-dr" }
      && output.function_names == { for key in keys(var.functions) : key => "shop-dev-abc123-${key}" }
      && { for key, queue in aws_sqs_queue.dlq : key => queue.name } == { for key in ["processor", "notifier", "analytics"] : key => "shop-dev-abc123-${key}-dlq" }
    )
    error_message = "role_name_suffix is appended to the role names only."
  }
}

run "a_role_name_over_iams_64_characters_is_refused" {
  command = plan

  variables {
    # 39 characters, the longest name_prefix: <prefix>-batch-processor<suffix> is 65 characters.
    name_prefix      = "shop-production-abcdefgh-ijklmnopqrstuv"
    role_name_suffix = "-secondary"
  }

  expect_failures = [aws_iam_role.function]
}

# One bad value per variable: each listed variable must refuse its own, and nothing else may fail.
run "a_bad_prefix_function_set_batch_size_runtime_retention_level_and_parameter_name_are_refused" {
  command = plan

  variables {
    name_prefix = "Shop"
    functions = {
      notifier = { handler = "event_processors.notifier.handler", memory_mb = 256, timeout_seconds = 30 }
      mailer   = { handler = "event_processors.mailer.handler", memory_mb = 256, timeout_seconds = 30 }
    }
    batch_consumer = {
      queue_arn               = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-batch"
      batch_size              = 0
      batching_window_seconds = 5
    }
    runtime            = "python3.11"
    log_retention_days = 13
    log_level          = "TRACE"
    webhook_parameter  = "webhook-url"
    role_name_suffix   = "/dr"
  }

  expect_failures = [
    var.name_prefix, var.functions, var.batch_consumer, var.runtime, var.log_retention_days, var.log_level,
    var.webhook_parameter, var.role_name_suffix,
  ]
}

run "a_batching_window_over_five_minutes_is_refused" {
  command = plan

  variables {
    batch_consumer = {
      queue_arn               = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-batch"
      batch_size              = 10
      batching_window_seconds = 301
    }
  }

  expect_failures = [var.batch_consumer]
}
