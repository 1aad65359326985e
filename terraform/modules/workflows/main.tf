# The order-fulfilment workflow, an EventBridge target: one EXPRESS state machine that checks each new order's
# total and publishes "Order Flagged" (above the threshold) or "Order Accepted" back onto the bus through the
# optimized events:putEvents integration. tooling/local/workflows.py restates this definition for the local target;
# change both together (tests/terraform/test_order_workflow.py compares them).
#
# EXPRESS rather than STANDARD: an execution is three states and well under a second, one per new order;
# EXPRESS bills per request and duration (STANDARD per state transition, ~25x more at this shape), and its
# at-least-once start is no weaker than EventBridge's own at-least-once delivery, which consumers already
# handle. What EXPRESS gives up, the execution history in the console, lives in the log group below.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = var.region

  state_machine_name = "${var.name_prefix}-order-fulfilment"
  # Built from the name: the role's trust policy names the state machine, which needs the role first.
  state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.state_machine_name}"
  # /aws/vendedlogs/ keeps Step Functions' log-delivery resource policy from growing per log group (AWS's
  # recommendation); the KMS key policy (module messaging) lets CloudWatch Logs use the key for this prefix.
  log_group_name = "/aws/vendedlogs/states/${local.state_machine_name}"

  # What the workflow publishes. The detail-types are ones no rule that starts the workflow may match
  # (tooling/config.py refuses such a rule), so an execution never starts another.
  published_source = "ecommerce.orders"
  published_detail_types = {
    flagged  = "Order Flagged"
    accepted = "Order Accepted"
  }
  # Parameters.Entries[0].Detail of both publishing tasks: fields copied from the triggering event, plus
  # the threshold the decision used.
  published_detail = {
    "orderId.$"       = "$.detail.orderId"
    "customerId.$"    = "$.detail.customerId"
    "totalAmount.$"   = "$.detail.totalAmount"
    "sourceEventId.$" = "$.id"
    "timestamp.$"     = "$.time"
    threshold         = var.high_value_threshold
  }
  # With a global endpoint and replication, each order event reaches both regions and each region's
  # workflow runs once for it: the two executions must publish the SAME outcome event as far as consumers
  # can tell, so that they produce one effect (one event store item, keyed <time>#<idempotencyKey>).
  # Hence a deterministic idempotencyKey, "<detail-type>#<orderId>" (what a consumer would derive from the
  # outcome's type and order id anyway), and the order event's own time as the outcome's detail.timestamp
  # (the producer's time, which the event store keys on; each execution's clock differs). The time goes in
  # the detail, not PutEvents' Time field, which Step Functions' putEvents integration does not document.
  published_idempotency_key = "States.Format('%s#{}', $.detail.orderId)"

  definition = {
    Comment = "Order fulfilment: flag orders above ${var.high_value_threshold}, accept the others."
    StartAt = "CheckTotal"
    States = {
      CheckTotal = {
        Type = "Choice"
        # First match wins: a missing or non-numeric total fails the execution instead of being accepted.
        Choices = [
          { Variable = "$.detail.totalAmount", IsPresent = false, Next = "InvalidOrder" },
          { Variable = "$.detail.totalAmount", IsNumeric = false, Next = "InvalidOrder" },
          { Variable = "$.detail.totalAmount", NumericGreaterThan = var.high_value_threshold, Next = "FlagOrder" },
        ]
        Default = "AcceptOrder"
      }
      FlagOrder   = local.publish_states.flagged
      AcceptOrder = local.publish_states.accepted
      InvalidOrder = {
        Type  = "Fail"
        Error = "Order.InvalidTotal"
        Cause = "detail.totalAmount is missing or not a number"
      }
      Done = {
        Type = "Succeed"
      }
    }
  }

  publish_states = {
    for key, detail_type in local.published_detail_types : key => {
      Type     = "Task"
      Resource = "arn:${local.partition}:states:::events:putEvents"
      Parameters = {
        Entries = [{
          EventBusName = var.event_bus_name
          Source       = local.published_source
          DetailType   = detail_type
          Detail       = merge(local.published_detail, { "idempotencyKey.$" = format(local.published_idempotency_key, detail_type) })
        }]
      }
      ResultSelector = {
        detailType  = detail_type
        "eventId.$" = "$.Entries[0].EventId"
      }
      # A throttled or failed call, or a rejected entry (EventBridge.FailedEntry: PutEvents throttles per
      # entry too), is tried 3 more times; then the execution fails and the ExecutionsFailed alarm fires.
      # States.ALL never retries States.Runtime (a path missing from the input): that fails at once.
      Retry = [{
        ErrorEquals     = ["States.ALL"]
        IntervalSeconds = 1
        MaxAttempts     = 3
        BackoffRate     = 2
      }]
      Next = "Done"
    }
  }
}

resource "aws_sfn_state_machine" "this" {
  # checkov:skip=CKV_AWS_285:execution data stays out of the log on purpose: the input is the whole order event and orders carry customerEmail (issue 28); every step is still logged (level ALL)
  count = var.create_workflow ? 1 : 0

  name       = local.state_machine_name
  type       = "EXPRESS"
  role_arn   = aws_iam_role.state_machine[0].arn
  definition = jsonencode(local.definition)

  logging_configuration {
    log_destination = "${aws_cloudwatch_log_group.this[0].arn}:*"
    # EXPRESS keeps no execution history of its own: this log is it, so every step is logged (ALL), but
    # without execution data: the input is the whole order event, and orders carry customerEmail. Ids,
    # amounts and outcomes are in the events the workflow publishes (and in the S3/EventBridge archives).
    include_execution_data = false
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = true
  }

  # Log delivery is set up with the role's permissions while the state machine is created.
  depends_on = [aws_iam_role_policy.state_machine]
}

resource "aws_cloudwatch_log_group" "this" {
  count = var.create_workflow ? 1 : 0
  # checkov:skip=CKV_AWS_338:Retention is a per-environment choice (log_retention_days in environments/<env>.toml); dev keeps 14 days on purpose, prod can set 365 or more.

  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}
