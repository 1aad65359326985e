# What the module computes: the key (rotation on, the deletion window), its alias, and the key policy as
# the real provider renders it: AWS's account statement first, then one statement per service grant in the
# caller's order, each with Resource "*" (this key) and the caller's conditions; and what it refuses.
# Run: terraform init -backend=false && terraform test (tests/terraform/test_terraform_test.py).

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

# The real provider renders the key policy (a mock invents its JSON). Every resource is overridden, so an
# apply with it creates nothing and calls no AWS API.
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
  target = aws_kms_key.this
  values = {
    arn    = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
  }
}

override_resource {
  target = aws_kms_alias.this
  values = { arn = "arn:aws:kms:us-east-1:123456789012:alias/shop-dev-abc123" }
}

variables {
  alias_name  = "alias/shop-dev-abc123"
  description = "shop-dev-abc123: the stack's key"
  service_grants = [
    {
      sid     = "EventBridgeDescribesKey"
      service = "events.amazonaws.com"
      actions = ["kms:DescribeKey"]
    },
    {
      sid     = "EventBridgeEncryptsBus"
      service = "events.amazonaws.com"
      actions = ["kms:GenerateDataKey", "kms:Decrypt"]
      conditions = [{
        test     = "StringEquals"
        variable = "kms:EncryptionContext:aws:events:event-bus:arn"
        values   = ["arn:aws:events:us-east-1:123456789012:event-bus/shop-dev-abc123-bus"]
      }]
    },
    {
      sid     = "CloudWatchLogsEncryptsLogGroups"
      service = "logs.us-east-1.amazonaws.com"
      actions = ["kms:Encrypt*", "kms:Decrypt*"]
      conditions = [
        {
          test     = "ArnLike"
          variable = "kms:EncryptionContext:aws:logs:arn"
          values   = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-abc123-*"]
        },
        {
          test     = "StringEquals"
          variable = "aws:SourceAccount"
          values   = ["123456789012"]
        },
      ]
    },
  ]
}

run "the_key_rotates_and_waits_before_deletion" {
  command = plan

  assert {
    condition     = aws_kms_key.this.enable_key_rotation && aws_kms_key.this.deletion_window_in_days == 30
    error_message = "Rotation on, 30 days' deletion window by default."
  }

  assert {
    condition     = aws_kms_key.this.description == "shop-dev-abc123: the stack's key" && aws_kms_alias.this.name == "alias/shop-dev-abc123"
    error_message = "The description and the alias are the caller's."
  }
}

run "the_policy_is_the_account_statement_then_each_grant_in_order" {
  command   = apply
  providers = { aws = aws.render }

  assert {
    condition = [
      for statement in jsondecode(output.key_policy).Statement :
      merge(statement, { Action = sort(flatten([statement.Action])) })
      ] == [
      {
        Sid       = "AccountAdministersKeyThroughIam"
        Effect    = "Allow"
        Action    = sort(["kms:*"])
        Resource  = "*"
        Principal = { AWS = "arn:aws:iam::123456789012:root" }
      },
      {
        Sid       = "EventBridgeDescribesKey"
        Effect    = "Allow"
        Action    = sort(["kms:DescribeKey"])
        Resource  = "*"
        Principal = { Service = "events.amazonaws.com" }
      },
      {
        Sid       = "EventBridgeEncryptsBus"
        Effect    = "Allow"
        Action    = sort(["kms:GenerateDataKey", "kms:Decrypt"])
        Resource  = "*"
        Principal = { Service = "events.amazonaws.com" }
        Condition = { StringEquals = { "kms:EncryptionContext:aws:events:event-bus:arn" = "arn:aws:events:us-east-1:123456789012:event-bus/shop-dev-abc123-bus" } }
      },
      {
        Sid       = "CloudWatchLogsEncryptsLogGroups"
        Effect    = "Allow"
        Action    = sort(["kms:Encrypt*", "kms:Decrypt*"])
        Resource  = "*"
        Principal = { Service = "logs.us-east-1.amazonaws.com" }
        Condition = {
          ArnLike      = { "kms:EncryptionContext:aws:logs:arn" = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-abc123-*" }
          StringEquals = { "aws:SourceAccount" = "123456789012" }
        }
      },
    ]
    error_message = "Key policy: ${output.key_policy}"
  }

  assert {
    condition     = aws_kms_key.this.policy == output.key_policy
    error_message = "The key carries the rendered policy."
  }

  assert {
    condition = (
      output.key_arn == "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
      && output.key_id == "1234abcd-12ab-34cd-56ef-1234567890ab"
      && output.alias_arn == "arn:aws:kms:us-east-1:123456789012:alias/shop-dev-abc123"
      && aws_kms_alias.this.target_key_id == output.key_id
    )
    error_message = "Outputs: the key's ARN and id, the alias's ARN; the alias points at the key."
  }
}

run "without_grants_only_the_account_may_use_the_key" {
  command   = apply
  providers = { aws = aws.render }

  variables {
    service_grants = []
  }

  assert {
    condition     = [for statement in jsondecode(output.key_policy).Statement : statement.Sid] == ["AccountAdministersKeyThroughIam"]
    error_message = "Key policy: ${output.key_policy}"
  }
}

run "a_reserved_alias_and_a_short_deletion_window_are_refused" {
  command = plan

  variables {
    alias_name              = "alias/aws/shop"
    deletion_window_in_days = 5
  }

  expect_failures = [var.alias_name, var.deletion_window_in_days]
}

run "a_repeated_sid_is_refused" {
  command = plan

  variables {
    service_grants = [
      { sid = "Events", service = "events.amazonaws.com", actions = ["kms:DescribeKey"] },
      { sid = "Events", service = "events.amazonaws.com", actions = ["kms:Decrypt"] },
    ]
  }

  expect_failures = [var.service_grants]
}

run "a_service_never_gets_key_management_actions" {
  command = plan

  variables {
    service_grants = [{ sid = "Events", service = "events.amazonaws.com", actions = ["kms:*"] }]
  }

  expect_failures = [var.service_grants]
}

run "a_grant_to_something_other_than_a_service_is_refused" {
  command = plan

  variables {
    service_grants = [{ sid = "Someone", service = "arn:aws:iam::111122223333:root", actions = ["kms:Decrypt"] }]
  }

  expect_failures = [var.service_grants]
}

run "a_condition_without_values_is_refused" {
  command = plan

  variables {
    service_grants = [{
      sid        = "Events"
      service    = "events.amazonaws.com"
      actions    = ["kms:Decrypt"]
      conditions = [{ test = "StringEquals", variable = "aws:SourceAccount", values = [] }]
    }]
  }

  expect_failures = [var.service_grants]
}
