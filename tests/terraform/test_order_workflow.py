"""The order-fulfilment workflow (module workflows) against what the local target's tooling/local/workflows.py
restates, the root's wiring, no routing loop, its monitoring. What the module
computes (the EXPRESS state machine and its definition as JSON, logging, both roles' policies and trust,
nothing when off) is in modules/workflows/tests (terraform test)."""

from __future__ import annotations

from pathlib import Path

import pytest
from terraform_hcl import REPO, modules, unquote

from tooling.config import load_config
from tooling.local import workflows
from tooling.patterns import compile_pattern


def _definition() -> dict[str, object]:
    definition: dict[str, object] = modules()["workflows"].locals["definition"]
    return definition


def test_every_workflow_block_has_a_count() -> None:
    """The toggle's effect (off creates nothing) is proven in modules/workflows/tests; a new block without a
    count would escape it."""
    module = modules()["workflows"]
    blocks = module.resources() + [
        d for d in module.data() if d.type not in ("aws_caller_identity", "aws_partition", "aws_region")
    ]

    uncounted = [b.address for b in blocks if "count" not in b.body]

    assert len(blocks) == 7
    assert uncounted == []


def test_the_workflow_exists_where_the_config_decides_and_the_region_routes() -> None:
    # tooling/config.py decides (Config.creates_workflow, tests/robustness/test_create_switches_one_place.py);
    # a standby region (no consumers) routes nothing and has none.
    stack = modules()["region_stack"]

    assert stack.locals["create_workflow"] == "${var.consumers && var.create_workflow}"
    assert stack.module_calls["workflows"]["create_workflow"] == "${local.create_workflow}"


def test_state_machine_type_is_the_one_the_local_emulation_assumes() -> None:
    machine = modules()["workflows"].resource("aws_sfn_state_machine", "this")

    assert machine.attr("type") == workflows.STATE_MACHINE_TYPE == "EXPRESS"


def test_definition_is_never_spliced_from_a_template() -> None:
    text = "".join(modules()["workflows"].text.values())

    assert "templatefile" not in text and "template_file" not in text
    assert not list((REPO / "terraform" / "modules" / "workflows").glob("*.json"))


def test_execution_log_group_is_the_one_the_key_policy_and_the_local_naming_expect() -> None:
    module = modules()["workflows"]
    grants = str(modules()["region_stack"].locals["key_grants"])

    # The group's name, key and retention are in modules/workflows/tests, the key's grant for it in
    # modules/region_stack/tests; here, that the grant covers that path and the local target's naming
    # builds the same state machine name.
    assert '"/aws/vendedlogs/states"' in grants and "${var.name_prefix}-*" in grants
    assert unquote(module.locals["log_group_name"]) == "/aws/vendedlogs/states/${local.state_machine_name}"
    assert (
        unquote(module.locals["state_machine_name"])
        == f"${{var.name_prefix}}-{workflows.STATE_MACHINE_SUFFIX}"
    )


def test_choice_matches_the_local_emulation() -> None:
    states = _definition()["States"]
    assert isinstance(states, dict)

    choice = states["CheckTotal"]

    assert unquote(_definition()["StartAt"]) == "CheckTotal"
    # The whole definition, rendered, is in modules/workflows/tests; these are the names the emulation shares.
    assert [unquote(rule["Next"]) for rule in choice["Choices"]] == [
        "InvalidOrder",
        "InvalidOrder",
        "FlagOrder",
    ]
    assert unquote(choice["Default"]) == "AcceptOrder"
    assert {k: unquote(v) for k, v in states["InvalidOrder"].items()} == {
        "Type": "Fail",
        "Error": workflows.INVALID_TOTAL_ERROR,
        "Cause": workflows.INVALID_TOTAL_CAUSE,
    }
    assert {k: unquote(v) for k, v in states["Done"].items()} == {"Type": "Succeed"}
    # The emulation takes the same branches.
    assert workflows.choose({"detail": {"totalAmount": 1000.01}}, 1000) == "FlagOrder"
    assert workflows.choose({"detail": {"totalAmount": 1000}}, 1000) == "AcceptOrder"
    assert workflows.choose({"detail": {"totalAmount": "1500"}}, 1000) == "InvalidOrder"
    assert workflows.choose({"detail": {}}, 1000) == "InvalidOrder"


def test_publishing_tasks_retry_as_often_as_the_local_emulation() -> None:
    tasks = modules()["workflows"].locals["publish_states"]

    # The tasks themselves, rendered, are in modules/workflows/tests; the emulation retries as often.
    assert f"MaxAttempts = {workflows.PUBLISH_RETRIES}" in tasks


def test_published_events_are_the_ones_the_local_emulation_publishes() -> None:
    module = modules()["workflows"]

    assert unquote(module.locals["published_source"]) == workflows.PUBLISHED_SOURCE
    assert {k: unquote(v) for k, v in module.locals["published_detail_types"].items()} == {
        "flagged": workflows.FLAGGED,
        "accepted": workflows.ACCEPTED,
    }
    detail = {unquote(k): unquote(v) for k, v in module.locals["published_detail"].items()}
    # The threshold's value is in modules/workflows/tests; the copied fields are the emulation's.
    assert set(detail) - {f"{key}.$" for key in workflows.DETAIL_PATHS} == {"threshold"}
    assert {key: detail[f"{key}.$"] for key in workflows.DETAIL_PATHS} == workflows.DETAIL_PATHS


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_published_events_start_no_execution_and_reach_the_batch_queue(env: str) -> None:
    config = load_config(REPO / "environments" / f"{env}.toml")
    events = workflows.sample_published_events(config.processing.high_value_threshold)

    starters = [r for r in config.rules if any(t.target == "order-workflow" for t in r.targets)]
    looping = [
        (r.name, e["detail-type"]) for r in starters for e in events if compile_pattern(r.pattern).matches(e)
    ]
    all_events = compile_pattern(config.rule("all-events").pattern)

    assert [r.name for r in starters] == ([] if env == "dev" else ["order-fulfilment"])
    assert looping == []
    assert [all_events.matches(e) for e in events] == [True, True]


def test_root_hands_the_workflow_the_arns_of_the_rules_that_target_it() -> None:
    # The trust those ARNs produce is in modules/workflows/tests.
    # lookup(): an environment whose routing table has no workflow rule must still plan (no such key then).
    assert (
        modules()["region_stack"].module_calls["workflows"]["rule_arns"]
        == '${lookup(module.routing.rule_arns_by_target, "order-workflow", [])}'
    )


def test_routing_resolves_the_workflow_and_gives_a_role_only_to_targets_that_need_one() -> None:
    stack = modules()["region_stack"]

    # The outputs keyed order-workflow, and routing's role only where given, are in the modules' tests.
    assert "module.workflows.state_machine_arns" in stack.locals["target_arns"]
    assert (
        stack.module_calls["routing"]["target_role_arns"]
        == "${merge(module.workflows.target_role_arns, module.s3_archive.target_role_arns)}"
    )
    assert modules()["routing"].variables["target_role_arns"]["default"] == {}


def test_the_workflow_is_monitored() -> None:
    # Its two alarms (failed, timed-out executions) come from the alarm catalogue; modules/monitoring/tests
    # proves them by value and tests/robustness/test_alarms_one_catalogue.py in prod's plan.
    assert modules()["region_stack"].module_calls["monitoring"]["state_machine_arns"] == (
        "${module.workflows.state_machine_arns}"
    )


def test_module_readme_states_the_type_choice_and_the_local_limitation() -> None:
    readme = (Path(modules()["workflows"].path) / "README.md").read_text()

    assert "EXPRESS" in readme and "STANDARD" in readme
    assert "tooling/local/workflows.py" in readme
