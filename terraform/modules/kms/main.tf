# A customer-managed KMS key, its alias and its key policy: AWS's default statement that lets this account's
# IAM policies grant use of the key, plus one statement per service grant the caller passes in. The module
# knows nothing of what the key encrypts: the caller names the services, the actions and the conditions
# (encryption context, source ARNs) that pin each grant to its resources (terraform-aws-modules/kms style).

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.this.json
}

resource "aws_kms_alias" "this" {
  name          = var.alias_name
  target_key_id = aws_kms_key.this.key_id
}

# In a key policy "Resource" is "*", which KMS defines as "this key" (the key's ARN does not exist before
# the key does), so each statement is scoped by principal and condition instead.
data "aws_iam_policy_document" "this" {
  # checkov:skip=CKV_AWS_109:Key policy; Resource "*" means this key only, and the root statement is AWS's default that delegates key access to IAM policies.
  # checkov:skip=CKV_AWS_111:Key policy; Resource "*" means this key only (KMS forces it); the one unconditioned write access is AWS's default account statement, which hands the key to IAM policies, and service_grants' validation refuses key-management actions to services.
  # checkov:skip=CKV_AWS_356:Key policy; Resource "*" means this key only (KMS forces it).

  # AWS's default key policy statement: IAM policies of this account may grant use of the key (roles with
  # kms:Decrypt/GenerateDataKey in their own policies rely on it), and the key can never become unmanageable.
  statement {
    sid       = "AccountAdministersKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"] # KMS key policies must use "*" (this key).

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  # In the caller's order: a policy's statements render in the order given.
  dynamic "statement" {
    for_each = var.service_grants

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = ["*"] # KMS key policies must use "*" (this key).

      principals {
        type        = "Service"
        identifiers = [statement.value.service]
      }

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}
