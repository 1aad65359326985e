# The custom event bus, encrypted with the project's key, with a dead-letter queue of its own, an archive of
# every event for replay, and (only when other accounts publish) a resource policy naming those accounts.

locals {
  create_bus_policy = length(var.publisher_account_ids) > 0
}

resource "aws_cloudwatch_event_bus" "this" {
  name               = var.name
  description        = "Business events (orders, users, payments, inventory) routed by the rules of ${var.name}"
  kms_key_identifier = var.kms_key_arn

  dead_letter_config {
    arn = var.dead_letter_queue_arn
  }
}

resource "aws_cloudwatch_event_archive" "this" {
  name               = var.archive_name
  description        = "Every event published to ${var.name}, kept for replay"
  event_source_arn   = aws_cloudwatch_event_bus.this.arn
  retention_days     = var.archive_retention_days
  kms_key_identifier = var.kms_key_arn
}

resource "aws_cloudwatch_event_bus_policy" "this" {
  count = local.create_bus_policy ? 1 : 0

  event_bus_name = aws_cloudwatch_event_bus.this.name
  policy         = data.aws_iam_policy_document.bus[0].json
}

data "aws_iam_policy_document" "bus" {
  count = local.create_bus_policy ? 1 : 0

  statement {
    sid       = "PublisherAccountsPutEvents"
    actions   = ["events:PutEvents"]
    resources = [aws_cloudwatch_event_bus.this.arn]

    principals {
      type        = "AWS"
      identifiers = var.publisher_account_ids
    }

    # Only the stack's own sources: a publisher account cannot emit aws.* look-alikes or sources the routing
    # table does not expect. ForAllValues checks every entry of the PutEvents call (AWS's documented
    # cross-account example); it holds vacuously when the key is absent, hence the Null check beside it.
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "events:source"
      values   = var.publisher_sources
    }

    condition {
      test     = "Null"
      variable = "events:source"
      values   = ["false"]
    }
  }
}

# The policy a producer's role attaches to publish here (README, "Publishing from your services"): PutEvents on
# this bus only, and only with the stack's sources, so a producer can neither write to another bus nor pose
# as an AWS service or another system. Producers need no key permission: EventBridge encrypts with the bus's
# key through its own key-policy statement. `tooling access` evaluates it (hop "producer").
resource "aws_iam_policy" "publisher" {
  count = var.create_publisher_policy ? 1 : 0

  name        = "${var.name}-publisher"
  description = "PutEvents on ${var.name} with the stack's sources; attach it to the roles of the services that publish"
  policy      = data.aws_iam_policy_document.publisher.json
}

# The policy became count-toggled (create_publisher_policy): an existing stack keeps it, now at [0].
moved {
  from = aws_iam_policy.publisher
  to   = aws_iam_policy.publisher[0]
}

data "aws_iam_policy_document" "publisher" {
  # The failover's secondary bus too (publisher_bus_arns): a PutEvents through the global endpoint is
  # authorized against the bus of whichever region the endpoint sends it to.
  statement {
    sid       = "PutEventsOnTheBus"
    actions   = ["events:PutEvents"]
    resources = concat([aws_cloudwatch_event_bus.this.arn], var.publisher_bus_arns)

    condition {
      test     = "StringEquals"
      variable = "events:source"
      values   = var.publisher_sources
    }
  }
}
