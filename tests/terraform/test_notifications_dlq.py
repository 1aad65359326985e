"""The notifier's SNS subscription dead-letters into its own queue: SNS may send there only for the
notifications topic, the queue uses SSE-SQS (so SNS needs no key: the key's grants, proven by value in
modules/region_stack/tests, name no SNS principal), and the queue is alarmed and exported."""

from __future__ import annotations

from terraform_hcl import modules, statements


def test_notifier_subscription_redrives_into_the_notifications_dlq() -> None:
    subscription = modules()["messaging"].resource("aws_sns_topic_subscription", "notifier").body

    assert "deadLetterTargetArn = aws_sqs_queue.notifications_dlq[0].arn" in subscription["redrive_policy"]


def test_only_the_notifications_topic_may_send_to_the_dlq() -> None:
    messaging = modules()["messaging"]
    allows = [s for s in statements(messaging.policy_document("notifications_dlq")) if s.effect == "Allow"]

    (allow,) = allows

    assert allow.actions == ["sqs:SendMessage"]
    assert allow.principals == [{"type": "Service", "identifiers": ["sns.amazonaws.com"]}]
    assert allow.conditions == [
        {
            "test": "ArnEquals",
            "variable": "aws:SourceArn",
            "values": ["${aws_sns_topic.notifications[0].arn}"],
        }
    ]


def test_dlq_uses_sse_sqs_and_is_never_a_redrive_target() -> None:
    queue = modules()["messaging"].resource("aws_sqs_queue", "notifications_dlq").body

    # Not the project key: dead-lettering must not fail along with the key it guards against.
    assert queue["sqs_managed_sse_enabled"] is True
    assert "kms_master_key_id" not in queue
    assert 'redrivePermission = "denyAll"' in queue["redrive_allow_policy"]


def test_dlq_is_exported_under_notifications_and_alarmed_like_the_others() -> None:
    stack = modules()["region_stack"]

    assert "notifications = {" in stack.locals["dead_letter_queues"]
    assert "module.messaging.notifications_dlq_url" in stack.locals["dead_letter_queues"]
    assert stack.module_calls["monitoring"]["dead_letter_queue_names"] == (
        "${{for key, queue in local.dead_letter_queues : key => queue.name}}"
    )
