# One role per function, allowed exactly what that function does: write its own log group, send traces,
# dead-letter into its own queue, decrypt its environment, and (notifier only) use the idempotency table and
# read the webhook URL's parameter.
# The project key only through the services that need it (kms:ViaService): the log group is encrypted by
# CloudWatch Logs' own key-policy statement and the DLQ uses SSE-SQS, so neither needs a grant here.

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = var.functions

  name                 = "${local.function_names[each.key]}${var.role_name_suffix}"
  description          = "Execution role of ${local.function_names[each.key]}"
  assume_role_policy   = data.aws_iam_policy_document.assume_role.json
  permissions_boundary = var.permissions_boundary_arn

  lifecycle {
    precondition {
      condition     = length("${local.function_names[each.key]}${var.role_name_suffix}") <= 64
      error_message = "processors: role name ${local.function_names[each.key]}${var.role_name_suffix} is longer than IAM's 64 characters; shorten project or environment."
    }
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = var.functions

  name   = "least-privilege"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.function[each.key].json
}

data "aws_iam_policy_document" "function" {
  for_each = var.functions

  statement {
    sid       = "WriteOwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }

  statement {
    sid       = "SendTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"] # X-Ray trace APIs have no resource-level permissions; AWS requires "*".
  }

  dynamic "statement" {
    for_each = [for key, queue in aws_sqs_queue.dlq : queue.arn if key == each.key]

    content {
      sid       = "DeadLetterFailedInvocations"
      actions   = ["sqs:SendMessage"]
      resources = [statement.value]
    }
  }

  # The environment variables are encrypted with the project key (kms_key_arn of the function); Lambda
  # decrypts them for the function at start-up.
  statement {
    sid       = "DecryptEnvironmentThroughLambda"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [local.lambda_via_service]
    }
  }

  dynamic "statement" {
    for_each = each.key == "notifier" ? [local.idempotency_table.arn] : []

    content {
      sid       = "IdempotencyRecords"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
      resources = [statement.value]
    }
  }

  # The idempotency table is encrypted with the project key: reading and writing items needs Decrypt and
  # GenerateDataKey, and only through DynamoDB.
  dynamic "statement" {
    for_each = each.key == "notifier" ? [var.kms_key_arn] : []

    content {
      sid       = "UseProjectKeyThroughDynamoDb"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.dynamodb_via_service]
      }
    }
  }

  # The webhook URL (a SecureString parameter the operator puts, encrypted with the project key): that one
  # parameter only, and the key only through SSM and only for that parameter (SSM's encryption context).
  dynamic "statement" {
    for_each = each.key == "notifier" && local.webhook_parameter_arn != null ? [local.webhook_parameter_arn] : []

    content {
      sid       = "ReadWebhookParameter"
      actions   = ["ssm:GetParameter"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = each.key == "notifier" && local.webhook_parameter_arn != null ? [local.webhook_parameter_arn] : []

    content {
      sid       = "DecryptWebhookParameterThroughSsm"
      actions   = ["kms:Decrypt"]
      resources = [var.kms_key_arn]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.ssm_via_service]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:EncryptionContext:PARAMETER_ARN"
        values   = [statement.value]
      }
    }
  }
}
