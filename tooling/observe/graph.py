"""`tooling graph`: the routing of an environment as a diagram, drawn from the validated Config (the one
routing table) and, when given, the deployed names from the outputs.

    bus -> rule (its pattern, summarised) -> target -> the DLQ where its failures land
    default bus -> forwarding rule -> bus, when [forwarding] is on
    batch queue -> its consumer (batch-processor) -> the event store, when [batch_processor] is enabled

Two renderings of one Graph: Mermaid (GitHub draws it in docs/architecture.md) and Graphviz DOT. Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tooling.config import Config
from tooling.naming import queue_name_from_url
from tooling.outputs import DeploymentOutputs

Shape = Literal["bus", "rule", "function", "topic", "queue", "dlq", "workflow", "stream", "bucket", "table"]
FUNCTIONS = ("processor", "notifier", "analytics")
# The [forwarding] rule's node; no routing-table rule id ("rule:<name>") or target name can equal it.
FORWARDING_NODE = "rule.forward-default"
# What each target of the routing table is (config.TargetName).
_TARGET_SHAPE: dict[str, Shape] = {
    "processor": "function",
    "notifier": "function",
    "analytics": "function",
    "notifications": "topic",
    "batch-queue": "queue",
    "order-workflow": "workflow",
    "s3-archive": "stream",
}
_KIND_LABEL: dict[Shape, str] = {
    "bus": "bus",
    "rule": "rule",
    "function": "λ",
    "topic": "SNS topic",
    "queue": "SQS queue",
    "dlq": "DLQ",
    "workflow": "Step Functions",
    "stream": "Firehose",
    "bucket": "S3 bucket",
    "table": "DynamoDB",
}


@dataclass(frozen=True)
class Node:
    id: str
    shape: Shape
    title: str
    lines: tuple[str, ...] = ()  # the pattern summary of a rule, the deployed name of a resource


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    failure: bool = False  # the path a failed event takes (drawn dashed)


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def add(self, node: Node) -> str:
        self.nodes.setdefault(node.id, node)
        return node.id

    def link(self, edge: Edge) -> None:
        if edge not in self.edges:
            self.edges.append(edge)


def _value(value: Any) -> str:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    if (
        isinstance(value, list)
        and len(value) == 1
        and isinstance(value[0], dict)
        and list(value[0]) == ["numeric"]
    ):
        return "numeric " + " ".join(str(part) for part in value[0]["numeric"])
    return json.dumps(value, separators=(",", ":"))


def pattern_summary(pattern: Mapping[str, Any], prefix: str = "") -> list[str]:
    """One line per leaf field: `source: ecommerce.orders`, `detail.totalAmount: [{"numeric":[">",1000]}]`."""
    lines: list[str] = []
    for key, value in pattern.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            lines += pattern_summary(value, path + ".")
        else:
            lines.append(f"{path}: {_value(value)}")
    return lines


def _names(outputs: DeploymentOutputs | None) -> dict[str, str]:
    """node id -> deployed name, from the outputs."""
    if outputs is None:
        return {}
    names = {"bus": outputs.event_bus_name, "batch-queue": queue_name_from_url(outputs.batch_queue_url)}
    names["notifications"] = outputs.notifications_topic_arn.rsplit(":", 1)[-1]
    names.update(outputs.function_names)
    if outputs.s3_archive_stream_name:
        names["s3-archive"] = outputs.s3_archive_stream_name
        names["s3-archive-bucket"] = outputs.s3_archive_bucket_name
    names.update({f"rule:{k}": arn.rsplit("/", 1)[-1] for k, arn in outputs.rule_arns.items()})
    names.update({f"dlq:{k}": queue_name_from_url(url) for k, url in outputs.dead_letter_queue_urls.items()})
    if outputs.forwarding_rule_arn:
        names[FORWARDING_NODE] = outputs.forwarding_rule_arn.rsplit("/", 1)[-1]
    if outputs.event_store_table_name:
        names["event-store"] = outputs.event_store_table_name
    return names


def build_graph(config: Config, outputs: DeploymentOutputs | None = None) -> Graph:
    """The enabled rules of the routing table, their targets, and where failures go."""
    names = _names(outputs)

    def node(node_id: str, shape: Shape, title: str, lines: tuple[str, ...] = ()) -> str:
        deployed = names.get(node_id)
        return graph.add(Node(node_id, shape, title, (*lines, deployed) if deployed else lines))

    graph = Graph()
    bus = node("bus", "bus", f"{config.project}-{config.environment} bus")
    if config.forwarding.enabled:
        # AWS service events reach the bus from the account's default bus, through the forwarding rule.
        default_bus = node("default-bus", "bus", "default bus (AWS service events)")
        summary = tuple(pattern_summary(config.forwarding.pattern))
        forward = node(FORWARDING_NODE, "rule", "forward-default", summary)
        graph.link(Edge(default_bus, forward))
        graph.link(Edge(forward, bus, "role: PutEvents"))
        graph.link(Edge(forward, node("dlq:events", "dlq", "events DLQ"), "undeliverable", failure=True))
    for rule in (r for r in config.rules if r.enabled):
        rule_id = node(f"rule:{rule.name}", "rule", rule.name, tuple(pattern_summary(rule.pattern)))
        graph.link(Edge(bus, rule_id))
        for target in rule.targets:
            shape = _TARGET_SHAPE[target.target]
            target_id = node(target.target, shape, target.target)
            graph.link(Edge(rule_id, target_id, "input transformer" if target.input_transformer else ""))
            if target.dead_letter_queue:  # the rule target's DLQ: events EventBridge could not deliver
                dlq = node("dlq:events", "dlq", "events DLQ")
                graph.link(Edge(rule_id, dlq, "undeliverable", failure=True))
            _downstream(graph, node, target.target)
            if target.target == "batch-queue":
                _consumer(graph, node, config)
    return graph


def _consumer(graph: Graph, node: Any, config: Config) -> None:
    """The batch queue's event source mapping to the batch processor, and the store it writes."""
    if not config.batch_processor.enabled:
        return
    consumer = node("batch-processor", "function", "batch-processor")
    graph.link(Edge("batch-queue", consumer, "event source mapping"))
    if config.event_store.enabled:
        graph.link(Edge(consumer, node("event-store", "table", "event store"), "put once per event"))


def _downstream(graph: Graph, node: Any, target: str) -> None:
    """What a target hands events to, and its own DLQ (fixed by the Terraform modules)."""
    if target == "notifications":
        notifier = node("notifier", "function", "notifier")
        graph.link(Edge(target, notifier, "subscription"))
        graph.link(
            Edge(target, node("dlq:notifications", "dlq", "notifications DLQ"), "redrive", failure=True)
        )
        _downstream(graph, node, "notifier")
    elif target == "batch-queue":
        graph.link(Edge(target, node("dlq:batch-queue", "dlq", "batch-queue DLQ"), "redrive", failure=True))
    elif target == "s3-archive":  # Firehose writes the bucket; failed S3 writes are retried, then errors/
        graph.link(Edge(target, node("s3-archive-bucket", "bucket", "archive bucket"), "gzip JSON lines"))
    elif target in FUNCTIONS:
        graph.link(Edge(target, node(f"dlq:{target}", "dlq", f"{target} DLQ"), "async failure", failure=True))


# -- rendering ---------------------------------------------------------------------------------------------


def _ident(node_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", node_id)


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


_MERMAID_SHAPE: dict[Shape, tuple[str, str]] = {
    "bus": ("[(", ")]"),
    "rule": ("{{", "}}"),
    "function": ("[", "]"),
    "topic": ("[[", "]]"),
    "queue": ("[[", "]]"),
    "dlq": ("[/", "/]"),
    "workflow": ("([", "])"),
    "stream": ("[[", "]]"),
    "bucket": ("[(", ")]"),
    "table": ("[(", ")]"),
}


def to_mermaid(graph: Graph) -> str:
    lines = ["flowchart LR"]
    for node in graph.nodes.values():
        title = f"{node.title} {_KIND_LABEL[node.shape]}" if node.shape == "function" else node.title
        label = "<br/>".join(_mermaid_text(part) for part in (title, *node.lines))
        left, right = _MERMAID_SHAPE[node.shape]
        lines.append(f'  {_ident(node.id)}{left}"{label}"{right}')
    for edge in graph.edges:
        arrow = "-.->" if edge.failure else "-->"
        label = f"|{_mermaid_text(edge.label)}|" if edge.label else ""
        lines.append(f"  {_ident(edge.source)} {arrow}{label} {_ident(edge.target)}")
    return "\n".join(lines) + "\n"


_DOT_SHAPE: dict[Shape, str] = {
    "bus": "cylinder",
    "rule": "hexagon",
    "function": "box",
    "topic": "box3d",
    "queue": "box3d",
    "dlq": "folder",
    "workflow": "component",
    "stream": "box3d",
    "bucket": "cylinder",
    "table": "cylinder",
}


def _dot_text(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


def to_dot(graph: Graph) -> str:
    lines = ["digraph routing {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];']
    for node in graph.nodes.values():
        kinded = node.shape in ("function", "topic", "queue", "workflow", "stream", "bucket", "table")
        title = f"{node.title} ({_KIND_LABEL[node.shape]})" if kinded else node.title
        label = "\\n".join(_dot_text(part) for part in (title, *node.lines))
        lines.append(f'  {_ident(node.id)} [shape={_DOT_SHAPE[node.shape]}, label="{label}"];')
    for edge in graph.edges:
        attributes = [f'label="{_dot_text(edge.label)}"'] if edge.label else []
        if edge.failure:
            attributes.append("style=dashed")
        suffix = f" [{', '.join(attributes)}]" if attributes else ""
        lines.append(f"  {_ident(edge.source)} -> {_ident(edge.target)}{suffix};")
    return "\n".join(lines) + "\n}\n"


# -- the docs block --------------------------------------------------------------------------------------

BLOCK_BEGIN = (
    "<!-- tooling graph --env {env}: begin "
    "(generated; `tooling graph --env {env} --readme docs/architecture.md`) -->"
)
BLOCK_END = "<!-- tooling graph --env {env}: end -->"


def readme_block(graph: Graph, env: str) -> str:
    return f"{BLOCK_BEGIN.format(env=env)}\n```mermaid\n{to_mermaid(graph)}```\n{BLOCK_END.format(env=env)}"


def replace_block(text: str, block: str, env: str) -> str | None:
    """`text` with its generated block for `env` replaced by `block`; None when it has no such block."""
    begin, end = BLOCK_BEGIN.format(env=env), BLOCK_END.format(env=env)
    start = text.find(begin)
    stop = text.find(end, start)
    if start < 0 or stop < 0:
        return None
    return text[:start] + block + text[stop + len(end) :]
