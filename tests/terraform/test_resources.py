"""The resource settings the design promises across modules: the encrypted and dead-lettered queues, the
typed async settings. Each module's own settings (functions, tables, the archive, the bus policy, the alarms
of the catalogue) are proven by value in terraform/modules/<module>/tests (terraform test)."""

from __future__ import annotations

from terraform_hcl import modules, unquote

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


def test_functions_carry_lambdas_async_settings_with_aws_defaults_in_their_types() -> None:
    # Each async function's invoke config takes them (modules/processors/tests); here, the typed inputs of
    # the root, the region stack and the module.
    for module in (modules()["root"], modules()["region_stack"], modules()["processors"]):
        functions_type = str(module.variables["functions"]["type"])
        assert "maximum_retry_attempts" in functions_type and "optional(number, 2)" in functions_type
        assert "maximum_event_age_seconds" in functions_type and "optional(number, 21600)" in functions_type


def test_root_functions_validate_lambdas_async_limits() -> None:
    validations = modules()["root"].variables["functions"]["validation"]
    messages = " ".join(str(v["error_message"]) for v in validations)

    assert "maximum_retry_attempts must be a whole number from 0 to 2" in messages
    assert "maximum_event_age_seconds must be a whole number from 60 to 21600" in messages
