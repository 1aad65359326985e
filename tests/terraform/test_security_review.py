"""Issue 28 (a deploy pipeline that passes a security review), items 5 and 8, as the HCL states them:

- the webhook URL is a secret Terraform never holds: no variable carries it, no resource or data source
  reads its parameter (a data source would copy the value into the state), the notifier's environment names
  the parameter only, and its role may read that one parameter and decrypt it only through SSM;
- every kms:ViaService value is built from the partition's DNS suffix, never a hard-coded amazonaws.com
  (processors and s3_archive, the modules that use one, render theirs in aws-cn in their terraform tests);
- every SNS topic's TLS-only deny covers each action a topic policy can name, not only Publish;
- publisher accounts may put only the stack's own sources on the bus (events:source);
- the Express state machine logs every step without execution data (orders carry customerEmail).

The notifier's environment (the parameter's name, nothing else), its role's statements for that parameter,
the key conditions rendered in another partition, the bus policy and the state machine's logging are proven by
value in terraform/modules/{processors,event_bus,workflows}/tests (terraform test); what stays here is what no
plan shows. (tests/terraform/test_checks.py plans and applies the stack with real terraform and greps plan,
state and the rendered Lambda environment for the URL.)
"""

from __future__ import annotations

from terraform_hcl import modules, resource_policies, unquote

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


def test_every_topic_denies_plain_http_for_every_action_a_topic_policy_can_name() -> None:
    """The topic policies take their deny from modules/tls_only_policy with service "sns"
    (tests/terraform/test_policies.py checks every policy takes it; the module's terraform test renders it)."""
    tls_only = modules()["tls_only_policy"]
    topics = [
        (name, policy.tls_only)
        for name, module in modules().items()
        for policy in resource_policies(module, "aws_sns_topic_policy")
    ]

    assert [name for name, _ in topics] == ["messaging", "monitoring"]
    assert all(call is not None and unquote(call["service"]) == "sns" for _, call in topics)
    assert set(unquote(tls_only.locals["actions"]["sns"])) == SNS_TOPIC_POLICY_ACTIONS


def test_publisher_accounts_may_put_only_the_stacks_sources() -> None:
    # The bus policy (ForAllValues on events:source plus the Null check) and the refusal of an empty source
    # list are proven in modules/event_bus/tests; the region stack hands in the stack's sources.
    assert (
        modules()["region_stack"].module_calls["event_bus"]["publisher_sources"]
        == "${local.ecommerce_sources}"
    )
