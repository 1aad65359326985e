"""Default-bus forwarding as the root and monitoring use it: the root's wiring and the forwarding_rule_arn
output (its alarms, on the RuleName dimension alone, are in modules/monitoring/tests). What the module computes (the rule on the default bus, the target,
its role's policy and trust, nothing when off) is in modules/forwarding/tests (terraform test)."""

from __future__ import annotations

from terraform_hcl import modules


def test_every_forwarding_block_has_a_count() -> None:
    """The toggle's effect (off creates nothing) is proven in modules/forwarding/tests; a new block without
    a count would escape it."""
    forwarding = modules()["forwarding"]
    blocks = forwarding.resources() + [d for d in forwarding.data() if d.type != "aws_caller_identity"]

    uncounted = [b.address for b in blocks if "count" not in b.body]

    assert blocks
    assert uncounted == []


def test_each_region_wires_forwarding_from_the_environment_file_and_the_root_exports_its_rule_arn() -> None:
    root, stack = modules()["root"], modules()["region_stack"]
    call = stack.module_calls["forwarding"]

    # A standby region (no consumers) forwards nothing: it routes nothing.
    assert call["create_forwarding"] == "${var.consumers && var.forwarding.enabled}"
    assert call["event_bus_arn"] == "${module.event_bus.arn}"
    assert call["dead_letter_queue_arn"] == "${module.messaging.events_dlq_arn}"
    assert stack.module_calls["monitoring"]["forwarding_rule_name"] == "${module.forwarding.rule_name}"
    assert "module.forwarding.rule_arn" in stack.outputs["forwarding_rule_arn"]["value"]
    assert root.outputs["forwarding_rule_arn"]["value"] == "${module.primary.forwarding_rule_arn}"
