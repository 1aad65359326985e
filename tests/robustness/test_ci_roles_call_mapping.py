"""A recorded request becomes the IAM requests AWS authorizes for it: the action (S3's own names), the resource
the parameters name, the condition keys, and what the call needs beyond its own action (tags on create,
PassRole, a service's use of the key as the caller). Unknown calls are refused, never guessed."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from tooling.deploy.ci_roles.authorizations import Call, UnmappedCallError, authorizations
from tooling_testing.checks.api_requests import parse
from tooling_testing.checks.recorder import Recorder, step_key

ACCOUNT = "123456789012"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0f0f0f0f-0000-4000-8000-000000000001"
KEY_FACT = {"arn": KEY, "tags": {"Project": "ecommerce", "Environment": "dev"}}


def _map(
    service: str, operation: str, params: dict[str, Any], facts: dict[str, Any] | None = None
) -> list[Any]:
    found = authorizations(Call(service, operation, params, "us-east-1", facts or {}), account=ACCOUNT)
    return [(a.action, a.resource, dict(a.context)) for a in found]


def test_create_function_needs_its_tags_the_role_passed_to_lambda_and_the_key_through_lambda() -> None:
    params = {
        "FunctionName": "ecommerce-dev-abc123-processor",
        "Role": f"arn:aws:iam::{ACCOUNT}:role/ecommerce-dev-abc123-processor",
        "KMSKeyArn": KEY,
        "Tags": {"Project": "ecommerce", "Environment": "dev"},
    }

    found = _map("lambda", "CreateFunction", params, {"kms_keys": {KEY: KEY_FACT}})

    function = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:ecommerce-dev-abc123-processor"
    via = {"aws:ResourceTag/Project": "ecommerce", "aws:ResourceTag/Environment": "dev",
           "kms:ViaService": "lambda.us-east-1.amazonaws.com"}  # fmt: skip
    assert found == [
        ("lambda:CreateFunction", function, {}),
        ("lambda:TagResource", function, {"aws:RequestTag/Project": "ecommerce",
                                          "aws:RequestTag/Environment": "dev",
                                          "aws:TagKeys": ["Environment", "Project"]}),
        ("iam:PassRole", params["Role"], {"iam:PassedToService": "lambda.amazonaws.com"}),
        ("kms:Encrypt", KEY, via),
        ("kms:CreateGrant", KEY, {**via, "kms:GrantIsForAWSResource": True}),
    ]  # fmt: skip


def test_role_writes_carry_the_boundary_the_request_names_or_the_role_has() -> None:
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/github-ecommerce-dev-boundary"
    role = f"arn:aws:iam::{ACCOUNT}:role/ecommerce-dev-abc123-processor"

    created = _map(
        "iam", "CreateRole", {"RoleName": "ecommerce-dev-abc123-processor", "PermissionsBoundary": boundary}
    )
    written = _map(
        "iam", "PutRolePolicy", {"RoleName": "ecommerce-dev-abc123-processor"}, {"role_boundary": boundary}
    )
    bare = _map(
        "iam", "PutRolePolicy", {"RoleName": "ecommerce-dev-abc123-processor"}, {"role_boundary": None}
    )

    assert created == [("iam:CreateRole", role, {"iam:PermissionsBoundary": boundary})]
    assert written == [("iam:PutRolePolicy", role, {"iam:PermissionsBoundary": boundary})]
    assert bare == [("iam:PutRolePolicy", role, {})]


@pytest.mark.parametrize(
    ("operation", "action"),
    [("GetBucketEncryption", "s3:GetEncryptionConfiguration"), ("HeadBucket", "s3:ListBucket"),
     ("GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration"), ("PutBucketTagging", "s3:PutBucketTagging")],
)  # fmt: skip
def test_s3_operations_map_to_their_policy_actions(operation: str, action: str) -> None:
    assert _map("s3", operation, {"Bucket": "ecommerce-dev-abc123-events-archive"}) == [
        (action, "arn:aws:s3:::ecommerce-dev-abc123-events-archive", {})
    ]


def test_rules_are_named_with_their_bus_except_on_the_default_bus() -> None:
    custom = _map("events", "PutRule", {"Name": "r", "EventBusName": "ecommerce-dev-abc123-bus"})
    default = _map("events", "DescribeRule", {"Name": "ecommerce-dev-abc123-forward-default"})

    assert custom[0][1] == f"arn:aws:events:us-east-1:{ACCOUNT}:rule/ecommerce-dev-abc123-bus/r"
    assert default[0][1] == f"arn:aws:events:us-east-1:{ACCOUNT}:rule/ecommerce-dev-abc123-forward-default"


def test_a_queue_url_names_the_queue() -> None:
    url = f"http://127.0.0.1:5000/{ACCOUNT}/ecommerce-dev-abc123-batch"

    assert _map("sqs", "GetQueueAttributes", {"QueueUrl": url}) == [
        ("sqs:GetQueueAttributes", f"arn:aws:sqs:us-east-1:{ACCOUNT}:ecommerce-dev-abc123-batch", {})
    ]


def test_caller_identity_needs_no_authorization() -> None:
    assert _map("sts", "GetCallerIdentity", {}) == []


def test_a_key_the_server_did_not_know_is_refused_not_guessed() -> None:
    with pytest.raises(UnmappedCallError, match="was not known to the server"):
        _map("kms", "DescribeKey", {"KeyId": "0f0f0f0f-0000-4000-8000-000000000009"})


def test_a_service_without_a_mapping_is_refused() -> None:
    with pytest.raises(UnmappedCallError, match="no IAM mapping"):
        _map("ec2", "RunInstances", {})


def _environ(key: str, body: bytes, path: str = "/") -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "", "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8", "wsgi.input": io.BytesIO(body),
        "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/sqs/aws4_request, "
        "SignedHeaders=host, Signature=0",
    }  # fmt: skip


def test_the_recorder_logs_only_the_recorded_steps_and_the_call_parses_back(tmp_path: Path) -> None:
    seen: list[bytes] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["wsgi.input"].read())
        start_response("200 OK", [])
        return [b"<ok/>"]

    log = tmp_path / "calls.jsonl"
    recorder = Recorder(app, log)
    body = b"Action=GetQueueUrl&QueueName=ecommerce-dev-abc123-batch&Version=2012-11-05"
    recorder(_environ(step_key(1), body), lambda *a: None)
    recorder(_environ("AKIAIOSFODNN7EXAMPLE", body), lambda *a: None)

    records = [json.loads(line) for line in log.read_text().splitlines()]
    request = parse(records[0])
    assert seen == [body, body]  # the server still reads the whole body
    assert len(records) == 1 and records[0]["status"] == 200
    assert (request.service, request.operation, request.params["QueueName"]) == (
        "sqs", "GetQueueUrl", "ecommerce-dev-abc123-batch",
    )  # fmt: skip


def test_the_stored_list_hides_the_account_the_suffix_and_generated_ids_and_reads_back() -> None:
    from tooling.deploy.ci_roles.authorizations import Authorization
    from tooling.deploy.ci_roles.recorded import denormalise, normalise

    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/4b1e7a52-93c1-4a8e-9d1f-0c2b6a7e5d10"
    calls = {
        "replan": [Authorization("kms:DescribeKey", key, {}, "kms DescribeKey")],
        "apply": [
            Authorization(
                "cloudwatch:PutDashboard", "arn:aws:cloudwatch::123456789012:dashboard/ecommerce-dev-q1w2e3"
            )
        ],
    }

    stored = normalise(calls, ACCOUNT, "ecommerce-dev-q1w2e3", deploy_steps=["apply", "replan"])
    text = str(stored["calls"])
    restored = denormalise(stored, account="210987654321", suffix="abc123")

    assert ACCOUNT not in text and "q1w2e3" not in text and "4b1e7a52" not in text
    assert sorted(a.resource for a in restored["deploy"]) == [
        "arn:aws:cloudwatch::210987654321:dashboard/ecommerce-dev-abc123",
        "arn:aws:kms:us-east-1:210987654321:key/10000000-0000-4000-8000-000000000001",
    ]
    assert [a.action for a in restored["plan"]] == ["kms:DescribeKey"]  # the re-plan is the plan role's too


def test_the_global_endpoint_names_itself_and_passes_its_replication_role_to_eventbridge() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/ecommerce-prod-abc123-endpoint-replication"

    found = _map("events", "CreateEndpoint", {"Name": "ecommerce-prod-abc123-endpoint", "RoleArn": role})

    assert found == [
        (
            "events:CreateEndpoint",
            f"arn:aws:events:us-east-1:{ACCOUNT}:endpoint/ecommerce-prod-abc123-endpoint",
            {},
        ),
        ("iam:PassRole", role, {"iam:PassedToService": "events.amazonaws.com"}),
    ]


def test_health_checks_are_created_on_star_and_otherwise_named_without_region_or_account() -> None:
    assert _map("route53", "CreateHealthCheck", {"CallerReference": "x"}) == [
        ("route53:CreateHealthCheck", "*", {})
    ]
    assert _map("route53", "ChangeTagsForResource", {"ResourceType": "healthcheck", "ResourceId": "h-1"}) == [
        ("route53:ChangeTagsForResource", "arn:aws:route53:::healthcheck/h-1", {})
    ]


def test_adding_a_replica_needs_the_replica_actions_on_the_table_in_the_replica_region() -> None:
    params = {
        "TableName": "ecommerce-prod-abc123-events",
        "ReplicaUpdates": [{"Create": {"RegionName": "us-west-2"}}],
    }

    found = _map("dynamodb", "UpdateTable", params)

    replica = f"arn:aws:dynamodb:us-west-2:{ACCOUNT}:table/ecommerce-prod-abc123-events"
    assert found[0] == ("dynamodb:UpdateTable", replica.replace("us-west-2", "us-east-1"), {})
    assert ("dynamodb:CreateTableReplica", replica, {}) in found
    assert ("dynamodb:BatchWriteItem", replica, {}) in found
