# What the module computes: one role only the given rules of this account may assume, carrying exactly the
# caller's inline policy, or nothing at all when create is false.
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

override_resource {
  target = aws_iam_role.this
  values = {
    arn = "arn:aws:iam::123456789012:role/shop-dev-abc123-forward-default"
    id  = "shop-dev-abc123-forward-default"
  }
}

override_resource {
  target = aws_iam_role_policy.this
}

variables {
  create      = true
  name        = "shop-dev-abc123-forward-default"
  description = "Lets rule shop-dev-abc123-forward-default put events on the custom bus"
  account_id  = "123456789012"
  rule_arns = [
    "arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123-forward-default",
    "arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123-replicate",
  ]
  policy_name = "put-events-on-custom-bus"
  policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"PutEventsOnCustomBus\",\"Effect\":\"Allow\",\"Action\":\"events:PutEvents\",\"Resource\":\"arn:aws:events:us-east-1:123456789012:event-bus/shop-dev-abc123\"}]}"
}

run "create_false_creates_nothing_and_the_arn_is_null" {
  command = apply

  variables {
    create      = false
    policy_json = null
  }

  assert {
    condition     = length(aws_iam_role.this) == 0 && length(aws_iam_role_policy.this) == 0
    error_message = "create = false must create neither the role nor its policy."
  }

  assert {
    condition     = output.arn == null && output.assume_role_policy == null && output.name == null
    error_message = "arn, assume_role_policy and name must be null when nothing is created."
  }
}

run "only_the_given_rules_of_this_account_may_assume_the_role" {
  command   = apply
  providers = { aws = aws.render }

  assert {
    condition     = aws_iam_role.this[0].name == "shop-dev-abc123-forward-default" && output.name == "shop-dev-abc123-forward-default" && output.arn == "arn:aws:iam::123456789012:role/shop-dev-abc123-forward-default"
    error_message = "The role takes the given name; the name and arn outputs are its name and ARN."
  }

  assert {
    condition = jsondecode(aws_iam_role.this[0].assume_role_policy).Statement == [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "events.amazonaws.com" }
      Condition = {
        StringEquals = { "aws:SourceAccount" = "123456789012" }
        ArnEquals = { "aws:SourceArn" = [
          "arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123-forward-default",
          "arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123-replicate",
        ] }
      }
    }]
    error_message = "Trust policy: ${aws_iam_role.this[0].assume_role_policy}"
  }

  assert {
    condition     = output.assume_role_policy == aws_iam_role.this[0].assume_role_policy
    error_message = "The assume_role_policy output is the role's trust policy."
  }

  assert {
    condition     = aws_iam_role_policy.this[0].name == "put-events-on-custom-bus" && aws_iam_role_policy.this[0].role == "shop-dev-abc123-forward-default"
    error_message = "The inline policy is named by policy_name and attached to this role."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.this[0].policy) == jsondecode(var.policy_json)
    error_message = "The inline policy must be exactly policy_json."
  }

  assert {
    condition     = aws_iam_role.this[0].permissions_boundary == null
    error_message = "No permissions boundary unless one is given."
  }
}

run "the_permissions_boundary_is_carried" {
  command = plan

  variables {
    permissions_boundary_arn = "arn:aws:iam::123456789012:policy/boundary"
  }

  assert {
    condition     = aws_iam_role.this[0].permissions_boundary == "arn:aws:iam::123456789012:policy/boundary"
    error_message = "The role must carry permissions_boundary_arn."
  }
}
