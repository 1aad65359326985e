"""The policy evaluator against the cases of AWS's documentation (IAM User Guide: "Policy evaluation logic",
"Cross-account policy evaluation logic", "Permissions boundaries", "Condition operators", "Conditions with
multiple context keys or values"; KMS Developer Guide: "Default key policy"). Where the docs' example uses an
IAM user, a role stands in (the stack has no users); the logic is the same."""

from __future__ import annotations

from typing import Any

import pytest

from tooling.access.evaluator import (
    Policy,
    Principal,
    Request,
    UnsupportedPolicyError,
    arn_match,
    evaluate,
)

A = "111122223333"
B = "444455556666"
CARLOS = Principal.role(f"arn:aws:iam::{A}:role/carlossalazar")
OTHER = Principal.role(f"arn:aws:iam::{B}:role/reader")
EVENTS = Principal.service("events.amazonaws.com")


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


# The docs' "Example identity-based and resource-based policy evaluation" (Carlos and the -logs bucket).
CARLOS_IDENTITY = Policy(
    "carlos identity",
    doc(
        {
            "Sid": "AllowS3ListRead",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation", "s3:ListAllMyBuckets"],
            "Resource": "arn:aws:s3:::*",
        },
        {
            "Sid": "AllowS3Self",
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": [
                "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*",
                "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar",
            ],
        },
        {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*log*"},
    ),
)
LOGS_BUCKET = Policy(
    "logs bucket policy",
    doc(
        {
            "Sid": "AllowCarlosPut",
            "Effect": "Allow",
            "Principal": {"AWS": CARLOS.id},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/*",
        }
    ),
)


def test_an_explicit_deny_in_the_identity_policy_beats_the_bucket_policys_allow() -> None:
    request = Request(CARLOS, "s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/a.txt")

    decision = evaluate(request, resource_account=A, identity=[CARLOS_IDENTITY], resource=LOGS_BUCKET)

    assert not decision.allowed
    assert decision.reason == "explicit deny"
    assert [str(s) for s in decision.statements] == ["carlos identity: DenyS3Logs (Deny)"]


def test_same_account_either_side_allowing_is_enough() -> None:
    own_bucket = Request(CARLOS, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/a.txt")
    by_resource_only = Request(CARLOS, "s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-shared/a.txt")
    shared = Policy(
        "shared bucket policy",
        doc(
            {
                "Sid": "Carlos",
                "Effect": "Allow",
                "Principal": {"AWS": CARLOS.id},
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::amzn-s3-demo-bucket-shared/*",
            }
        ),
    )

    assert evaluate(own_bucket, resource_account=A, identity=[CARLOS_IDENTITY]).allowed
    assert evaluate(by_resource_only, resource_account=A, resource=shared).allowed
    assert not evaluate(by_resource_only, resource_account=A, identity=[CARLOS_IDENTITY]).allowed


def test_cross_account_needs_both_the_identity_and_the_resource_policy() -> None:
    request = Request(OTHER, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/a.txt")
    identity = Policy("reader identity", doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}))
    bucket = Policy(
        "bucket policy",
        doc(
            {
                "Sid": "AccountB",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
            }
        ),
    )

    assert not evaluate(request, resource_account=A, identity=[identity]).allowed
    assert not evaluate(request, resource_account=A, resource=bucket).allowed
    both = evaluate(request, resource_account=A, identity=[identity], resource=bucket)
    assert both.allowed
    assert [s.sid for s in both.statements] == ["AccountB", "#0"]


def test_a_service_principal_is_allowed_only_by_a_resource_policy_and_its_conditions() -> None:
    rule = f"arn:aws:events:us-east-1:{A}:rule/bus/order-events"
    queue = Policy(
        "queue policy",
        doc(
            {
                "Sid": "EventBridgeRulesSend",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": f"arn:aws:sqs:us-east-1:{A}:q",
                "Condition": {"ArnEquals": {"aws:SourceArn": rule}},
            }
        ),
    )
    send = Request(EVENTS, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{A}:q", {"aws:SourceArn": rule})
    other_rule = Request(
        EVENTS,
        "sqs:SendMessage",
        f"arn:aws:sqs:us-east-1:{A}:q",
        {"aws:SourceArn": rule.replace("order-events", "all-events")},
    )

    assert evaluate(send, resource_account=A, resource=queue).allowed
    assert evaluate(other_rule, resource_account=A, resource=queue).reason.startswith("implicit deny")
    assert not evaluate(send, resource_account=A).allowed


def kms_key(*statements: dict[str, Any]) -> Policy:
    return Policy("key policy", doc(*statements))


ROOT_STATEMENT = {
    "Sid": "Enable IAM User Permissions",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
    "Action": "kms:*",
    "Resource": "*",
}
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_kms_needs_the_key_policy_the_default_statement_delegates_to_iam() -> None:
    identity = Policy("role identity", doc({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY}))
    decrypt = Request(CARLOS, "kms:Decrypt", KEY)

    with_default = evaluate(
        decrypt, resource_account=A, identity=[identity], resource=kms_key(ROOT_STATEMENT), kind="kms"
    )
    without = evaluate(decrypt, resource_account=A, identity=[identity], resource=kms_key(), kind="kms")
    delegated_only = evaluate(decrypt, resource_account=A, resource=kms_key(ROOT_STATEMENT), kind="kms")

    assert with_default.allowed
    assert [s.sid for s in with_default.statements] == ["Enable IAM User Permissions", "#0"]
    assert not without.allowed  # an IAM policy alone never opens a KMS key
    assert not delegated_only.allowed  # the delegation grants nothing by itself


def test_kms_encryption_context_and_via_service_conditions() -> None:
    bus = f"arn:aws:events:us-east-1:{A}:event-bus/b"
    key = kms_key(
        {
            "Sid": "EventBridge",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:EncryptionContext:aws:events:event-bus:arn": bus}},
        },
        ROOT_STATEMENT,
    )
    identity = Policy(
        "role identity",
        doc(
            {
                "Sid": "ViaSqs",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": KEY,
                "Condition": {"StringEquals": {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}},
            }
        ),
    )

    def events(context: dict[str, Any]) -> bool:
        return evaluate(
            Request(EVENTS, "kms:GenerateDataKey", KEY, context), resource_account=A, resource=key, kind="kms"
        ).allowed

    def role(context: dict[str, Any]) -> bool:
        return evaluate(
            Request(CARLOS, "kms:Decrypt", KEY, context),
            resource_account=A,
            identity=[identity],
            resource=key,
            kind="kms",
        ).allowed

    assert events({"kms:EncryptionContext:aws:events:event-bus:arn": bus})
    assert not events({"kms:EncryptionContext:aws:events:event-bus:arn": bus + "-other"})
    assert not events({})
    assert role({"kms:ViaService": "sqs.us-east-1.amazonaws.com"})
    assert not role({"kms:ViaService": "lambda.us-east-1.amazonaws.com"})
    assert not role({})


def test_a_permissions_boundary_caps_identity_policies_and_grants_to_the_role_arn() -> None:
    identity = Policy("identity", doc({"Effect": "Allow", "Action": ["s3:*", "sqs:*"], "Resource": "*"}))
    boundary = Policy(
        "boundary", doc({"Sid": "OnlyS3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    )
    queue = f"arn:aws:sqs:us-east-1:{A}:q"
    to_role = Policy(
        "queue policy",
        doc({"Effect": "Allow", "Principal": {"AWS": CARLOS.id}, "Action": "sqs:*", "Resource": queue}),
    )
    to_session = Policy(
        "queue policy",
        doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": CARLOS.session_arn},
                "Action": "sqs:*",
                "Resource": queue,
            }
        ),
    )
    send = Request(CARLOS, "sqs:SendMessage", queue)

    assert evaluate(
        Request(CARLOS, "s3:GetObject", "arn:aws:s3:::b/k"),
        resource_account=A,
        identity=[identity],
        boundary=boundary,
    ).allowed
    capped = evaluate(send, resource_account=A, identity=[identity], boundary=boundary)
    assert capped.reason == "implicit deny: outside the permissions boundary"
    assert not evaluate(
        send, resource_account=A, identity=[identity], boundary=boundary, resource=to_role
    ).allowed
    assert evaluate(send, resource_account=A, boundary=boundary, resource=to_session).allowed


def test_not_action_not_resource_and_not_principal() -> None:
    identity = Policy(
        "identity",
        doc(
            {"Sid": "AllButIam", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            {
                "Sid": "NotThisQueue",
                "Effect": "Deny",
                "Action": "sqs:*",
                "NotResource": f"arn:aws:sqs:*:{A}:keep",
            },
        ),
    )
    assert not evaluate(
        Request(CARLOS, "iam:CreateRole", "*"), resource_account=A, identity=[identity]
    ).allowed
    assert evaluate(
        Request(CARLOS, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{A}:keep"),
        resource_account=A,
        identity=[identity],
    ).allowed
    denied = evaluate(
        Request(CARLOS, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{A}:other"),
        resource_account=A,
        identity=[identity],
    )
    assert denied.reason == "explicit deny"

    everyone_but_carlos = Policy(
        "bucket policy",
        doc(
            {
                "Sid": "DenyOthers",
                "Effect": "Deny",
                "NotPrincipal": {"AWS": CARLOS.id},
                "Action": "s3:*",
                "Resource": "*",
            }
        ),
    )
    get = Request(OTHER, "s3:GetObject", "arn:aws:s3:::b/k")
    assert evaluate(get, resource_account=A, resource=everyone_but_carlos).reason == "explicit deny"
    assert evaluate(
        Request(CARLOS, "s3:GetObject", "arn:aws:s3:::b/k"),
        resource_account=A,
        identity=[identity],
        resource=everyone_but_carlos,
    ).allowed


def test_wildcards_in_actions_are_case_insensitive_and_arns_match_part_by_part() -> None:
    identity = Policy("identity", doc({"Effect": "Allow", "Action": "KMS:GenerateDataKey*", "Resource": "*"}))
    assert evaluate(
        Request(CARLOS, "kms:GenerateDataKeyWithoutPlaintext", KEY), resource_account=A, identity=[identity]
    ).allowed
    assert arn_match(
        "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/p-*",
        "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/p-x",
    )
    assert arn_match("arn:aws:logs:*:1:log-group:g:*", "arn:aws:logs:us-east-1:1:log-group:g:log-stream:s")
    assert not arn_match("arn:aws:sqs:us-east-1:1:q*", "arn:aws:sqs:us-east-1:2:q1")
    assert not arn_match("arn:aws:*:q", "arn:aws:sqs:us-east-1:1:q")  # a wildcard stays inside its part
    assert arn_match("arn:aws:sqs:*", "arn:aws:sqs:us-east-1:1:q")


def condition(block: dict[str, Any], context: dict[str, Any]) -> bool:
    identity = Policy(
        "identity", doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": block})
    )
    return evaluate(
        Request(CARLOS, "s3:GetObject", "arn:aws:s3:::b/k", context), resource_account=A, identity=[identity]
    ).allowed


def test_an_absent_key_fails_a_condition_but_satisfies_a_negated_one_ifexists_and_null() -> None:
    assert not condition({"StringLike": {"aws:PrincipalTag/team": "a*"}}, {})
    assert condition({"StringNotLike": {"aws:PrincipalTag/team": "a*"}}, {})
    assert condition({"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:1:t"}}, {})
    assert condition({"StringEqualsIfExists": {"ec2:InstanceType": "t2.micro"}}, {})
    assert not condition(
        {"StringEqualsIfExists": {"ec2:InstanceType": "t2.micro"}}, {"ec2:InstanceType": "m5"}
    )
    assert condition({"Null": {"aws:TokenIssueTime": "true"}}, {})
    assert not condition({"Null": {"aws:TokenIssueTime": "false"}}, {})


def test_values_or_keys_and_negated_values_nor() -> None:
    either = {"StringEquals": {"aws:PrincipalTag/dept": ["finance", "hr"]}}
    assert condition(either, {"aws:PrincipalTag/dept": "hr"})
    assert not condition(either, {"aws:PrincipalTag/dept": "it"})
    both = {"StringEquals": {"aws:PrincipalTag/dept": "hr", "aws:PrincipalTag/level": "2"}}
    assert not condition(both, {"aws:PrincipalTag/dept": "hr"})
    neither = {"StringNotEquals": {"aws:PrincipalTag/dept": ["finance", "hr"]}}
    assert condition(neither, {"aws:PrincipalTag/dept": "it"})
    assert not condition(neither, {"aws:PrincipalTag/dept": "hr"})
    # Condition keys are case-insensitive, their values (for StringEquals) are not.
    assert condition({"StringEquals": {"AWS:SourceAccount": A}}, {"aws:sourceaccount": A})
    assert not condition({"StringEquals": {"aws:PrincipalTag/dept": "HR"}}, {"aws:PrincipalTag/dept": "hr"})


def test_bool_secure_transport_and_set_operators() -> None:
    deny_plain_http = Policy(
        "queue policy",
        doc(
            {"Sid": "Allow", "Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "*"},
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ),
    )
    tls = Request(CARLOS, "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q", {"aws:SecureTransport": True})
    plain = Request(CARLOS, "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q", {"aws:SecureTransport": False})
    assert evaluate(tls, resource_account=A, resource=deny_plain_http).allowed
    assert [s.sid for s in evaluate(plain, resource_account=A, resource=deny_plain_http).statements] == [
        "DenyInsecureTransport"
    ]

    tags = {"aws:TagKeys": ["env", "team"]}
    assert condition({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team", "cost"]}}, tags)
    assert not condition({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}, tags)
    assert condition({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}, {})  # vacuously true
    assert condition({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}, tags)
    assert not condition({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}, {})


def test_trust_policy_for_a_service_with_source_and_external_id_conditions() -> None:
    trust = Policy(
        "trust policy",
        doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": "firehose.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": A}},
            }
        ),
    )
    role = f"arn:aws:iam::{A}:role/r"
    firehose = Principal.service("firehose.amazonaws.com")

    assert evaluate(
        Request(firehose, "sts:AssumeRole", role, {"sts:ExternalId": A}),
        resource_account=A,
        resource=trust,
        kind="trust",
    ).allowed
    assert not evaluate(
        Request(firehose, "sts:AssumeRole", role, {"sts:ExternalId": B}),
        resource_account=A,
        resource=trust,
        kind="trust",
    ).allowed
    assert not evaluate(
        Request(EVENTS, "sts:AssumeRole", role, {"sts:ExternalId": A}),
        resource_account=A,
        resource=trust,
        kind="trust",
    ).allowed


@pytest.mark.parametrize(
    "block",
    [
        {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
        {"IpAddress": {"aws:SourceIp": "1.2.3.4/32"}},
        {"StringEqualz": {"aws:SourceAccount": A}},
        {"ForSomeValues:StringEquals": {"aws:TagKeys": "x"}},
    ],
)
def test_an_operator_it_does_not_know_is_an_error_never_a_silent_allow(block: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedPolicyError, match="is not evaluated here"):
        condition(block, {"aws:SourceAccount": A})


def test_a_policy_variable_is_refused() -> None:
    identity = Policy(
        "identity", doc({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::${aws:username}/*"})
    )
    with pytest.raises(UnsupportedPolicyError, match="policy variable"):
        evaluate(
            Request(CARLOS, "s3:GetObject", "arn:aws:s3:::carlos/k"), resource_account=A, identity=[identity]
        )
