# Operations topic every alarm notifies, and the dashboard. The alarms live in alarms.tf.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  region           = var.region
  alarm_arn_prefix = "arn:${data.aws_partition.current.partition}:cloudwatch:${local.region}:${data.aws_caller_identity.current.account_id}:alarm:${var.name_prefix}-*"

  create_email_subscription = var.alarm_email != null
}

# Encrypted with the project key; the key policy lets cloudwatch.amazonaws.com use it for this topic only
# (module kms, through the grant region_stack builds from the same topic name).
resource "aws_sns_topic" "this" {
  name              = var.topic_name
  kms_master_key_id = var.kms_key_arn
}

# Somebody to tell: without a subscription the alarms fire into an empty topic. AWS mails a confirmation
# link first; the subscription stays pending until it is followed.
resource "aws_sns_topic_subscription" "email" {
  count = local.create_email_subscription ? 1 : 0

  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

module "topic_tls_only" {
  source = "../tls_only_policy"

  service   = "sns"
  resources = [aws_sns_topic.this.arn]
}

resource "aws_sns_topic_policy" "this" {
  arn    = aws_sns_topic.this.arn
  policy = data.aws_iam_policy_document.topic.json
}

data "aws_iam_policy_document" "topic" {
  # The TLS-only deny, after the statement below.
  override_policy_documents = [module.topic_tls_only.json]

  statement {
    sid       = "ProjectAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.alarm_arn_prefix]
    }
  }
}

# Dashboards are global to the account (their ARNs carry no region): the failover's secondary region
# names its own apart (dashboard_name_suffix).
resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = "${var.name_prefix}${var.dashboard_name_suffix}"
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
