"""Issue 28 (a deploy pipeline that passes a security review), items 5 and 8, as the HCL states them:

- the webhook URL is a secret Terraform never holds: no variable carries it, no resource or data source
  reads its parameter (a data source would copy the value into the state), the notifier's environment names
  the parameter only, and its role may read that one parameter and decrypt it only through SSM;
- every kms:ViaService value is built from the partition's DNS suffix, never a hard-coded amazonaws.com;
- every SNS topic's TLS-only deny covers each action a topic policy can name, not only Publish;
- publisher accounts may put only the stack's own sources on the bus (events:source);
- the Express state machine logs every step without execution data (orders carry customerEmail).

(tests/terraform/test_checks.py plans and applies the stack with real terraform and greps plan, state and
the rendered Lambda environment for the URL.)
"""

from __future__ import annotations

import re

import pytest
from terraform_hcl import modules, statements, unquote

# SNS developer guide, "Valid Amazon SNS policy actions": everything a topic policy can name.
SNS_TOPIC_POLICY_ACTIONS = {
    "sns:AddPermission",
    "sns:DeleteTopic",
    "sns:GetDataProtectionPolicy",
    "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic",
    "sns:ListTagsForResource",
    "sns:Publish",
    "sns:PutDataProtectionPolicy",
    "sns:RemovePermission",
    "sns:SetTopicAttributes",
    "sns:Subscribe",
}
PARTITION_SUFFIX = "${data.aws_partition.current.dns_suffix}"


def test_no_terraform_input_can_carry_the_webhook_url() -> None:
    root = modules()["root"]

    assert not [name for name in root.variables if "url" in name.lower()]
    assert (
        modules()["region_stack"].module_calls["processors"]["webhook_parameter"]
        == "${var.webhook_parameter}"
    )
    assert not [name for name in modules()["processors"].variables if "url" in name.lower()]


def test_terraform_never_creates_or_reads_the_webhook_parameter() -> None:
    """A data source would copy the SecureString's value into the state; a resource would make Terraform
    the holder of the value (or of a placeholder apply would put back)."""
    touching = [
        f"{module.name}: {block.type}.{block.name}"
        for module in modules().values()
        for block in module.resources() + module.data()
        if block.type.startswith(("aws_ssm_parameter", "aws_secretsmanager"))
    ]

    assert touching == []


def test_the_notifier_environment_names_the_parameter_never_the_url() -> None:
    notifier = modules()["processors"].locals["function_environment"]["notifier"]

    assert "WEBHOOK_PARAMETER = var.webhook_parameter" in notifier
    assert "WEBHOOK_URL" not in notifier and "url" not in notifier.lower()


def test_the_notifier_may_read_only_its_parameter_and_decrypt_it_only_through_ssm() -> None:
    processors = modules()["processors"]
    by_sid = {s.sid: s for s in statements(processors.policy_document("function"))}
    read, decrypt = by_sid["ReadWebhookParameter"], by_sid["DecryptWebhookParameterThroughSsm"]

    assert (read.actions, read.resources) == (["ssm:GetParameter"], ["${statement.value}"])
    assert (decrypt.actions, decrypt.resources) == (["kms:Decrypt"], ["${var.kms_key_arn}"])
    assert {c["variable"]: c["values"] for c in decrypt.conditions} == {
        "kms:ViaService": ["${local.ssm_via_service}"],
        "kms:EncryptionContext:PARAMETER_ARN": ["${statement.value}"],
    }
    arn = unquote(processors.locals["webhook_parameter_arn"])
    assert (
        "arn:${data.aws_partition.current.partition}:ssm:${var.region}:"
        "${data.aws_caller_identity.current.account_id}:parameter${var.webhook_parameter}"
    ) in arn
    for_each = {
        item['"statement"']["content"][0]["sid"]: item['"statement"']["for_each"]
        for item in processors.policy_document("function").body["dynamic"]
    }
    only_notifier = '${each.key == "notifier" && local.webhook_parameter_arn != null ? [local.webhook_parameter_arn] : []}'
    assert (
        for_each['"ReadWebhookParameter"'] == for_each['"DecryptWebhookParameterThroughSsm"'] == only_notifier
    )


def _via_service_values() -> list[tuple[str, str, str]]:
    return [
        (module.name, statement.sid, value)
        for module in modules().values()
        for doc in module.data("aws_iam_policy_document")
        for statement in statements(doc)
        for condition in statement.conditions
        if condition["variable"] == "kms:ViaService"
        for value in condition["values"]
    ]


@pytest.mark.parametrize("found", _via_service_values(), ids=lambda f: f"{f[0]}-{f[1]}")
def test_kms_via_service_uses_the_partitions_dns_suffix(found: tuple[str, str, str]) -> None:
    module, _sid, value = found
    local = re.fullmatch(r"\$\{local\.(\w+)\}", value)
    rendered = unquote(modules()[module].locals[local.group(1)]) if local else value

    assert "amazonaws.com" not in rendered
    assert rendered.endswith(f".{PARTITION_SUFFIX}"), rendered


def _tls_denies() -> list[tuple[str, object]]:
    found = []
    for module in modules().values():
        for block in module.resources("aws_sns_topic_policy"):
            name = re.search(r"data\.aws_iam_policy_document\.(\w+)", str(block.body["policy"]))
            assert name is not None
            for statement in statements(module.policy_document(name.group(1))):
                if statement.effect == "Deny" and any(
                    c["variable"] == "aws:SecureTransport" for c in statement.conditions
                ):
                    actions = statement.body["actions"]
                    if isinstance(actions, str) and actions.startswith("${local."):
                        actions = module.locals[actions[len("${local.") : -1]]
                    found.append((f"{module.name}: {block.name}", unquote(actions)))
    return found


def test_every_topic_denies_plain_http_for_every_action_a_topic_policy_can_name() -> None:
    denies = _tls_denies()

    assert [where for where, _ in denies] == ["messaging: notifications", "monitoring: this"]
    for where, actions in denies:
        assert set(actions) == SNS_TOPIC_POLICY_ACTIONS, where


def test_publisher_accounts_may_put_only_the_stacks_sources() -> None:
    bus = modules()["event_bus"]
    (statement,) = statements(bus.policy_document("bus"))

    assert statement.actions == ["events:PutEvents"]
    assert statement.conditions == [
        {
            "test": "ForAllValues:StringEquals",
            "variable": "events:source",
            "values": "${var.publisher_sources}",
        },
        # ForAllValues holds vacuously without the key: a request must carry it.
        {"test": "Null", "variable": "events:source", "values": ["false"]},
    ]
    assert (
        modules()["region_stack"].module_calls["event_bus"]["publisher_sources"]
        == "${local.ecommerce_sources}"
    )
    # The variable requires at least one source, so the bus policy can never list none.
    validations = bus.variables["publisher_sources"]["validation"]
    assert any(v["condition"] == "${length(var.publisher_sources) > 0}" for v in validations)


def test_the_state_machine_logs_every_step_without_execution_data() -> None:
    machine = modules()["workflows"].resource("aws_sfn_state_machine", "this")
    (logging,) = machine.body["logging_configuration"]

    assert logging["include_execution_data"] is False
    assert logging["level"] == '"ALL"'
