"""The facts `tooling cost` counts about the stack, held to their sources: the custom metrics to what the
handlers emit, each region's resources to what terraform/ creates from the same environment file."""

from __future__ import annotations

import re
from pathlib import Path

from tooling.config import load_config
from tooling.cost.stack import CUSTOM_METRICS, region_stacks

REPO = Path(__file__).resolve().parents[2]
HANDLERS = REPO / "lambda_src" / "event_processors"


def emitted_metrics() -> set[str]:
    """Every metric name the handlers pass to Powertools (literally, or through the processor's outcome map),
    and ColdStart when log_metrics captures it."""
    text = "\n".join(path.read_text() for path in HANDLERS.glob("*.py"))
    names = set(re.findall(r'add_metric\(name="(\w+)"', text))
    names |= set(re.findall(r'"\w+": "(\w+)",', (HANDLERS / "processor.py").read_text()))
    if "capture_cold_start_metric=True" in text:
        names.add("ColdStart")
    return names


def test_every_custom_metric_priced_is_one_a_handler_emits() -> None:
    priced = {name for names in CUSTOM_METRICS.values() for name in names}

    assert priced <= emitted_metrics()


def test_every_function_deployed_has_its_metrics_listed() -> None:
    config = load_config(REPO / "environments" / "prod.toml")

    assert {key for key, _ in config.deployed_functions()} == set(CUSTOM_METRICS)


def test_the_secondary_runs_the_routing_table_without_the_s3_archive_and_the_primary_holds_the_endpoint() -> (
    None
):
    config = load_config(REPO / "environments" / "prod.toml")

    primary, secondary = region_stacks(config, REPO)

    assert (primary.region, secondary.region) == ("us-east-1", "us-west-2")
    assert primary.s3_archive and not secondary.s3_archive
    assert not any(t.target == "s3-archive" for rule in secondary.rules for t in rule.targets)
    assert [r.name for r in secondary.rules] == [r.name for r in primary.rules]
    assert (primary.health_check, secondary.health_check) == (True, False)
    assert (primary.email, secondary.email) == (True, False)  # the secondary mails no notification
    assert secondary.global_tables and secondary.receives == "replicated"
    # The endpoint's health alarm is the primary's alone; the s3-archive stream's alarm too.
    assert primary.alarms == secondary.alarms + 2


def test_a_standby_secondary_has_a_bus_and_no_consumers() -> None:
    config = load_config(REPO / "environments" / "prod.toml")
    standby = config.model_copy(
        update={"failover": config.failover.model_copy(update={"secondary_consumers": False})}  # type: ignore[union-attr]
    )

    secondary = region_stacks(standby, REPO)[1]

    assert (secondary.consumers, secondary.rules, secondary.functions) == (False, (), ())
    assert (secondary.alarms, secondary.dashboards, secondary.custom_metrics) == (0, 0, 0)
