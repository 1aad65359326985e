# What the module computes: the notifications topic and the batch queue on the caller's key under the
# caller's names, the dead-letter queues on SSE-SQS, and every queue and topic policy as the real provider
# renders it (the senders allowed by aws:SourceArn, then the TLS-only deny); only the events DLQ without
# create_targets; and what it refuses.
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
  target = aws_sns_topic.notifications
  values = { arn = "arn:aws:sns:us-east-1:123456789012:shop-dev-abc123-notifications" }
}

override_resource {
  target = aws_sqs_queue.notifications_dlq
  values = {
    arn = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-notifications-dlq"
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/shop-dev-abc123-notifications-dlq"
  }
}

override_resource {
  target = aws_sqs_queue.batch
  values = {
    arn = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-batch"
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/shop-dev-abc123-batch"
  }
}

override_resource {
  target = aws_sqs_queue.batch_dlq
  values = {
    arn = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-batch-dlq"
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/shop-dev-abc123-batch-dlq"
  }
}

override_resource {
  target = aws_sqs_queue.events_dlq
  values = {
    arn = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-events-dlq"
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/shop-dev-abc123-events-dlq"
  }
}

override_resource {
  target = aws_sns_topic_policy.notifications
}

override_resource {
  target = aws_sns_topic_subscription.notifier
}

override_resource {
  target = aws_sns_topic_subscription.email
}

override_resource {
  target = aws_lambda_permission.notifier
}

override_resource {
  target = aws_sqs_queue_policy.notifications_dlq
}

override_resource {
  target = aws_sqs_queue_policy.batch
}

override_resource {
  target = aws_sqs_queue_policy.batch_dlq
}

override_resource {
  target = aws_sqs_queue_policy.events_dlq
}

override_resource {
  target = aws_sqs_queue_redrive_allow_policy.batch_dlq
}

variables {
  name_prefix              = "shop-dev-abc123"
  kms_key_arn              = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  notifications_topic_name = "shop-dev-abc123-notifications"
  batch_queue_name         = "shop-dev-abc123-batch"
  notification_email       = "ops@example.com"
  notifier_function = {
    name = "shop-dev-abc123-notifier"
    arn  = "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-abc123-notifier"
  }
  event_source_arns = {
    notifications = [
      "arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123-bus/shop-dev-abc123-high-value-orders",
      "arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123-bus/shop-dev-abc123-user-registration",
    ]
    batch_queue = ["arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123-bus/shop-dev-abc123-all-events"]
    events_dlq = [
      "arn:aws:events:us-east-1:123456789012:event-bus/shop-dev-abc123-bus",
      "arn:aws:events:us-east-1:123456789012:rule/shop-dev-abc123-bus/shop-dev-abc123-all-events",
    ]
  }
}

run "the_topic_and_the_batch_queue_use_the_callers_key_and_names" {
  command = apply

  assert {
    condition = (
      aws_sns_topic.notifications[0].name == "shop-dev-abc123-notifications"
      && aws_sns_topic.notifications[0].kms_master_key_id == var.kms_key_arn
      && aws_sqs_queue.batch[0].name == "shop-dev-abc123-batch"
      && aws_sqs_queue.batch[0].kms_master_key_id == var.kms_key_arn
    )
    error_message = "The topic and the batch queue are named by the caller and encrypted with its key."
  }

  assert {
    condition = alltrue([
      for queue in [aws_sqs_queue.notifications_dlq[0], aws_sqs_queue.batch_dlq[0], aws_sqs_queue.events_dlq] :
      queue.sqs_managed_sse_enabled && queue.kms_master_key_id == null && queue.message_retention_seconds == 1209600
    ])
    error_message = "Every dead-letter queue uses SSE-SQS (never the key it may have to report on) and keeps 14 days."
  }

  assert {
    condition = (
      aws_sqs_queue.batch[0].visibility_timeout_seconds == 300
      && jsondecode(aws_sqs_queue.batch[0].redrive_policy).maxReceiveCount == 5
      && aws_sns_topic_subscription.notifier[0].endpoint == var.notifier_function.arn
      && aws_lambda_permission.notifier[0].function_name == "shop-dev-abc123-notifier"
      && aws_sns_topic_subscription.email[0].endpoint == "ops@example.com"
    )
    error_message = "Batch queue defaults, the notifier's subscription and permission, the email subscription."
  }
}

run "each_policy_allows_its_senders_then_refuses_plain_http" {
  command   = apply
  providers = { aws = aws.render }

  # Action, Resource and condition values compared sorted: the provider renders sets in an order of its own.
  assert {
    condition = [
      for s in jsondecode(aws_sns_topic_policy.notifications[0].policy).Statement : merge(s, {
        Action    = sort(flatten([s.Action]))
        Resource  = sort(flatten([s.Resource]))
        Condition = { for test, keys in s.Condition : test => { for key, values in keys : key => sort(flatten([values])) } }
      })
      ] == [
      {
        Sid       = "EventBridgeRulesPublish"
        Effect    = "Allow"
        Action    = sort(["sns:Publish"])
        Resource  = sort(["arn:aws:sns:us-east-1:123456789012:shop-dev-abc123-notifications"])
        Principal = { Service = "events.amazonaws.com" }
        Condition = { ArnEquals = { "aws:SourceArn" = sort(var.event_source_arns.notifications) } }
      },
      {
        Sid    = "DenyInsecureTransport"
        Effect = "Deny"
        Action = sort([
          "sns:AddPermission", "sns:DeleteTopic", "sns:GetDataProtectionPolicy", "sns:GetTopicAttributes",
          "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource", "sns:Publish", "sns:PutDataProtectionPolicy",
          "sns:RemovePermission", "sns:SetTopicAttributes", "sns:Subscribe",
        ])
        Resource  = sort(["arn:aws:sns:us-east-1:123456789012:shop-dev-abc123-notifications"])
        Principal = "*"
        Condition = { Bool = { "aws:SecureTransport" = sort(["false"]) } }
      },
    ]
    error_message = "Topic policy: ${aws_sns_topic_policy.notifications[0].policy}"
  }

  assert {
    condition = [
      for s in jsondecode(aws_sqs_queue_policy.notifications_dlq[0].policy).Statement : merge(s, {
        Action    = sort(flatten([s.Action]))
        Resource  = sort(flatten([s.Resource]))
        Condition = { for test, keys in s.Condition : test => { for key, values in keys : key => sort(flatten([values])) } }
      })
      ] == [
      {
        Sid       = "NotificationsTopicDeadLetters"
        Effect    = "Allow"
        Action    = sort(["sqs:SendMessage"])
        Resource  = sort(["arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-notifications-dlq"])
        Principal = { Service = "sns.amazonaws.com" }
        Condition = { ArnEquals = { "aws:SourceArn" = sort(["arn:aws:sns:us-east-1:123456789012:shop-dev-abc123-notifications"]) } }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Action    = sort(["sqs:*"])
        Resource  = sort(["arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-notifications-dlq"])
        Principal = "*"
        Condition = { Bool = { "aws:SecureTransport" = sort(["false"]) } }
      },
    ]
    error_message = "Notifications DLQ policy: ${aws_sqs_queue_policy.notifications_dlq[0].policy}"
  }

  assert {
    condition = [
      for s in jsondecode(aws_sqs_queue_policy.batch[0].policy).Statement : merge(s, {
        Action    = sort(flatten([s.Action]))
        Resource  = sort(flatten([s.Resource]))
        Condition = { for test, keys in s.Condition : test => { for key, values in keys : key => sort(flatten([values])) } }
      })
      ] == [
      {
        Sid       = "EventBridgeRulesSend"
        Effect    = "Allow"
        Action    = sort(["sqs:SendMessage"])
        Resource  = sort(["arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-batch"])
        Principal = { Service = "events.amazonaws.com" }
        Condition = { ArnEquals = { "aws:SourceArn" = sort(var.event_source_arns.batch_queue) } }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Action    = sort(["sqs:*"])
        Resource  = sort(["arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-batch"])
        Principal = "*"
        Condition = { Bool = { "aws:SecureTransport" = sort(["false"]) } }
      },
    ]
    error_message = "Batch queue policy: ${aws_sqs_queue_policy.batch[0].policy}"
  }

  assert {
    condition = [
      for s in jsondecode(aws_sqs_queue_policy.events_dlq.policy).Statement : merge(s, {
        Action    = sort(flatten([s.Action]))
        Resource  = sort(flatten([s.Resource]))
        Condition = { for test, keys in s.Condition : test => { for key, values in keys : key => sort(flatten([values])) } }
      })
      ] == [
      {
        Sid       = "EventBridgeDeadLetters"
        Effect    = "Allow"
        Action    = sort(["sqs:SendMessage"])
        Resource  = sort(["arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-events-dlq"])
        Principal = { Service = "events.amazonaws.com" }
        Condition = { ArnEquals = { "aws:SourceArn" = sort(var.event_source_arns.events_dlq) } }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Action    = sort(["sqs:*"])
        Resource  = sort(["arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-events-dlq"])
        Principal = "*"
        Condition = { Bool = { "aws:SecureTransport" = sort(["false"]) } }
      },
    ]
    error_message = "Events DLQ policy: ${aws_sqs_queue_policy.events_dlq.policy}"
  }

  assert {
    condition = jsondecode(aws_sqs_queue_policy.batch_dlq[0].policy).Statement == [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Action    = "sqs:*"
      Resource  = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-batch-dlq"
      Principal = "*"
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
    error_message = "The batch DLQ's policy refuses plain HTTP, and only that: ${aws_sqs_queue_policy.batch_dlq[0].policy}"
  }

  assert {
    condition = (
      jsondecode(aws_sqs_queue_redrive_allow_policy.batch_dlq[0].redrive_allow_policy) == {
        redrivePermission = "byQueue", sourceQueueArns = ["arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-batch"]
      }
      && jsondecode(aws_sqs_queue.events_dlq.redrive_allow_policy) == { redrivePermission = "denyAll" }
      && jsondecode(aws_sqs_queue.notifications_dlq[0].redrive_allow_policy) == { redrivePermission = "denyAll" }
      && jsondecode(aws_sns_topic_subscription.notifier[0].redrive_policy).deadLetterTargetArn == "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-notifications-dlq"
    )
    error_message = "Only the batch queue redrives into its DLQ; the others take no redrive; SNS dead-letters the notifier's deliveries."
  }

  assert {
    condition = (
      output.notifications_topic_arn == "arn:aws:sns:us-east-1:123456789012:shop-dev-abc123-notifications"
      && output.batch_queue_arn == "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-batch"
      && output.events_dlq_arn == "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-events-dlq"
      && output.batch_dlq_url == "https://sqs.us-east-1.amazonaws.com/123456789012/shop-dev-abc123-batch-dlq"
      && output.notifications_dlq_url == "https://sqs.us-east-1.amazonaws.com/123456789012/shop-dev-abc123-notifications-dlq"
    )
    error_message = "Outputs: the ARNs and URLs of what was created."
  }
}

run "without_senders_a_policy_only_refuses_plain_http" {
  command   = apply
  providers = { aws = aws.render }

  variables {
    event_source_arns = { notifications = [], batch_queue = [], events_dlq = [] }
  }

  assert {
    condition = [
      for policy in [aws_sns_topic_policy.notifications[0].policy, aws_sqs_queue_policy.batch[0].policy, aws_sqs_queue_policy.events_dlq.policy] :
      [for s in jsondecode(policy).Statement : s.Sid]
    ] == [["DenyInsecureTransport"], ["DenyInsecureTransport"], ["DenyInsecureTransport"]]
    error_message = "An empty source list grants nothing (no Allow with an empty condition)."
  }
}

run "without_targets_only_the_events_dlq_exists" {
  command = plan

  variables {
    create_targets    = false
    notifier_function = null
  }

  assert {
    condition = (
      length(aws_sns_topic.notifications) + length(aws_sqs_queue.batch) + length(aws_sqs_queue.batch_dlq)
      + length(aws_sqs_queue.notifications_dlq) + length(aws_sns_topic_subscription.notifier)
      + length(aws_sns_topic_subscription.email) + length(aws_lambda_permission.notifier) == 0
    )
    error_message = "No topic, batch queue, their DLQs, subscriptions or permission without create_targets."
  }

  assert {
    condition     = aws_sqs_queue.events_dlq.name == "shop-dev-abc123-events-dlq" && output.notifications_topic_arn == null && output.batch_queue_arn == null
    error_message = "The events DLQ stays (the bus needs it); the targets' outputs are null."
  }
}

run "a_non_eventbridge_source_and_out_of_range_queue_settings_are_refused" {
  command = plan

  variables {
    event_source_arns = {
      notifications = ["arn:aws:sns:us-east-1:123456789012:elsewhere"]
      batch_queue   = []
      events_dlq    = []
    }
    batch_queue_visibility_timeout_seconds = 43201
    batch_queue_max_receive_count          = 0
  }

  expect_failures = [var.event_source_arns, var.batch_queue_visibility_timeout_seconds, var.batch_queue_max_receive_count]
}
