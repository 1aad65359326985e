# What the module computes: the bus with its key and dead-letter queue, an archive of every event, the
# publisher policy (only with create_publisher_policy; covering the failover's other bus too), and a bus
# policy only when other accounts publish; the names' validations.
# Run: terraform init -backend=false && terraform test (tests/terraform/test_terraform_test.py runs every module).
# By hand it needs hashicorp/aws 6.x (the archive's kms_key_identifier); the pytest run drops that argument
# from its copy when the installed provider is 5.x, as make e2e does.

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
  target = aws_cloudwatch_event_bus.this
  values = {
    arn = "arn:aws:events:us-east-1:123456789012:event-bus/shop-dev-abc123"
  }
}

override_resource {
  target = aws_cloudwatch_event_archive.this
  values = {
    arn = "arn:aws:events:us-east-1:123456789012:archive/shop-dev-abc123"
  }
}

override_resource {
  target = aws_cloudwatch_event_bus_policy.this
}

override_resource {
  target = aws_iam_policy.publisher
  values = {
    arn = "arn:aws:iam::123456789012:policy/shop-dev-abc123-publisher"
  }
}

variables {
  name                  = "shop-dev-abc123"
  archive_name          = "shop-dev-abc123"
  kms_key_arn           = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  dead_letter_queue_arn = "arn:aws:sqs:us-east-1:123456789012:shop-dev-abc123-events-dlq"
  publisher_sources     = ["ecommerce.orders", "ecommerce.users"]
}

run "the_bus_its_archive_and_no_bus_policy_without_publisher_accounts" {
  command = plan

  assert {
    condition     = aws_cloudwatch_event_bus.this.name == "shop-dev-abc123" && aws_cloudwatch_event_bus.this.kms_key_identifier == var.kms_key_arn
    error_message = "The bus takes the given name and is encrypted with the given key."
  }

  assert {
    condition     = aws_cloudwatch_event_bus.this.dead_letter_config[0].arn == var.dead_letter_queue_arn
    error_message = "The bus dead-letters into the given queue."
  }

  assert {
    condition     = aws_cloudwatch_event_archive.this.name == "shop-dev-abc123" && aws_cloudwatch_event_archive.this.retention_days == 30
    error_message = "The archive takes archive_name and keeps events 30 days by default."
  }

  assert {
    condition     = aws_cloudwatch_event_archive.this.event_pattern == null
    error_message = "The archive keeps every event of the bus: it has no event pattern."
  }

  assert {
    condition     = length(aws_cloudwatch_event_bus_policy.this) == 0
    error_message = "No publisher account, no bus policy."
  }

  assert {
    condition     = length(aws_iam_policy.publisher) == 1 && aws_iam_policy.publisher[0].name == "shop-dev-abc123-publisher"
    error_message = "The publisher policy is <name>-publisher, created by default (create_publisher_policy)."
  }
}

run "publisher_accounts_may_put_only_the_stacks_sources" {
  command   = apply
  providers = { aws = aws.render }

  variables {
    publisher_account_ids  = ["111122223333", "444455556666"]
    archive_retention_days = 0
  }

  assert {
    condition     = aws_cloudwatch_event_archive.this.event_source_arn == "arn:aws:events:us-east-1:123456789012:event-bus/shop-dev-abc123" && aws_cloudwatch_event_archive.this.retention_days == 0
    error_message = "The archive reads this bus and keeps events for archive_retention_days (0: forever)."
  }

  assert {
    condition     = aws_cloudwatch_event_bus_policy.this[0].event_bus_name == "shop-dev-abc123"
    error_message = "The bus policy is on this bus."
  }

  assert {
    # The provider orders principals as it likes: they are compared sorted.
    condition = [
      for statement in jsondecode(aws_cloudwatch_event_bus_policy.this[0].policy).Statement :
      merge(statement, { Principal = { AWS = sort(statement.Principal.AWS) } })
      ] == [{
        Sid       = "PublisherAccountsPutEvents"
        Effect    = "Allow"
        Action    = "events:PutEvents"
        Resource  = "arn:aws:events:us-east-1:123456789012:event-bus/shop-dev-abc123"
        Principal = { AWS = sort(["444455556666", "111122223333"]) }
        # ForAllValues holds vacuously without the key: the Null check makes a request carry it.
        Condition = {
          "ForAllValues:StringEquals" = { "events:source" = ["ecommerce.orders", "ecommerce.users"] }
          Null                        = { "events:source" = "false" }
        }
    }]
    error_message = "Bus policy: ${aws_cloudwatch_event_bus_policy.this[0].policy}"
  }

  assert {
    condition = jsondecode(aws_iam_policy.publisher[0].policy).Statement == [{
      Sid       = "PutEventsOnTheBus"
      Effect    = "Allow"
      Action    = "events:PutEvents"
      Resource  = "arn:aws:events:us-east-1:123456789012:event-bus/shop-dev-abc123"
      Condition = { StringEquals = { "events:source" = ["ecommerce.orders", "ecommerce.users"] } }
    }]
    error_message = "Publisher policy: ${aws_iam_policy.publisher[0].policy}"
  }

  assert {
    condition = (
      output.name == "shop-dev-abc123"
      && output.arn == "arn:aws:events:us-east-1:123456789012:event-bus/shop-dev-abc123"
      && output.archive_name == "shop-dev-abc123"
      && output.archive_arn == "arn:aws:events:us-east-1:123456789012:archive/shop-dev-abc123"
      && output.publisher_policy_arn == "arn:aws:iam::123456789012:policy/shop-dev-abc123-publisher"
    )
    error_message = "The outputs are the bus's, the archive's and the publisher policy's names and ARNs."
  }
}

# The failover's two buses: the primary's policy covers the secondary's bus too (the global endpoint may
# send a producer's PutEvents there); the secondary, whose bus has the same name, creates no policy (IAM
# names are global).
run "the_primarys_publisher_policy_covers_the_secondarys_bus" {
  command   = apply
  providers = { aws = aws.render }

  variables {
    publisher_bus_arns = ["arn:aws:events:us-west-2:123456789012:event-bus/shop-dev-abc123"]
  }

  assert {
    # Resources compared sorted: the provider renders them in an order of its own.
    condition = [
      for statement in jsondecode(aws_iam_policy.publisher[0].policy).Statement :
      merge(statement, { Resource = sort(flatten([statement.Resource])) })
      ] == [{
        Sid    = "PutEventsOnTheBus"
        Effect = "Allow"
        Action = "events:PutEvents"
        Resource = sort([
          "arn:aws:events:us-east-1:123456789012:event-bus/shop-dev-abc123",
          "arn:aws:events:us-west-2:123456789012:event-bus/shop-dev-abc123",
        ])
        Condition = { StringEquals = { "events:source" = ["ecommerce.orders", "ecommerce.users"] } }
    }]
    error_message = "Publisher policy: ${aws_iam_policy.publisher[0].policy}"
  }
}

run "the_secondary_creates_no_publisher_policy" {
  command = apply

  variables {
    create_publisher_policy = false
  }

  assert {
    condition     = length(aws_iam_policy.publisher) == 0 && output.publisher_policy_arn == null
    error_message = "create_publisher_policy = false: no policy, and a null publisher_policy_arn."
  }

  assert {
    condition     = output.name == "shop-dev-abc123" && output.arn == "arn:aws:events:us-east-1:123456789012:event-bus/shop-dev-abc123"
    error_message = "The bus itself is there all the same."
  }
}

# One bad value per variable: each listed variable must refuse its own, and nothing else may fail.
run "the_default_bus_bad_names_accounts_retention_and_no_source_are_refused" {
  command = plan

  variables {
    name                   = "default"
    archive_name           = "an-archive-name-longer-than-eventbridges-48-chars"
    publisher_account_ids  = ["12345"]
    archive_retention_days = 1.5
    publisher_sources      = []
    publisher_bus_arns     = ["arn:aws:events:us-west-2:123456789012:rule/shop-dev-abc123/a-rule"]
  }

  expect_failures = [
    var.name, var.archive_name, var.publisher_account_ids, var.archive_retention_days, var.publisher_sources,
    var.publisher_bus_arns,
  ]
}

run "aws_sources_are_refused" {
  command = plan

  variables {
    publisher_sources = ["ecommerce.orders", "aws.ec2"]
  }

  expect_failures = [var.publisher_sources]
}
