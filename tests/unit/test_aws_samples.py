"""AWS service event samples: the shapes EC2 and AWS Health put on the default bus, reproducible by seed."""

from __future__ import annotations

from datetime import UTC, datetime

from tooling.config import parse_config
from tooling.patterns import compile_pattern
from tooling.publish.aws_samples import aws_service_event
from tooling.publish.samples import SAMPLE_KINDS, describe, sample_event

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_the_ec2_sample_names_its_instance_in_detail_and_resources() -> None:
    event = aws_service_event("ec2-state-change", region="eu-west-1", account="111122223333", now=NOW, seed=1)

    instance = event["detail"]["instance-id"]
    assert (event["source"], event["detail-type"]) == ("aws.ec2", "EC2 Instance State-change Notification")
    assert instance.startswith("i-") and len(instance) == 19
    assert event["resources"] == [f"arn:aws:ec2:eu-west-1:111122223333:instance/{instance}"]
    assert event["detail"]["state"] in (
        "pending",
        "running",
        "stopping",
        "stopped",
        "shutting-down",
        "terminated",
    )
    assert (event["time"], event["account"], event["region"]) == (
        "2026-11-30T12:00:00Z",
        "111122223333",
        "eu-west-1",
    )


def test_the_health_sample_carries_the_fields_of_an_aws_health_event() -> None:
    event = aws_service_event("health-event", region="us-east-1", account="111122223333", now=NOW, seed=1)

    detail = event["detail"]
    assert (event["source"], event["detail-type"]) == ("aws.health", "AWS Health Event")
    assert detail["service"] == "EC2" and detail["eventTypeCategory"] == "issue"
    assert detail["eventArn"].startswith("arn:aws:health:us-east-1::event/EC2/")
    assert detail["startTime"] == "Mon, 30 Nov 2026 12:00:00 GMT"
    assert detail["eventDescription"][0]["language"] == "en_US"


def test_a_seed_reproduces_the_sample_and_no_seed_varies_it() -> None:
    first = aws_service_event("ec2-state-change", region="us-east-1", account="1", now=NOW, seed=5)
    again = aws_service_event("ec2-state-change", region="us-east-1", account="1", now=NOW, seed=5)
    other = aws_service_event("ec2-state-change", region="us-east-1", account="1", now=NOW)

    assert first == again
    assert other["id"] != first["id"]


def test_both_samples_are_listed_and_match_the_shipped_forwarding_rule() -> None:
    import tomllib
    from pathlib import Path

    dev = tomllib.loads((Path(__file__).resolve().parents[2] / "environments" / "dev.toml").read_text())
    forwarding = compile_pattern(parse_config(dev).forwarding.pattern)

    for kind in ("ec2-state-change", "health-event"):
        assert kind in SAMPLE_KINDS
        assert "AWS service event" in describe(kind)
        assert forwarding.matches(sample_event(kind, seed=2, now=NOW))
