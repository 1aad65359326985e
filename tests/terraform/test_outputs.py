"""The outputs contract: exactly tooling.outputs.OUTPUT_NAMES at the root, each described, and the maps
keyed as the tooling reads them."""

from __future__ import annotations

import re

from terraform_hcl import modules, unquote

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
    root, stack = modules()["root"], modules()["region_stack"]
    expression = stack.locals["dead_letter_queues"]

    fixed_keys = {key for key in ("events", "batch-queue", "notifications") if f"{key} = {{" in expression}
    per_function = "local.function_dlqs" in expression and "module.processors[0].dead_letter_queues" in str(
        stack.locals["function_dlqs"]
    )

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
    assert "local.dead_letter_queues" in stack.outputs["dead_letter_queue_urls"]["value"]
    assert root.outputs["dead_letter_queue_urls"]["value"] == "${module.primary.dead_letter_queue_urls}"


def test_function_maps_are_keyed_by_logical_function_name() -> None:
    # The module keys its maps by the functions' keys (modules/processors/tests); both regions pass them as is.
    assert modules()["region_stack"].module_calls["processors"]["functions"] == "${var.functions}"
    for region in ("primary", "secondary"):
        assert modules()["root"].module_calls[region]["functions"] == "${var.functions}"
