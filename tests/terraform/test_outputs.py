"""The outputs contract: exactly tooling.outputs.OUTPUT_NAMES at the root, each described, and the maps
keyed as the tooling reads them."""

from __future__ import annotations

import re

from terraform_hcl import map_literal_keys, modules, unquote

from tooling.config import FUNCTION_NAMES
from tooling.outputs import OUTPUT_NAMES


def test_root_outputs_are_exactly_the_contract() -> None:
    assert sorted(modules()["root"].outputs) == sorted(OUTPUT_NAMES)


def test_every_output_of_every_module_has_a_description() -> None:
    undocumented = [
        f"{module.name}.{name}"
        for module in modules().values()
        for name, body in module.outputs.items()
        if not str(unquote(body.get("description", ""))).strip()
    ]

    assert undocumented == []


def test_outputs_are_discrete_values_never_whole_resources() -> None:
    whole = [
        f"{module.name}.{name}"
        for module in modules().values()
        for name, body in module.outputs.items()
        if re.fullmatch(r"\$\{(aws_\w+\.\w+|module\.\w+)\}", str(body["value"]))
    ]

    assert whole == []


def test_dead_letter_queue_urls_has_one_key_per_queue() -> None:
    root = modules()["root"]
    expression = root.locals["dead_letter_queues"]

    fixed_keys = map_literal_keys(expression)
    per_function = "module.processors.dead_letter_queues" in expression

    # Only the asynchronously invoked functions have one (modules/processors/tests); the batch processor's
    # failures stay in its queue.
    assert per_function
    assert fixed_keys | (set(FUNCTION_NAMES) - {"batch-processor"}) == {
        "events",
        "batch-queue",
        "notifications",
        "processor",
        "notifier",
        "analytics",
    }
    assert "local.dead_letter_queues" in root.outputs["dead_letter_queue_urls"]["value"]


def test_function_maps_are_keyed_by_logical_function_name() -> None:
    # The module keys its maps by the functions' keys (modules/processors/tests); the root passes them as is.
    assert modules()["root"].module_calls["processors"]["functions"] == "${var.functions}"
