# What the module computes: the one DenyInsecureTransport statement, rendered by the real provider, with the
# actions of the service (every action a topic policy can name for SNS) on the given resources; and what it
# refuses. Run: terraform init -backend=false && terraform test (tests/terraform/test_terraform_test.py).

# The real provider renders the policy document (a mock would invent its JSON); rendering calls no AWS API.
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  max_retries                 = 1
}

run "a_queue_refuses_every_action_without_tls" {
  command = plan

  variables {
    service   = "sqs"
    resources = ["arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-events-dlq"]
  }

  assert {
    condition = jsondecode(output.json) == {
      Version = "2012-10-17"
      Statement = [{
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Action    = "sqs:*"
        Resource  = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-events-dlq"
        Principal = "*"
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      }]
    }
    error_message = "Queue document: ${output.json}"
  }
}

run "a_bucket_refuses_every_action_on_itself_and_its_objects" {
  command = plan

  variables {
    service   = "s3"
    resources = ["arn:aws:s3:::shop-dev-abc123-events-archive", "arn:aws:s3:::shop-dev-abc123-events-archive/*"]
  }

  assert {
    condition = [
      for statement in jsondecode(output.json).Statement : merge(statement, { Resource = sort(statement.Resource) })
      ] == [{
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Action    = "s3:*"
        Resource  = sort(["arn:aws:s3:::shop-dev-abc123-events-archive", "arn:aws:s3:::shop-dev-abc123-events-archive/*"])
        Principal = "*"
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
    error_message = "Bucket document: ${output.json}"
  }
}

run "a_topic_refuses_every_action_a_topic_policy_can_name" {
  command = plan

  variables {
    service   = "sns"
    resources = ["arn:aws:sns:us-east-1:123456789012:shop-dev-abc123-operations"]
  }

  assert {
    condition = [
      for statement in jsondecode(output.json).Statement : merge(statement, { Action = sort(statement.Action) })
      ] == [{
        Sid    = "DenyInsecureTransport"
        Effect = "Deny"
        Action = sort([
          "sns:AddPermission", "sns:DeleteTopic", "sns:GetDataProtectionPolicy", "sns:GetTopicAttributes",
          "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource", "sns:Publish", "sns:PutDataProtectionPolicy",
          "sns:RemovePermission", "sns:SetTopicAttributes", "sns:Subscribe",
        ])
        Resource  = "arn:aws:sns:us-east-1:123456789012:shop-dev-abc123-operations"
        Principal = "*"
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
    error_message = "Topic document: ${output.json}"
  }
}

run "an_unknown_service_or_no_resource_is_refused" {
  command = plan

  variables {
    service   = "ec2"
    resources = []
  }

  expect_failures = [var.service, var.resources]
}
