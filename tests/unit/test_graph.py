"""`tooling graph`: bus -> rules -> targets -> DLQs from the validated config, and the README kept in step."""

from __future__ import annotations

import re
from pathlib import Path

from tooling.config import load_config
from tooling.observe.graph import build_graph, readme_block, replace_block, to_dot, to_mermaid
from tooling.outputs import DeploymentOutputs

REPO = Path(__file__).resolve().parents[2]


def dev_graph() -> str:
    return to_mermaid(build_graph(load_config(REPO / "environments" / "dev.toml")))


def edges(mermaid: str) -> set[tuple[str, str, str, str]]:
    found = re.findall(r"^  (\w+) (-->|-\.->)(?:\|([^|]*)\|)? (\w+)$", mermaid, flags=re.MULTILINE)
    return {(a, arrow, label, b) for a, arrow, label, b in found}


def test_every_enabled_rule_hangs_off_the_bus_and_reaches_each_of_its_targets() -> None:
    config = load_config(REPO / "environments" / "dev.toml")
    drawn = edges(dev_graph())

    for rule in (r for r in config.rules if r.enabled):
        node = "rule_" + rule.name.replace("-", "_")
        assert ("bus", "-->", "", node) in drawn
        for target in rule.targets:
            label = "input transformer" if target.input_transformer else ""
            assert (node, "-->", label, target.target.replace("-", "_")) in drawn, (rule.name, target.target)


def test_failures_are_dashed_edges_to_the_dlq_they_land_in() -> None:
    drawn = edges(dev_graph())

    assert ("rule_all_events", "-.->", "undeliverable", "dlq_events") in drawn
    assert ("processor", "-.->", "async failure", "dlq_processor") in drawn
    assert ("notifications", "-->", "subscription", "notifier") in drawn
    assert ("notifications", "-.->", "redrive", "dlq_notifications") in drawn
    assert ("batch_queue", "-.->", "redrive", "dlq_batch_queue") in drawn


def test_rules_show_their_pattern_summarised() -> None:
    mermaid = dev_graph()

    assert "high-value-orders<br/>source: ecommerce.orders<br/>detail-type: Order Created" in mermaid
    assert "detail.totalAmount: numeric #gt; 1000" in mermaid


def test_with_outputs_nodes_carry_the_deployed_names() -> None:
    config = load_config(REPO / "environments" / "dev.toml")
    prefix = "ecommerce-dev-q1w2e3"
    queue = f"https://sqs.us-east-1.amazonaws.com/123456789012/{prefix}"
    outputs = DeploymentOutputs(
        region="us-east-1",
        event_bus_name=f"{prefix}-bus",
        event_bus_arn="arn",
        archive_name=f"{prefix}-archive",
        rule_arns={"order-events": f"arn:aws:events:us-east-1:1:rule/{prefix}-bus/{prefix}-order-events"},
        batch_queue_url=f"{queue}-batch-queue",
        batch_queue_arn="arn",
        dead_letter_queue_urls={"events": f"{queue}-events-dlq"},
        notifications_topic_arn=f"arn:aws:sns:us-east-1:1:{prefix}-notifications",
        function_names={"processor": f"{prefix}-processor"},
        log_group_names={},
    )

    dot = to_dot(build_graph(config, outputs))

    for name in ("bus", "order-events", "batch-queue", "events-dlq", "notifications", "processor"):
        assert f"\\n{prefix}-{name}" in dot, name
    assert "processor (λ)" in dot and "style=dashed" in dot


def test_the_architecture_page_block_is_what_tooling_graph_draws_for_dev() -> None:
    readme = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    expected = readme_block(build_graph(load_config(REPO / "environments" / "dev.toml")), "dev")

    assert replace_block(readme, expected, "dev") == readme, (
        "docs/architecture.md's routing diagram is stale: run `tooling graph --env dev --readme docs/architecture.md`"
    )


def test_forwarding_draws_the_default_bus_feeding_the_bus_through_its_rule() -> None:
    drawn = edges(dev_graph())

    assert ("default_bus", "-->", "", "rule_forward_default") in drawn
    assert ("rule_forward_default", "-->", "role: PutEvents", "bus") in drawn
    assert ("rule_forward_default", "-.->", "undeliverable", "dlq_events") in drawn


def test_without_forwarding_there_is_no_default_bus() -> None:
    config = load_config(REPO / "environments" / "dev.toml")
    off = config.model_copy(update={"forwarding": config.forwarding.model_copy(update={"enabled": False})})

    assert "default_bus" not in to_mermaid(build_graph(off))


def test_the_batch_queue_feeds_its_consumer_and_the_event_store() -> None:
    drawn = edges(dev_graph())

    assert ("batch_queue", "-->", "event source mapping", "batch_processor") in drawn
    assert ("batch_processor", "-->", "put once per event", "event_store") in drawn


def test_without_the_consumer_the_batch_queue_feeds_nothing() -> None:
    from tooling.config import parse_config

    data = load_config(REPO / "environments" / "dev.toml").model_dump(by_alias=True)
    data["batch_processor"]["enabled"] = False
    data["event_store"]["enabled"] = False

    drawn = edges(to_mermaid(build_graph(parse_config(data))))

    assert not [edge for edge in drawn if edge[0] == "batch_queue" and edge[2] != "redrive"]
    assert not [edge for edge in drawn if "event_store" in edge]
