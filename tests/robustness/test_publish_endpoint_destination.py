"""Where `tooling publish` aims (tooling.publish.destination): through the global endpoint when the outputs
hold one, the primary's bus with --no-endpoint, a region's bus with --region, and one-line refusals."""

from __future__ import annotations

from typing import Any

import pytest

from tooling.errors import AwsError, UsageError
from tooling.outputs import DeploymentOutputs
from tooling.publish.destination import Aim, Destination, choose_destination, endpoint_errors_explained

PRIMARY, SECONDARY = "us-east-1", "us-west-2"
BUS = "shop-prod-abc123-bus"


def outputs(failover: bool = True, **changes: Any) -> DeploymentOutputs:
    values: dict[str, Any] = {
        "target": "aws",
        "region": PRIMARY,
        "event_bus_name": BUS,
        "event_bus_arn": f"arn:aws:events:{PRIMARY}:123456789012:event-bus/{BUS}",
        "archive_name": f"{BUS}-archive",
        "rule_arns": {},
        "batch_queue_url": "",
        "batch_queue_arn": "",
        "dead_letter_queue_urls": {},
        "notifications_topic_arn": "",
        "function_names": {},
        "log_group_names": {},
    }
    if failover:
        values["failover"] = failover_outputs(**changes)
    return DeploymentOutputs.model_validate(values)


def failover_outputs(**changes: Any) -> dict[str, Any]:
    return {
        "endpoint_name": "shop-prod-abc123-endpoint",
        "endpoint_id": "abcde12345.veo",
        "endpoint_arn": f"arn:aws:events:{PRIMARY}:123456789012:endpoint/shop-prod-abc123-endpoint",
        "endpoint_url": "https://abcde12345.veo.endpoint.events.amazonaws.com",
        "primary_region": PRIMARY,
        "secondary_region": SECONDARY,
        "health_check_id": "hc-1",
        "health_alarm_name": "shop-prod-abc123-failover-health",
        "replication": True,
        "secondary": {
            "region": SECONDARY,
            "event_bus_name": BUS,
            "event_bus_arn": f"arn:aws:events:{SECONDARY}:123456789012:event-bus/{BUS}",
            "archive_name": f"{BUS}-archive",
        },
        **changes,
    }


def test_with_failover_deployed_publishing_goes_through_the_endpoint() -> None:
    chosen = choose_destination(outputs())

    assert chosen.through_endpoint
    assert (chosen.endpoint_id, chosen.bus_name, chosen.region) == ("abcde12345.veo", BUS, PRIMARY)
    assert chosen.describe() == f"{BUS} through the global endpoint shop-prod-abc123-endpoint"


def test_without_failover_it_is_the_primary_bus_as_before() -> None:
    chosen = choose_destination(outputs(failover=False))

    assert chosen == Destination(BUS, PRIMARY)
    assert chosen.describe() == BUS
    # --no-endpoint and --region of the primary are harmless without an endpoint (scripts may always pass them).
    assert choose_destination(outputs(failover=False), Aim(no_endpoint=True)) == chosen
    assert choose_destination(outputs(failover=False), Aim(region=PRIMARY)).endpoint_id is None


def test_no_endpoint_aims_at_the_primary_regions_bus() -> None:
    chosen = choose_destination(outputs(), Aim(no_endpoint=True))

    assert (chosen.endpoint_id, chosen.bus_name, chosen.region) == (None, BUS, PRIMARY)


def test_region_aims_at_that_regions_bus_directly() -> None:
    chosen = choose_destination(outputs(), Aim(region=SECONDARY))

    assert (chosen.endpoint_id, chosen.bus_name, chosen.region) == (None, BUS, SECONDARY)
    assert chosen.describe() == f"{BUS} in {SECONDARY}"


def test_the_default_bus_is_not_behind_the_endpoint() -> None:
    chosen = choose_destination(outputs(), Aim(bus="default"))

    assert (chosen.endpoint_id, chosen.bus_name, chosen.region, chosen.event_bus) == (
        None,
        "default",
        PRIMARY,
        "default",
    )
    assert choose_destination(outputs(), Aim(bus="default", region=SECONDARY)).bus_name == "default"


@pytest.mark.parametrize(
    ("deployed", "region", "named"),
    [(outputs(), "eu-west-1", "us-east-1 or us-west-2"), (outputs(failover=False), SECONDARY, "us-east-1")],
)
def test_a_region_without_a_bus_of_the_deployment_is_refused(
    deployed: DeploymentOutputs, region: str, named: str
) -> None:
    with pytest.raises(UsageError) as caught:
        choose_destination(deployed, Aim(region=region))

    assert (
        f"--region '{region}' is not a region of this deployment (it has a bus in {named})"
        in caught.value.message
    )
    assert caught.value.exit_code == 2 and caught.value.hint


@pytest.mark.parametrize(
    "endpoint_id", ["evil.example.com/x", "no-dot", "a.b.c", "x" * 49 + ".y", "a.b\r\nHost: x"]
)
def test_an_endpoint_id_that_is_not_one_is_refused_before_it_names_a_host(endpoint_id: str) -> None:
    with pytest.raises(UsageError) as caught:
        choose_destination(outputs(endpoint_id=endpoint_id))

    assert caught.value.message.startswith("outputs: failover.endpoint_id ")
    assert "--no-endpoint" in (caught.value.hint or "")
    # --no-endpoint does not read it at all; the local target's emulation names its endpoint as it likes.
    assert choose_destination(outputs(endpoint_id=endpoint_id), Aim(no_endpoint=True)).endpoint_id is None
    local = outputs(endpoint_id=endpoint_id).model_copy(update={"target": "local"})
    assert choose_destination(local).endpoint_id == endpoint_id


def _not_found() -> Exception:
    from botocore.exceptions import ClientError

    error = {"Error": {"Code": "ResourceNotFoundException", "Message": f"Event bus {BUS} does not exist."}}
    return ClientError(error, "PutEvents")


def test_resource_not_found_through_the_endpoint_is_one_clear_line() -> None:
    with pytest.raises(AwsError) as caught, endpoint_errors_explained(choose_destination(outputs())):
        raise _not_found()

    assert caught.value.message == (
        "PutEvents through the global endpoint shop-prod-abc123-endpoint (abcde12345.veo) failed: "
        f"ResourceNotFoundException: Event bus {BUS} does not exist."
    )
    hint = caught.value.hint or ""
    assert "us-east-1 or us-west-2" in hint and "--no-endpoint" in hint and "\n" not in hint


def test_resource_not_found_aimed_at_a_region_is_left_as_it_is() -> None:
    from botocore.exceptions import ClientError

    with (
        pytest.raises(ClientError),
        endpoint_errors_explained(choose_destination(outputs(), Aim(no_endpoint=True))),
    ):
        raise _not_found()
