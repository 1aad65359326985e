"""The resource settings the design promises: Lambda runtime and wiring, the idempotency table, the
encrypted and dead-lettered queues, the archive and the alarms."""

from __future__ import annotations

from terraform_hcl import modules, unquote


def test_functions_run_python_on_arm64_with_tracing_and_a_dlq() -> None:
    processors = modules()["processors"]
    function = processors.resource("aws_lambda_function", "this").body

    assert processors.variables["runtime"]["default"] in ('"python3.13"', "python3.13")
    assert function["architectures"] == ['"arm64"']
    assert function["tracing_config"][0]["mode"] == '"Active"'
    dead_letter = function["dynamic"][0]['"dead_letter_config"']
    assert (
        dead_letter["for_each"] == "${[for key, queue in aws_sqs_queue.dlq : queue.arn if key == each.key]}"
    )
    assert dead_letter["content"][0]["target_arn"] == "${dead_letter_config.value}"
    assert function["source_code_hash"] == "${var.lambda_zip_sha256}"
    assert function["handler"] == "${each.value.handler}"
    assert function["kms_key_arn"] == "${var.kms_key_arn}"


def test_function_environment_carries_the_powertools_settings() -> None:
    locals_ = modules()["processors"].locals
    per_function = locals_["function_environment"]

    assert locals_["common_environment"] == {
        "POWERTOOLS_METRICS_NAMESPACE": "${var.metrics_namespace}",
        "LOG_LEVEL": "${var.log_level}",
    }
    assert "POWERTOOLS_SERVICE_NAME = key" in locals_["environment"]
    assert modules()["processors"].variables["metrics_namespace"]["default"] == '"EcommerceEvents"'
    assert per_function["processor"] == {"HIGH_VALUE_THRESHOLD": "${tostring(var.high_value_threshold)}"}
    assert "IDEMPOTENCY_TABLE = local.idempotency_table.name" in per_function["notifier"]
    # The webhook parameter's name, never the URL (a secret the notifier reads from SSM at run time).
    assert (
        "var.webhook_parameter == null ? {} : {WEBHOOK_PARAMETER = var.webhook_parameter}"
        in per_function["notifier"]
    )
    assert per_function["analytics"] == {}


def test_idempotency_table_matches_powertools_defaults() -> None:
    table = modules()["processors"].resource("aws_dynamodb_table", "idempotency").body

    assert table["hash_key"] == '"id"'
    assert table["attribute"] == [{"name": '"id"', "type": '"S"', "__is_block__": True}]
    assert table["ttl"][0]["attribute_name"] == '"expiration"'
    assert table["point_in_time_recovery"][0]["enabled"] is True
    assert table["server_side_encryption"][0]["kms_key_arn"] == "${var.kms_key_arn}"


DEAD_LETTER_QUEUES = {
    ("messaging", "notifications_dlq"),
    ("messaging", "batch_dlq"),
    ("messaging", "events_dlq"),
    ("processors", "dlq"),
}


def test_every_queue_and_topic_other_than_a_dlq_is_encrypted_with_the_project_key() -> None:
    unencrypted = [
        block.address
        for module in modules().values()
        for rtype in ("aws_sqs_queue", "aws_sns_topic")
        for block in module.resources(rtype)
        if (module.name, block.name) not in DEAD_LETTER_QUEUES
        if block.body.get("kms_master_key_id") not in ("${aws_kms_key.this.arn}", "${var.kms_key_arn}")
    ]

    assert unencrypted == []


def test_every_dead_letter_queue_uses_sse_sqs_not_the_key_it_guards_against() -> None:
    queues = {
        (module.name, block.name): block.body
        for module in modules().values()
        for block in module.resources("aws_sqs_queue")
        if block.name.endswith("dlq")
    }

    assert set(queues) == DEAD_LETTER_QUEUES
    for key, body in queues.items():
        assert body.get("sqs_managed_sse_enabled") is True, key
        assert "kms_master_key_id" not in body, key


def test_batch_queue_long_polls_and_redrives() -> None:
    batch = modules()["messaging"].resource("aws_sqs_queue", "batch").body

    assert batch["receive_wait_time_seconds"] == 20
    assert "aws_sqs_queue.batch_dlq[0].arn" in batch["redrive_policy"]


def test_archive_keeps_every_event_of_the_bus() -> None:
    archive = modules()["event_bus"].resource("aws_cloudwatch_event_archive", "this").body

    assert archive["event_source_arn"] == "${aws_cloudwatch_event_bus.this.arn}"
    assert "event_pattern" not in archive
    assert archive["retention_days"] == "${var.archive_retention_days}"


def test_bus_policy_exists_only_for_publisher_accounts() -> None:
    event_bus = modules()["event_bus"]

    assert event_bus.resource("aws_cloudwatch_event_bus_policy", "this").body["count"] == (
        "${local.create_bus_policy ? 1 : 0}"
    )
    assert event_bus.locals["create_bus_policy"] == "${length(var.publisher_account_ids) > 0}"


def test_every_alarm_treats_missing_data_as_healthy_and_notifies_operations() -> None:
    alarms = modules()["monitoring"].resources("aws_cloudwatch_metric_alarm")

    assert {a.name for a in alarms} == {
        "rule_failed_invocations",
        "rule_dlq_failures",
        "dlq_depth",
        "lambda_errors",
        "lambda_throttles",
        "lambda_dead_letter_errors",
        "batch_queue_age",
        "batch_consumer_failed_messages",
        "state_machine_failed",
        "state_machine_timed_out",
        "forwarding_failed_invocations",
        "forwarding_dlq_failures",
        "firehose_delivery_failures",
    }
    for alarm in alarms:
        assert alarm.attr("treat_missing_data") == "notBreaching", alarm.address
        assert alarm.body["alarm_actions"] == ["${aws_sns_topic.this.arn}"], alarm.address


def test_each_asynchronously_invoked_function_alarms_on_failing_to_dead_letter() -> None:
    monitoring = modules()["monitoring"]
    alarm = monitoring.resource("aws_cloudwatch_metric_alarm", "lambda_dead_letter_errors")

    # Every function but the batch consumer, which its SQS mapping invokes synchronously (no DLQ).
    assert alarm.body["for_each"] == (
        "${{for key, name in var.function_names : key => name if name != var.batch_consumer_function}}"
    )
    assert alarm.attr("namespace") == "AWS/Lambda"
    assert alarm.attr("metric_name") == "DeadLetterErrors"
    assert alarm.body["threshold"] == 1
    assert alarm.attr("alarm_name") == "${var.name_prefix}-lambda-${each.key}-dead-letter-errors"
    assert (
        "aws_cloudwatch_metric_alarm.lambda_dead_letter_errors" in monitoring.outputs["alarm_names"]["value"]
    )


def test_batch_queue_alarms_on_the_age_of_its_oldest_message() -> None:
    monitoring = modules()["monitoring"]
    alarm = monitoring.resource("aws_cloudwatch_metric_alarm", "batch_queue_age")

    assert alarm.attr("namespace") == "AWS/SQS"
    assert alarm.attr("metric_name") == "ApproximateAgeOfOldestMessage"
    assert alarm.body["dimensions"] == {"QueueName": "${var.batch_queue_name}"}
    assert alarm.attr("statistic") == "Maximum"
    assert alarm.body["threshold"] == "${var.batch_queue_max_age_seconds}"
    assert monitoring.variables["batch_queue_max_age_seconds"]["default"] == 86400
    assert (
        "aws_cloudwatch_metric_alarm.batch_queue_age.alarm_name" in monitoring.outputs["alarm_names"]["value"]
    )


def test_alarm_email_subscribes_to_the_operations_topic_only_when_set() -> None:
    root, stack, monitoring = modules()["root"], modules()["region_stack"], modules()["monitoring"]
    subscription = monitoring.resource("aws_sns_topic_subscription", "email").body

    assert root.variables["alarm_email"]["default"] is None
    # Both regions' alarms mail the same address: each region alarms on its own resources.
    assert [root.module_calls[r]["alarm_email"] for r in ("primary", "secondary")] == [
        "${var.alarm_email}"
    ] * 2
    assert stack.module_calls["monitoring"]["alarm_email"] == "${var.alarm_email}"
    assert monitoring.locals["create_email_subscription"] == "${var.alarm_email != null}"
    assert subscription["count"] == "${local.create_email_subscription ? 1 : 0}"
    assert subscription["topic_arn"] == "${aws_sns_topic.this.arn}"
    assert unquote(subscription["protocol"]) == "email"
    assert subscription["endpoint"] == "${var.alarm_email}"


def test_each_function_has_its_async_invoke_config_from_the_environment_file() -> None:
    processors = modules()["processors"]
    config = processors.resource("aws_lambda_function_event_invoke_config", "this").body

    assert config["for_each"] == "${local.async_functions}"
    assert config["function_name"] == "${aws_lambda_function.this[each.key].function_name}"
    assert config["maximum_retry_attempts"] == "${each.value.maximum_retry_attempts}"
    assert config["maximum_event_age_in_seconds"] == "${each.value.maximum_event_age_seconds}"
    # The same settings, with AWS's defaults, in the root's, the region stack's and the module's `functions`.
    for module in (modules()["root"], modules()["region_stack"], processors):
        functions_type = str(module.variables["functions"]["type"])
        assert "maximum_retry_attempts" in functions_type and "optional(number, 2)" in functions_type
        assert "maximum_event_age_seconds" in functions_type and "optional(number, 21600)" in functions_type


def test_root_functions_validate_lambdas_async_limits() -> None:
    validations = modules()["root"].variables["functions"]["validation"]
    messages = " ".join(str(v["error_message"]) for v in validations)

    assert "maximum_retry_attempts must be a whole number from 0 to 2" in messages
    assert "maximum_event_age_seconds must be a whole number from 60 to 21600" in messages
