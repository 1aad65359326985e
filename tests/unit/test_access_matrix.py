"""The path matrix on the policies a moto apply of dev and prod rendered (tests/unit/golden/access-*.json,
recorded with `tooling access --record`; account id, name suffix, key ids and endpoints replaced
consistently). No server: the matrix builder and the evaluator on recorded documents, and the faults the e2e
run injects, applied to those documents."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tooling.access.collect import Deployment
from tooling.access.hops import evaluate_deployment
from tooling.access.matrix import Matrix
from tooling.cli.app import app

RECORDED = Path(__file__).parent / "golden"


def recorded(env: str) -> Deployment:
    return Deployment.model_validate_json((RECORDED / f"access-{env}.json").read_text())


def result(matrix: Matrix, name: str) -> Any:
    found = [r for r in matrix.results if r.hop.name == name]
    assert len(found) == 1, [r.hop.name for r in matrix.results]
    return found[0]


def function_arn(deployment: Deployment, short: str) -> str:
    return next(arn for arn in deployment.functions if arn.endswith(f"-{short}"))


@pytest.mark.parametrize(("env", "hops", "twins"), [("dev", 41, 55), ("prod", 51, 71)])
def test_every_hop_is_allowed_and_every_twin_denied(env: str, hops: int, twins: int) -> None:
    matrix = evaluate_deployment(recorded(env))

    assert matrix.failures() == []
    assert matrix.summary() == f"access {hops}/{hops} allowed, {twins}/{twins} twins denied"
    assert all(r.deciding for r in matrix.hops), "every allowed hop names the statements that allowed it"


def test_the_hops_follow_the_routing_the_services_report() -> None:
    deployment = recorded("prod")
    names = {r.hop.name for r in evaluate_deployment(deployment).hops}

    for rule in deployment.rules:
        short = rule.name.rsplit("-", 1)[0]
        assert any(n.startswith("rule ") and n.endswith(" (undeliverable)") for n in names), short
        assert (
            sum(n.startswith(f"rule {rule.name.split('-', 3)[3]} -> ") for n in names)
            == len(rule.targets) + 1
        )
    assert "endpoint replication: bus -> bus (us-west-2)" in names
    assert "endpoint replication: bus (us-west-2) -> bus" in names
    assert "rule order-fulfilment -> order-fulfilment" in names
    assert "bus (us-west-2) -> archive (secondary key)" in names
    assert "producer (publisher policy) -> bus (us-west-2) (through the endpoint)" in names
    assert "queue batch -> batch-processor (event source mapping)" in names
    assert "producer (publisher policy) -> bus" in names


def test_a_removed_lambda_permission_denies_the_rule_and_names_the_hop() -> None:
    deployment = recorded("dev")
    processor = deployment.functions[function_arn(deployment, "processor")]
    assert processor.policy is not None
    processor.policy["Statement"] = [
        s for s in processor.policy["Statement"] if not s["Sid"].endswith("order-events")
    ]

    matrix = evaluate_deployment(deployment)

    denied = result(matrix, "rule order-events -> processor")
    assert not denied.allowed and not denied.ok
    assert denied.reason == "implicit deny: no resource policy statement allows events.amazonaws.com"
    assert [r.hop.name for r in matrix.failures()] == ["rule order-events -> processor"]


def test_a_queue_policy_naming_another_rule_denies_the_delivery() -> None:
    deployment = recorded("dev")
    queue = deployment.queues[deployment.outputs.batch_queue_arn]
    assert queue.policy is not None
    queue.policy["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"] = deployment.outputs.rule_arns[
        "order-events"
    ]

    failed = {r.hop.name: r.allowed for r in evaluate_deployment(deployment).failures()}

    # The hop is denied, and its twin from order-events, now named by the policy, is allowed: both reported.
    assert failed == {
        "rule all-events -> batch": False,
        "rule all-events -> batch [twin: another rule of the bus (order-events)]": True,
    }


def test_a_key_policy_without_the_eventbridge_statement_denies_the_encrypted_queue() -> None:
    deployment = recorded("dev")
    key = deployment.queues[deployment.outputs.batch_queue_arn].kms_key
    assert key is not None
    policy = deployment.keys[key]
    policy["Statement"] = [
        s for s in policy["Statement"] if s.get("Sid") != "EventBridgeRulesSendToBatchQueue"
    ]

    failed = evaluate_deployment(deployment).failures()

    assert [r.hop.name for r in failed] == ["rule all-events -> batch"]
    assert failed[0].reason == "implicit deny: no key policy statement allows events.amazonaws.com"


def test_a_removed_sns_permission_denies_the_notifier_subscription() -> None:
    deployment = recorded("dev")
    notifier = deployment.functions[function_arn(deployment, "notifier")]
    notifier.policy = None

    assert [r.hop.name for r in evaluate_deployment(deployment).failures()] == [
        "topic notifications -> notifier"
    ]


def test_a_policy_wider_than_the_hop_lets_a_twin_through() -> None:
    deployment = recorded("dev")
    queue = deployment.queues[deployment.outputs.batch_queue_arn]
    assert queue.policy is not None
    queue.policy["Statement"][0]["Condition"] = {"ArnLike": {"aws:SourceArn": "arn:aws:events:*"}}

    failed = evaluate_deployment(deployment).failures()

    assert [(r.hop.twin_of, r.allowed) for r in failed] == [("rule all-events -> batch", True)]


def test_a_target_deleted_out_of_band_is_a_denied_hop() -> None:
    deployment = recorded("dev")
    del deployment.functions[function_arn(deployment, "analytics")]

    failed = {r.hop.name: r.reason for r in evaluate_deployment(deployment).failures()}

    assert failed["rule all-events -> analytics"].endswith("does not exist")
    assert failed["rule aws-service-events -> analytics"].endswith("does not exist")


def test_without_a_publisher_policy_the_producer_hop_is_denied() -> None:
    deployment = recorded("dev")
    deployment.publisher_policy = None

    failed = evaluate_deployment(deployment).failures()

    assert [r.hop.name for r in failed] == ["producer (publisher policy) -> bus"]
    assert "publisher_policy_arn" in failed[0].reason


def test_the_command_prints_the_matrix_and_exits_1_on_a_failed_hop(tmp_path: Path) -> None:
    runner = CliRunner()
    clean = runner.invoke(app, ["access", "--from", str(RECORDED / "access-dev.json"), "--json"])
    assert clean.exit_code == 0, clean.output
    document = json.loads(clean.stdout)
    assert document["ok"] is True
    assert document["summary"].startswith("access 41/41 allowed")

    broken = json.loads((RECORDED / "access-dev.json").read_text())
    broken["functions"][function_arn(recorded("dev"), "notifier")]["policy"] = None
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    failed = runner.invoke(app, ["access", "--from", str(tmp_path / "broken.json")])

    assert failed.exit_code == 1
    assert "!! DENY   topic notifications -> notifier" in failed.stdout
    assert "access 40/41 allowed" in failed.stdout


def test_recorded_policies_that_are_not_json_are_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{")
    done = subprocess.run(
        [sys.executable, "-m", "tooling", "access", "--from", str(tmp_path / "bad.json")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert done.returncode == 2
    assert done.stderr.startswith(f"error: cannot read recorded policies {tmp_path / 'bad.json'}: ")
    assert done.stdout == ""


def test_an_unwritable_record_path_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "policies.json"
    done = subprocess.run(
        [sys.executable, "-m", "tooling", "access", "--from", str(RECORDED / "access-dev.json"), "--record", str(target)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert done.returncode == 2
    assert done.stderr.startswith(f"error: cannot write {target}: ")
    assert not target.parent.exists()
