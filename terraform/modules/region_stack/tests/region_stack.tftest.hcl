# What the module computes from its toggles: the primary (everything), the failover's secondary (no S3
# archive, schema registry, publisher policy or tables of its own; the s3-archive targets left out; the
# names AWS keeps per account suffixed) and a standby secondary (consumers = false: only the bus, its
# archive, its key and the bus's dead-letter queue); the names; what it hands to the submodules, as far as
# their outputs show it (global tables, shared tables, the suffix, the routing table); its validations.
# Run: terraform init -backend=false && terraform test (tests/terraform/test_terraform_test.py runs every module).
#
# Not checked here, and why: everything the submodules render (policies, alarms, resources' settings) is
# their own tests' (modules/*/tests); and what reaches only a submodule's resources, never its outputs,
# cannot be read from this module's tests (a test reads the outputs of the modules it calls): the role
# names' suffix in processors, workflows and forwarding (their tests check they apply role_name_suffix,
# tests/terraform/test_failover.py that this module passes global_name_suffix to each), the
# notification e-mail left out of the secondary, the publisher policy's other bus, the region and the key
# each submodule is given. The real values of ARNs are mock_provider's: one per resource type, below.

# Every resource is mocked; each type whose ARN another resource's argument takes gets a well-formed one
# (the provider validates arguments even under a mock, and mock_provider invents random strings).
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_resource "aws_cloudwatch_event_bus" {
    defaults = { arn = "arn:aws:events:us-east-1:123456789012:event-bus/shop-prod-abc123-bus" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:us-east-1:123456789012:rule/shop-prod-abc123-bus/a-rule" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:123456789012:a-topic" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:us-east-1:123456789012:a-queue", url = "https://sqs.us-east-1.amazonaws.com/123456789012/a-queue" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::a-bucket" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/a-role" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:us-east-1:123456789012:function:a-function" }
  }
  mock_resource "aws_sfn_state_machine" {
    defaults = { arn = "arn:aws:states:us-east-1:123456789012:stateMachine:a-state-machine" }
  }
  mock_resource "aws_kinesis_firehose_delivery_stream" {
    defaults = { arn = "arn:aws:firehose:us-east-1:123456789012:deliverystream/a-stream" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:a-log-group" }
  }
  mock_resource "aws_iam_policy" {
    defaults = { arn = "arn:aws:iam::123456789012:policy/a-policy" }
  }
}

variables {
  region = "us-east-1"
  # tooling/config.py decides both (the routing below targets s3-archive and order-workflow); the module
  # narrows them per region (the S3 archive in the primary only, the workflow where consumers run).
  create_s3_archive      = true
  create_workflow        = true
  name_prefix            = "shop-prod-abc123"
  lambda_zip_path        = "build/lambda.zip"
  lambda_zip_sha256      = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
  high_value_threshold   = 1000
  archive_retention_days = 30
  log_retention_days     = 14
  alarms = {
    period_seconds     = 300
    evaluation_periods = 1
    lambda_errors      = 1
    lambda_throttles   = 1
    failed_invocations = 1
    dlq_messages       = 1
  }
  functions = {
    processor         = { handler = "event_processors.processor.handler", memory_mb = 256, timeout_seconds = 30 }
    notifier          = { handler = "event_processors.notifier.handler", memory_mb = 256, timeout_seconds = 30 }
    analytics         = { handler = "event_processors.analytics.handler", memory_mb = 256, timeout_seconds = 30 }
    "batch-processor" = { handler = "event_processors.batch_processor.handler", memory_mb = 256, timeout_seconds = 60 }
  }
  rules = {
    orders = {
      event_pattern = "{\"source\":[\"ecommerce.orders\"]}"
      targets = {
        process = { target = "processor" }
        notify  = { target = "notifications" }
        archive = { target = "s3-archive" }
      }
    }
    "order-created" = {
      event_pattern = "{\"source\":[\"ecommerce.orders\"],\"detail-type\":[\"Order Created\"]}"
      targets       = { workflow = { target = "order-workflow" } }
    }
    "all-events" = {
      event_pattern = "{\"source\":[{\"prefix\":\"\"}]}"
      targets       = { archive = { target = "s3-archive" } }
    }
    batch = {
      event_pattern = "{\"source\":[\"ecommerce.users\"]}"
      targets       = { queue = { target = "batch-queue" }, analytics = { target = "analytics" } }
    }
  }
}


# The primary of a failover with consumers in both regions (table_replica, publisher_bus_arns); without
# [failover] the same but for those two.
run "the_primary_runs_everything_under_the_shared_names" {
  command = apply

  variables {
    table_replica = {
      region_name = "us-west-2"
      kms_key_arn = "arn:aws:kms:us-west-2:123456789012:key/66666666-7777-8888-9999-000000000000"
    }
    publisher_bus_arns = ["arn:aws:events:us-west-2:123456789012:event-bus/shop-prod-abc123-bus"]
  }

  assert {
    condition     = output.event_bus_name == "shop-prod-abc123-bus" && output.archive_name == "shop-prod-abc123-archive"
    error_message = "The bus <name_prefix>-bus and its archive <name_prefix>-archive."
  }

  assert {
    condition     = length(module.processors) == 1 && length(module.monitoring) == 1
    error_message = "The primary runs the consumers: the processors and the monitoring."
  }

  assert {
    condition = (
      output.function_names == tomap({ for key in keys(var.functions) : key => "shop-prod-abc123-${key}" })
      && output.log_group_names == tomap({ for key in keys(var.functions) : key => "/aws/lambda/shop-prod-abc123-${key}" })
    )
    error_message = "Every function, <name_prefix>-<key>, with its log group."
  }

  assert {
    condition     = keys(output.rule_arns) == ["all-events", "batch", "order-created", "orders"]
    error_message = "The primary routes the whole routing table."
  }

  assert {
    condition = (
      output.s3_archive_bucket_name == "shop-prod-abc123-events-archive" && output.s3_archive_stream_name == "shop-prod-abc123-events-archive"
      && module.schema_registry.registry_name == "shop-prod-abc123-schemas"
      && module.monitoring[0].dashboard_name == "shop-prod-abc123"
      && module.forwarding.rule_name == "shop-prod-abc123-forward-default"
      && keys(module.workflows.state_machine_arns) == ["order-workflow"]
    )
    error_message = "The primary's own parts: S3 archive, schema registry, dashboard; forwarding and the workflow."
  }

  assert {
    condition = (
      output.event_store_table_name == "shop-prod-abc123-events" && module.event_store.table_name == "shop-prod-abc123-events"
      && output.tables.idempotency.name == "shop-prod-abc123-idempotency" && output.tables.event_store.name == "shop-prod-abc123-events"
    )
    error_message = "The primary creates both tables."
  }

  assert {
    condition     = keys(output.dead_letter_queue_urls) == ["analytics", "batch-queue", "events", "notifications", "notifier", "processor"]
    error_message = "Every dead-letter queue: the bus's, the batch queue's, the notification subscription's, each async function's."
  }

  assert {
    condition = (
      length(output.table_replica_arns.idempotency) == 1 && contains(keys(output.table_replica_arns.idempotency), "us-west-2")
      && length(output.table_replica_arns.event_store) == 1 && contains(keys(output.table_replica_arns.event_store), "us-west-2")
    )
    error_message = "table_replica makes both tables global tables with a replica in that region: ${jsonencode(output.table_replica_arns)}"
  }

  assert {
    condition     = output.publisher_policy_arn == "arn:aws:iam::123456789012:policy/a-policy"
    error_message = "The primary creates the publisher policy."
  }

  assert {
    condition = (
      output.kms_key_arn == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
      && output.operations_topic_arn == "arn:aws:sns:us-east-1:123456789012:a-topic"
      && output.event_bus_arn == "arn:aws:events:us-east-1:123456789012:event-bus/shop-prod-abc123-bus"
    )
    error_message = "The key, the operations topic and the bus come from the submodules."
  }
}

run "the_secondary_leaves_out_the_primarys_parts_and_suffixes_the_global_names" {
  command = plan

  variables {
    region             = "us-west-2"
    primary            = false
    global_name_suffix = "-dr"
    shared_tables = {
      idempotency = { name = "shop-prod-abc123-idempotency", arn = "arn:aws:dynamodb:us-west-2:123456789012:table/shop-prod-abc123-idempotency" }
      event_store = { name = "shop-prod-abc123-events", arn = "arn:aws:dynamodb:us-west-2:123456789012:table/shop-prod-abc123-events" }
    }
  }

  assert {
    condition     = output.event_bus_name == "shop-prod-abc123-bus" && output.archive_name == "shop-prod-abc123-archive"
    error_message = "The same bus name as the primary's (the global endpoint requires it)."
  }

  assert {
    condition = (
      length(module.processors) == 1 && length(module.monitoring) == 1
      && output.function_names == tomap({ for key in keys(var.functions) : key => "shop-prod-abc123-${key}" })
    )
    error_message = "With consumers the secondary runs the same functions under the same (regional) names."
  }

  assert {
    condition     = keys(output.rule_arns) == ["batch", "order-created", "orders"] && !contains(keys(module.routing.rule_arns_by_target), "s3-archive")
    error_message = "The secondary drops the s3-archive targets, and all-events, left without a target."
  }

  assert {
    condition = (
      output.s3_archive_bucket_name == "" && output.s3_archive_stream_name == ""
      && module.schema_registry.registry_name == null
      && output.publisher_policy_arn == ""
    )
    error_message = "No S3 archive, schema registry or publisher policy outside the primary."
  }

  assert {
    condition     = module.monitoring[0].dashboard_name == "shop-prod-abc123-dr"
    error_message = "The dashboard, named per account, takes global_name_suffix."
  }

  assert {
    condition = (
      module.event_store.table_name == ""
      && module.processors[0].idempotency_table_name == "shop-prod-abc123-idempotency"
      && output.tables.idempotency.arn == "arn:aws:dynamodb:us-west-2:123456789012:table/shop-prod-abc123-idempotency"
      && output.event_store_table_name == "shop-prod-abc123-events"
      && output.tables.event_store.arn == "arn:aws:dynamodb:us-west-2:123456789012:table/shop-prod-abc123-events"
    )
    error_message = "The secondary creates no table: its consumers use the shared tables (the replicas of the primary's)."
  }

  assert {
    condition     = module.forwarding.rule_name == "shop-prod-abc123-forward-default" && keys(module.workflows.state_machine_arns) == ["order-workflow"]
    error_message = "Each region forwards its own default bus's events and runs its own workflow."
  }
}

run "a_standby_secondary_keeps_only_the_bus_its_archive_key_and_dlq" {
  command = apply

  variables {
    region             = "us-west-2"
    primary            = false
    consumers          = false
    global_name_suffix = "-dr"
  }

  assert {
    condition     = output.event_bus_name == "shop-prod-abc123-bus" && output.archive_name == "shop-prod-abc123-archive"
    error_message = "The bus and its archive are there."
  }

  assert {
    condition = (
      output.dead_letter_queue_urls == { events = "https://sqs.us-east-1.amazonaws.com/123456789012/a-queue" }
      && output.kms_key_arn == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    )
    error_message = "The key and, of the dead-letter queues, only the bus's."
  }

  assert {
    condition     = length(module.processors) == 0 && length(module.monitoring) == 0 && output.operations_topic_arn == null
    error_message = "No processors, no monitoring."
  }

  assert {
    condition = (
      length(output.rule_arns) == 0 && length(output.function_names) == 0 && length(output.log_group_names) == 0
      && output.batch_queue_url == "" && output.batch_queue_arn == "" && output.notifications_topic_arn == ""
      && module.messaging.notifications_dlq_name == null && module.messaging.batch_dlq_name == null
    )
    error_message = "No rules, functions, topic or queues."
  }

  assert {
    condition = (
      output.forwarding_rule_arn == "" && module.workflows.log_group_name == null
      && output.s3_archive_bucket_name == "" && module.schema_registry.registry_name == null
      && output.event_store_table_name == "" && module.event_store.table_name == "" && output.tables == null
      && output.publisher_policy_arn == ""
    )
    error_message = "No forwarding, workflow, S3 archive, registry, table or publisher policy."
  }
}

# Without a store the batch consumer only validates and counts. The plan of this case (and of [batch_processor]
# off, or no batch-processor function) failed until the store's value was built whole (locals.tf).
run "without_the_event_store_the_consumer_has_no_store" {
  command = plan

  variables {
    event_store = { enabled = false }
  }

  assert {
    condition = (
      module.event_store.table_name == "" && output.event_store_table_name == "" && output.tables.event_store == null
      && module.processors[0].function_names["batch-processor"] == "shop-prod-abc123-batch-processor"
    )
    error_message = "[event_store] off: no store, the batch processor all the same."
  }
}

# One bad value per variable: each listed variable must refuse its own, and nothing else may fail.
run "a_bad_name_prefix_and_global_name_suffix_are_refused" {
  command = plan

  variables {
    name_prefix        = "Shop-Prod"
    global_name_suffix = "-disaster-recovery"
  }

  expect_failures = [var.name_prefix, var.global_name_suffix]
}
