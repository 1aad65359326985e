# The one definition of the statement every queue, topic and bucket policy of the project carries: deny
# every request made without TLS (aws:SecureTransport = false), by anyone, on the given resources. The
# caller adds it to its own document through override_policy_documents (it then comes last, after the
# caller's statements) or uses `json` as the whole policy when there is nothing else to say.

locals {
  # The actions the deny covers: everything the resource's policy can name. An SNS topic policy takes only
  # the topic actions (SNS developer guide, "Valid Amazon SNS policy actions"), not "sns:*", so they are
  # listed: Subscribe, SetTopicAttributes, ... over plain HTTP are refused as well as Publish.
  actions = {
    s3 = ["s3:*"]
    sns = [
      "sns:AddPermission", "sns:DeleteTopic", "sns:GetDataProtectionPolicy", "sns:GetTopicAttributes",
      "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource", "sns:Publish", "sns:PutDataProtectionPolicy",
      "sns:RemovePermission", "sns:SetTopicAttributes", "sns:Subscribe",
    ]
    sqs = ["sqs:*"]
  }
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = local.actions[var.service]
    resources = var.resources

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
