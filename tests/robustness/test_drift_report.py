"""Issue 24 item 4: `tooling drift` summarises a plan's `terraform show -json` per resource and attribute
(state vs real): what changed outside Terraform and the plan would undo; sensitive values masked.

data/drift_plan_moto.json and data/drift_refresh_only_moto.json are real documents: Terraform 1.11.4 and
hashicorp/aws 5.100.0 applied a bus, a rule (state = "ENABLED"), a queue with an aws_sqs_queue_policy and a
second queue to a moto server; then, through the API, the rule was disabled, the first queue's visibility
timeout changed from 60 to 45 and the second queue deleted; `terraform plan -detailed-exitcode -out=...`
(and `terraform plan -refresh-only ...`) answered 2, and `terraform show -json` of each plan is the file. The
hand-made documents below follow Terraform's documented JSON format (resource_drift and resource_changes:
resource change objects with before/after, after_unknown, before_sensitive/after_sensitive).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tooling.deploy.drift import SENSITIVE, DriftReport, attribute_changes, drift_from_plan
from tooling.errors import TerraformError

DATA = Path(__file__).parent / "data"
RECORDED = DATA / "drift_plan_moto.json"
REFRESH_ONLY = DATA / "drift_refresh_only_moto.json"
WEBHOOK = "https://hooks.example.com/services/T000/B000/s3cr3tp4th"


def _recorded(path: Path = RECORDED) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def _flat(report: DriftReport) -> list[tuple[str, str, str, Any, Any]]:
    return [
        (r.address, r.action, c.attribute, c.state, c.real) for r in report.resources for c in r.changes
    ] + [(r.address, r.action, "", None, None) for r in report.resources if not r.changes]


def _plan(*drift: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"format_version": "1.2", "terraform_version": "1.11.4", "resource_drift": list(drift), **extra}


def _update(address: str, before: Any, after: Any, **masks: Any) -> dict[str, Any]:
    return {
        "address": address,
        "mode": "managed",
        "type": address.split(".")[0],
        "change": {"actions": ["update"], "before": before, "after": after, **masks},
    }


def test_the_recorded_plan_reports_the_three_out_of_band_changes_and_nothing_else() -> None:
    report = drift_from_plan(_recorded(), "dev")

    assert sorted(_flat(report)) == [
        ('aws_cloudwatch_event_rule.this["order-events"]', "update", "state", "ENABLED", "DISABLED"),
        ("aws_sqs_queue.batch[0]", "update", "visibility_timeout_seconds", 60, 45),
        ("aws_sqs_queue.gone", "delete", "", None, None),
    ]
    assert report.drifted and report.exit_code == 2 and report.pending == ()
    assert report.summary() == "drift: 3 resources in dev (aws): 2 attributes changed, 1 deleted"


def test_what_terraform_changed_through_another_resource_is_not_drift() -> None:
    """The queue's `policy`, set by aws_sqs_queue_policy after the queue was created, is still "" in the
    queue's state: the refresh lists it, and hashicorp/aws 5.x's `is_enabled` beside `state`; the plan keeps
    both as they are, so neither is drift."""
    refresh_only = drift_from_plan(_recorded(REFRESH_ONLY), "dev")  # no resource_changes: unfiltered
    queue = next(e for e in _recorded()["resource_drift"] if e["address"] == "aws_sqs_queue.batch[0]")

    assert ("aws_sqs_queue.batch[0]", "update", "policy") in [f[:3] for f in _flat(refresh_only)]
    assert queue["change"]["before"]["policy"] == "" and queue["change"]["after"]["policy"].startswith("{")
    assert [f[2] for f in _flat(drift_from_plan(_recorded(), "dev"))] == [
        "state", "visibility_timeout_seconds", "",
    ]  # fmt: skip


def test_a_provider_reading_null_back_as_an_empty_map_is_not_drift() -> None:
    """The recorded bus: created with tags null, read back as {} by hashicorp/aws 5.100 (terraform itself
    listed it in resource_drift)."""
    bus = next(
        e
        for e in _recorded(REFRESH_ONLY)["resource_drift"]
        if e["address"] == "aws_cloudwatch_event_bus.this"
    )
    assert bus["change"]["before"]["tags"] is None and bus["change"]["after"]["tags"] == {}

    report = drift_from_plan(_plan(bus), "dev")

    assert report.resources == () and report.exit_code == 0
    assert report.summary() == "drift: none in dev (aws)"


def test_the_json_document_carries_the_report_and_says_it_is_drift() -> None:
    document = drift_from_plan(_recorded(), "prod").as_json()

    assert document["drift"] is True and document["exit_code"] == 2
    assert document["summary"].startswith("drift: ")
    queue = next(r for r in document["resources"] if r["address"] == "aws_sqs_queue.batch[0]")
    assert queue == {
        "address": "aws_sqs_queue.batch[0]",
        "action": "update",
        "changes": [{"attribute": "visibility_timeout_seconds", "state": 60, "real": 45}],
    }
    assert document["pending"] == []
    json.dumps(document)  # plain JSON all the way


def test_a_value_terraform_marks_sensitive_is_masked_on_both_sides() -> None:
    queue = _update(
        "aws_sqs_queue.batch[0]",
        {"tags": {"token": "tok-old-0123456789", "Name": "batch"}},
        {"tags": {"token": "tok-new-0123456789", "Name": "batch-renamed"}},
        before_sensitive={"tags": {"token": True}},
        after_sensitive={"tags": {"token": True}},
    )

    report = drift_from_plan(_plan(queue), "dev")

    assert _flat(report) == [
        ("aws_sqs_queue.batch[0]", "update", "tags.Name", "batch", "batch-renamed"),
        ("aws_sqs_queue.batch[0]", "update", "tags.token", SENSITIVE, SENSITIVE),
    ]
    assert "tok-" not in json.dumps(report.as_json())


def test_a_value_under_a_secret_name_is_masked_and_a_webhook_url_redacted() -> None:
    function = _update(
        "module.primary.module.processors.aws_lambda_function.this[\"notifier\"]",
        {"environment": [{"variables": {"API_PASSWORD": "hunter2-hunter2", "LOG_LEVEL": "INFO",
                                        "TARGET": "https://example.com/a"}}]},
        {"environment": [{"variables": {"API_PASSWORD": "changed-by-hand", "LOG_LEVEL": "DEBUG",
                                        "TARGET": WEBHOOK}}]},
    )  # fmt: skip

    report = drift_from_plan(_plan(function), "dev")

    assert [(a, s, r) for _, _, a, s, r in _flat(report)] == [
        ("environment[0].variables.API_PASSWORD", SENSITIVE, SENSITIVE),
        ("environment[0].variables.LOG_LEVEL", "INFO", "DEBUG"),
        ("environment[0].variables.TARGET", "https://example.com/a", "(redacted)"),
    ]
    text = json.dumps(report.as_json())
    assert "hunter2" not in text and "changed-by-hand" not in text and "s3cr3t" not in text


def test_a_sensitive_variables_value_is_redacted_wherever_it_appears() -> None:
    secret = "v3ry-s3cret-value-42"
    rule = _update(
        'aws_cloudwatch_event_rule.this["x"]', {"description": "old"}, {"description": f"note {secret}"}
    )
    plan = _plan(
        rule,
        variables={"api_token": {"value": secret}},
        configuration={"root_module": {"variables": {"api_token": {"sensitive": True}}}},
    )

    report = drift_from_plan(plan, "dev")

    assert _flat(report) == [
        ('aws_cloudwatch_event_rule.this["x"]', "update", "description", "old", "note (redacted)")
    ]


def test_a_policy_changed_by_hand_is_reported_at_the_statement_that_changed() -> None:
    before = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Send",
                "Effect": "Allow",
                "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:events:us-east-1:1:rule/b/all-events"}},
            }
        ],
    }
    after = json.loads(json.dumps(before))
    after["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"] = (
        "arn:aws:events:us-east-1:1:rule/b/other"
    )
    queue = _update(
        "aws_sqs_queue_policy.batch[0]", {"policy": json.dumps(before)}, {"policy": json.dumps(after)}
    )

    report = drift_from_plan(_plan(queue), "dev")

    assert _flat(report) == [(
        "aws_sqs_queue_policy.batch[0]", "update", 'policy.Statement[0].Condition.ArnEquals["aws:SourceArn"]',
        "arn:aws:events:us-east-1:1:rule/b/all-events", "arn:aws:events:us-east-1:1:rule/b/other",
    )]  # fmt: skip


def test_lists_of_another_length_are_one_attribute_and_data_sources_are_left_out() -> None:
    rule = _update("aws_x.a", {"subnets": ["a", "b"]}, {"subnets": ["a"]})
    data = {**_update("data.aws_y.b", {"v": 1}, {"v": 2}), "mode": "data"}

    report = drift_from_plan(_plan(rule, data), "dev")

    assert _flat(report) == [("aws_x.a", "update", "subnets", ["a", "b"], ["a"])]


def test_a_plan_without_drift_exits_0() -> None:
    report = drift_from_plan(_plan(), "prod")

    assert (report.drifted, report.exit_code, report.as_json()["resources"]) == (False, 0, [])


def test_a_document_that_is_not_a_plan_is_refused() -> None:
    with pytest.raises(TerraformError, match="no plan"):
        drift_from_plan({"values": {}}, "dev")


@pytest.mark.parametrize(
    ("state", "real", "reported"),
    [
        (None, {}, []),
        ([], None, []),
        ("", None, []),
        (None, "x", [("", None, "x")]),
        (0, None, [("", 0, None)]),
    ],
)
def test_only_null_and_empty_values_are_the_same(state: Any, real: Any, reported: list[Any]) -> None:
    assert [(c.attribute, c.state, c.real) for c in attribute_changes(state, real)] == reported


def _planned(address: str, before: Any, after: Any, *actions: str, **extra: Any) -> dict[str, Any]:
    change = {"actions": list(actions or ["update"]), "before": before, "after": after, **extra}
    return {"address": address, "mode": "managed", "change": change}


def test_a_change_of_the_configuration_not_yet_applied_is_pending_not_drift() -> None:
    """The environment file raised a timeout since the last deploy: the plan changes the function, nothing
    changed outside Terraform."""
    function = 'aws_lambda_function.this["processor"]'
    plan = _plan(resource_changes=[_planned(function, {"timeout": 30}, {"timeout": 60})])

    report = drift_from_plan(plan, "dev")

    assert (report.resources, report.pending, report.exit_code) == ((), (function,), 0)


def test_a_drifted_attribute_the_configuration_also_changes_is_drift_with_both_values() -> None:
    rule = 'aws_cloudwatch_event_rule.this["x"]'
    drift = _update(rule, {"state": "ENABLED", "description": "a"}, {"state": "DISABLED", "description": "a"})
    plan = _plan(drift, resource_changes=[
        _planned(rule, {"state": "DISABLED", "description": "a"}, {"state": "ENABLED", "description": "b"})
    ])  # fmt: skip

    report = drift_from_plan(plan, "dev")

    assert _flat(report) == [(rule, "update", "state", "ENABLED", "DISABLED")]
    assert report.pending == ()


def test_a_value_the_plan_cannot_know_yet_counts_as_changed_back() -> None:
    """A resource replaced by the plan: its computed attributes are unknown until applied."""
    queue = "aws_sqs_queue.batch[0]"
    drift = _update(queue, {"arn": "a", "name": "q"}, {"arn": "b", "name": "q"})
    plan = _plan(drift, resource_changes=[
        _planned(queue, {"arn": "b", "name": "q"}, {"name": "q2"}, "delete", "create", after_unknown={"arn": True})
    ])  # fmt: skip

    assert _flat(drift_from_plan(plan, "dev")) == [(queue, "update", "arn", "a", "b")]


def test_a_resource_gone_that_the_plan_does_not_make_again_is_not_drift() -> None:
    gone = {
        "address": "aws_sqs_queue.old",
        "mode": "managed",
        "change": {"actions": ["delete"], "before": {"name": "old"}, "after": None},
    }
    plan = _plan(gone, resource_changes=[_planned("aws_sqs_queue.old", {"name": "old"}, None, "delete")])

    report = drift_from_plan(plan, "dev")

    assert report.resources == () and report.pending == ("aws_sqs_queue.old",)
