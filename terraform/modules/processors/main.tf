# The Lambda functions, all from the one zip: one log group, one role, one dead-letter queue each.
# EventBridge and SNS invoke them asynchronously, so a failed invocation is retried by Lambda and then
# lands in the function's DLQ instead of disappearing.

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  function_names = { for key in keys(var.functions) : key => "${var.name_prefix}-${key}" }

  # EventBridge and SNS invoke these asynchronously: each gets Lambda's async config and a dead-letter
  # queue. The batch processor is invoked synchronously by its SQS event source mapping (batch.tf), where
  # neither applies: its failed messages stay in the queue and end in the queue's own redrive DLQ.
  async_functions = { for key, fn in var.functions : key => fn if key != "batch-processor" }

  # kms:ViaService values: the roles may use the project key only through these services.
  lambda_via_service   = "lambda.${var.region}.${data.aws_partition.current.dns_suffix}"
  dynamodb_via_service = "dynamodb.${var.region}.${data.aws_partition.current.dns_suffix}"
  sqs_via_service      = "sqs.${var.region}.${data.aws_partition.current.dns_suffix}"
  ssm_via_service      = "ssm.${var.region}.${data.aws_partition.current.dns_suffix}"

  # The webhook URL's parameter, by name only: Terraform neither creates nor reads it (a data source would
  # copy the secret into the state), so its ARN is built here for the notifier's policy. The names are
  # hierarchical ("/a/b"), whose ARN is "parameter/a/b".
  webhook_parameter_arn = var.webhook_parameter == null ? null : "arn:${data.aws_partition.current.partition}:ssm:${var.region}:${data.aws_caller_identity.current.account_id}:parameter${var.webhook_parameter}"

  batch_event_store = try(var.batch_consumer.event_store, null)

  common_environment = {
    POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
    LOG_LEVEL                    = var.log_level
  }

  # Settings each function reads on first use; WEBHOOK_PARAMETER (a name, never the URL) only exists when
  # configured so the notifier can tell "not configured" from "configured empty".
  function_environment = {
    processor = {
      HIGH_VALUE_THRESHOLD = tostring(var.high_value_threshold)
    }
    notifier = merge(
      { IDEMPOTENCY_TABLE = local.idempotency_table.name },
      var.webhook_parameter == null ? {} : { WEBHOOK_PARAMETER = var.webhook_parameter },
    )
    analytics = {}
    # Without a store the consumer only validates and counts; the variable says so explicitly.
    "batch-processor" = local.batch_event_store == null ? tomap({ EVENT_STORE_DISABLED = "true" }) : tomap({
      EVENT_STORE_TABLE    = local.batch_event_store.table_name
      EVENT_STORE_TTL_DAYS = tostring(local.batch_event_store.ttl_days)
    })
  }

  environment = {
    for key in keys(var.functions) : key => merge(
      local.common_environment,
      { POWERTOOLS_SERVICE_NAME = key },
      local.function_environment[key],
    )
  }
}

resource "aws_lambda_function" "this" {
  for_each = var.functions
  # checkov:skip=CKV_AWS_117:The functions call only AWS public endpoints and an optional public webhook; a VPC would add NAT cost and cold-start latency and protect nothing.
  # checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile outside this stack; integrity comes from source_code_hash of the zip that `tooling package` builds deterministically.

  function_name                  = local.function_names[each.key]
  description                    = "${each.key} for the ${var.name_prefix} event bus"
  role                           = aws_iam_role.function[each.key].arn
  filename                       = var.lambda_zip_path
  source_code_hash               = var.lambda_zip_sha256
  handler                        = each.value.handler
  runtime                        = var.runtime
  architectures                  = ["arm64"]
  memory_size                    = each.value.memory_mb
  timeout                        = each.value.timeout_seconds
  reserved_concurrent_executions = each.value.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = local.environment[each.key]
  }

  tracing_config {
    mode = "Active"
  }

  # Only the asynchronously invoked functions: Lambda ignores a DLQ on synchronous (event source) invokes.
  dynamic "dead_letter_config" {
    for_each = [for key, queue in aws_sqs_queue.dlq : queue.arn if key == each.key]

    content {
      target_arn = dead_letter_config.value
    }
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.function[each.key].name
    application_log_level = var.log_level
    system_log_level      = "WARN"
  }

  # The role's policy must exist before the first invocation can log, trace or dead-letter.
  depends_on = [aws_iam_role_policy.function]
}

resource "aws_cloudwatch_log_group" "function" {
  for_each = var.functions
  # checkov:skip=CKV_AWS_338:Retention is a per-environment choice (log_retention_days in environments/<env>.toml); dev keeps 14 days on purpose, prod can set 365 or more.

  name              = "/aws/lambda/${local.function_names[each.key]}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# EventBridge and SNS invoke the functions asynchronously: a function error is not a failed delivery of the
# rule or subscription; Lambda retries it (maximum_retry_attempts) while the event is younger than
# maximum_event_age_in_seconds, then sends it to the function's dead-letter queue. Both come from the
# environment file ([functions.<name>]); the local target reads the same values.
resource "aws_lambda_function_event_invoke_config" "this" {
  for_each = local.async_functions

  function_name                = aws_lambda_function.this[each.key].function_name
  maximum_retry_attempts       = each.value.maximum_retry_attempts
  maximum_event_age_in_seconds = each.value.maximum_event_age_seconds
}
