# A dead-letter queue per function for asynchronous invocations that still fail after Lambda's retries.
# SSE-SQS, like every dead-letter queue of the stack: dead-lettering must keep working when the project
# key does not, and the roles then need no key permission to send here.

resource "aws_sqs_queue" "dlq" {
  for_each = local.async_functions

  name                      = "${local.function_names[each.key]}-dlq"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600 # 14 days, SQS's maximum: time to inspect and redrive
}

# Lambda sends with the function's role (an identity policy), so the queue policy only refuses plain HTTP.
module "dlq_tls_only" {
  source   = "../tls_only_policy"
  for_each = local.async_functions

  service   = "sqs"
  resources = [aws_sqs_queue.dlq[each.key].arn]
}

resource "aws_sqs_queue_policy" "dlq" {
  for_each = local.async_functions

  queue_url = aws_sqs_queue.dlq[each.key].url
  policy    = module.dlq_tls_only[each.key].json
}
