"""The CI roles against the calls a deploy makes, and against the known ways to escalate privileges.

`check_calls`: each recorded authorization of `tooling apply`, the re-plan and `tooling destroy` evaluated
for the environment's deploy role, each of `tooling plan` (and the re-plan) for its plan role; and every
mutating authorization a deploy makes evaluated for the plan role, which must refuse them all.

`escalation_paths`: the privilege-escalation methods of Rhino Security Labs' list (the one cloudsplaining
encodes), each as the requests its steps need, instantiated on the names the deploy role manages and outside
them, and on the bootstrap's own roles, boundary and state key. A method is a path when every step is
allowed. The check knows permission boundaries: a role the deploy role can only create or edit with the
boundary gains at most what the boundary allows (`boundary_grants`, which must stay clear of IAM, STS, key
administration and function creation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tooling.access.evaluator import ContextValue, Decision, Policy, Principal, Request, evaluate
from tooling.deploy.ci_roles.authorizations import Authorization
from tooling.deploy.ci_roles.render import RolePolicies

# Verbs that only read; everything else changes something. The plan role's one write is its state lock.
READ_VERBS = ("Get", "List", "Describe", "Head", "Validate")
# Reads by another verb: Lambda decrypts the environment variables GetFunction returns with the caller's
# kms:Decrypt.
READ_ACTIONS = {"kms:Decrypt"}


def is_mutating(action: str) -> bool:
    verb = action.split(":", 1)[1]
    return not verb.startswith(READ_VERBS) and action not in READ_ACTIONS


def is_state_lock(authorization: Authorization) -> bool:
    return authorization.resource.endswith(".tflock")


def decide(policies: Sequence[Policy], principal_arn: str, account: str, request: Authorization) -> Decision:
    return evaluate(
        Request(Principal.role(principal_arn), request.action, request.resource, dict(request.context)),
        resource_account=account,
        identity=policies,
    )


@dataclass
class CallsResult:
    """`deploy-role: D of N calls denied`, `plan-role: P denied, M mutating allowed` and what failed."""

    env: str
    deploy_total: int = 0
    deploy_denied: list[str] = field(default_factory=list)
    plan_total: int = 0
    plan_denied: list[str] = field(default_factory=list)
    mutating_allowed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.deploy_denied or self.plan_denied or self.mutating_allowed)

    def summary(self) -> str:
        return (
            f"deploy-role: {len(self.deploy_denied)} of {self.deploy_total} calls denied, "
            f"plan-role: {len(self.plan_denied)} denied, {len(self.mutating_allowed)} mutating allowed"
        )


def _line(a: Authorization, decision: Decision) -> str:
    return f"{a.call}: {a.action} on {a.resource} ({a.why or 'own action'}): {decision.reason}"


def check_calls(
    roles: RolePolicies, deploy_calls: Iterable[Authorization], plan_calls: Iterable[Authorization]
) -> CallsResult:
    result = CallsResult(roles.env)
    deploy = [roles.policy("deploy_policy")]
    plan = [roles.policy("plan_policy")]
    deploy_arn, plan_arn = roles.role_arn("deploy"), roles.role_arn("plan")
    mutating: dict[tuple[str, str], Authorization] = {}
    for a in deploy_calls:
        result.deploy_total += 1
        decision = decide(deploy, deploy_arn, roles.account_id, a)
        if not decision.allowed:
            result.deploy_denied.append(_line(a, decision))
        if is_mutating(a.action) and not is_state_lock(a):
            mutating.setdefault((a.action, a.resource), a)
    for a in plan_calls:
        result.plan_total += 1
        decision = decide(plan, plan_arn, roles.account_id, a)
        if not decision.allowed:
            result.plan_denied.append(_line(a, decision))
        elif is_mutating(a.action) and not is_state_lock(a):
            result.mutating_allowed.append(_line(a, decision))
    for a in mutating.values():  # the plan role may do none of what a deploy changes
        decision = decide(plan, plan_arn, roles.account_id, a)
        if decision.allowed:
            result.mutating_allowed.append(_line(a, decision))
    return result


# -- escalation -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Method:
    """One escalation method: it is a path when the deploy role may take every step."""

    name: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Names:
    """The names an escalation is tried on, for one environment's roles."""

    account: str
    partition: str
    env: str
    other_env: str
    prefix: str  # <project>-<env>-: what the deploy role manages
    other_prefix: str  # <project>-<other env>-
    deploy_role: str
    plan_role: str
    other_deploy_role: str
    boundary: str
    other_boundary: str
    state_bucket: str
    state_key: str

    def arn(self, service: str, resource: str, region: str = "us-east-1", account: bool = True) -> str:
        return f"arn:{self.partition}:{service}:{region}:{self.account if account else ''}:{resource}"

    def role(self, name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{name}"

    def policy(self, name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:policy/{name}"


def names_for(roles: RolePolicies, other: RolePolicies, prefix: str, other_prefix: str,
              state_bucket: str, state_key: str) -> Names:  # fmt: skip
    return Names(
        account=roles.account_id, partition=roles.partition, env=roles.env, other_env=other.env,
        prefix=prefix, other_prefix=other_prefix, deploy_role=roles.role_arn("deploy"),
        plan_role=roles.role_arn("plan"), other_deploy_role=other.role_arn("deploy"),
        boundary=roles.boundary_arn, other_boundary=other.boundary_arn, state_bucket=state_bucket,
        state_key=state_key,
    )  # fmt: skip


def methods(n: Names) -> list[Method]:
    """Rhino Security Labs' AWS privilege-escalation methods (and the bootstrap's own assets), as requests."""
    new_role = n.role(f"{n.prefix}escalate")
    admin_role = n.role("admin")
    function = n.arn("lambda", f"function:{n.prefix}escalate")
    other_function = n.arn("lambda", "function:payments-admin")
    no_boundary: dict[str, ContextValue] = {}
    other_boundary = {"iam:PermissionsBoundary": n.other_boundary}
    to_lambda = {"iam:PassedToService": "lambda.amazonaws.com"}
    user = f"arn:{n.partition}:iam::{n.account}:user/someone"
    group = f"arn:{n.partition}:iam::{n.account}:group/admins"
    own = [n.deploy_role, n.plan_role, n.other_deploy_role]
    state_key_tags = {
        "aws:ResourceTag/Project": n.prefix.split("-")[0],
        "aws:ResourceTag/Purpose": "terraform-state-and-ci",
    }
    m = [
        Method(
            "CreateRole without the boundary, PutRolePolicy, PassRole to Lambda, CreateFunction (then invoke)",
            (
                Step("iam:CreateRole", new_role, no_boundary),
                Step("iam:PutRolePolicy", new_role, no_boundary),
                Step("iam:PassRole", new_role, to_lambda),
                Step("lambda:CreateFunction", function),
            ),
        ),
        Method(
            "CreateRole with another environment's boundary",
            (Step("iam:CreateRole", new_role, other_boundary),),
        ),
        Method(
            "PutRolePolicy on a stack role without the boundary",
            (Step("iam:PutRolePolicy", new_role, no_boundary),),
        ),
        Method(
            "UpdateAssumeRolePolicy of a stack role without the boundary",
            (Step("iam:UpdateAssumeRolePolicy", new_role, no_boundary),),
        ),
        Method(
            "AttachRolePolicy (AdministratorAccess) to a stack role",
            (
                Step(
                    "iam:AttachRolePolicy",
                    new_role,
                    {
                        "iam:PermissionsBoundary": n.boundary,
                        "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess",
                    },
                ),
            ),
        ),
        Method(
            "DeleteRolePermissionsBoundary of a stack role",
            (Step("iam:DeleteRolePermissionsBoundary", new_role, {"iam:PermissionsBoundary": n.boundary}),),
        ),
        Method(
            "PutRolePermissionsBoundary (a wider boundary) on a stack role",
            (Step("iam:PutRolePermissionsBoundary", new_role, other_boundary),),
        ),
        Method(
            "CreatePolicyVersion of the boundary",
            (Step("iam:CreatePolicyVersion", n.policy(n.boundary.rsplit("/", 1)[1])),),
        ),
        Method("SetDefaultPolicyVersion of the boundary", (Step("iam:SetDefaultPolicyVersion", n.boundary),)),
        Method(
            "CreatePolicyVersion of a policy outside the stack",
            (Step("iam:CreatePolicyVersion", n.policy("ops-admin")),),
        ),
        Method(
            "SetDefaultPolicyVersion of a policy outside the stack",
            (Step("iam:SetDefaultPolicyVersion", n.policy("ops-admin")),),
        ),
        Method(
            "PassRole of a role outside the stack to Lambda, CreateFunction",
            (Step("iam:PassRole", admin_role, to_lambda), Step("lambda:CreateFunction", function)),
        ),
        Method(
            "PassRole of a stack role to EC2 (RunInstances)",
            (
                Step("iam:PassRole", new_role, {"iam:PassedToService": "ec2.amazonaws.com"}),
                Step("ec2:RunInstances", n.arn("ec2", "instance/*")),
            ),
        ),
        Method(
            "PassRole to CloudFormation, CreateStack",
            (
                Step("iam:PassRole", new_role, {"iam:PassedToService": "cloudformation.amazonaws.com"}),
                Step("cloudformation:CreateStack", n.arn("cloudformation", "stack/x/*")),
            ),
        ),
        Method(
            "PassRole to Glue, CreateDevEndpoint",
            (
                Step("iam:PassRole", new_role, {"iam:PassedToService": "glue.amazonaws.com"}),
                Step("glue:CreateDevEndpoint", n.arn("glue", "devEndpoint/x")),
            ),
        ),
        Method(
            "PassRole to Data Pipeline, CreatePipeline",
            (
                Step("iam:PassRole", new_role, {"iam:PassedToService": "datapipeline.amazonaws.com"}),
                Step("datapipeline:CreatePipeline", "*"),
            ),
        ),
        Method(
            "PassRole to CodeBuild, CreateProject",
            (
                Step("iam:PassRole", new_role, {"iam:PassedToService": "codebuild.amazonaws.com"}),
                Step("codebuild:CreateProject", n.arn("codebuild", "project/x")),
            ),
        ),
        Method(
            "UpdateFunctionCode of a function outside the stack",
            (Step("lambda:UpdateFunctionCode", other_function),),
        ),
        Method(
            "UpdateFunctionConfiguration of a function outside the stack",
            (Step("lambda:UpdateFunctionConfiguration", other_function),),
        ),
        Method(
            "CreateEventSourceMapping to a function outside the stack",
            (Step("lambda:CreateEventSourceMapping", "*", {"lambda:FunctionArn": other_function}),),
        ),
        Method("InvokeFunction of a stack function", (Step("lambda:InvokeFunction", function),)),
        Method(
            "AddPermission on a function outside the stack", (Step("lambda:AddPermission", other_function),)
        ),
        Method("CreateAccessKey for a user", (Step("iam:CreateAccessKey", user),)),
        Method("CreateLoginProfile for a user", (Step("iam:CreateLoginProfile", user),)),
        Method("UpdateLoginProfile of a user", (Step("iam:UpdateLoginProfile", user),)),
        Method("AttachUserPolicy", (Step("iam:AttachUserPolicy", user),)),
        Method("PutUserPolicy", (Step("iam:PutUserPolicy", user),)),
        Method("AttachGroupPolicy", (Step("iam:AttachGroupPolicy", group),)),
        Method("PutGroupPolicy", (Step("iam:PutGroupPolicy", group),)),
        Method("AddUserToGroup", (Step("iam:AddUserToGroup", group),)),
        Method("AssumeRole of any role", (Step("sts:AssumeRole", admin_role),)),
        Method("SSM SendCommand", (Step("ssm:SendCommand", n.arn("ec2", "instance/*")),)),
        Method(
            "Create a role in another environment's names",
            (Step("iam:CreateRole", n.role(f"{n.other_prefix}escalate"), other_boundary),),
        ),
        Method(
            "Write another environment's state",
            (
                Step(
                    "s3:PutObject",
                    f"arn:{n.partition}:s3:::{n.state_bucket}/env:/{n.other_env}/x/terraform.tfstate",
                ),
            ),
        ),
        Method(
            "Read another environment's state",
            (
                Step(
                    "s3:GetObject",
                    f"arn:{n.partition}:s3:::{n.state_bucket}/env:/{n.other_env}/x/terraform.tfstate",
                ),
            ),
        ),
        Method(
            "Change the state bucket's policy",
            (Step("s3:PutBucketPolicy", f"arn:{n.partition}:s3:::{n.state_bucket}"),),
        ),
        Method(
            "TagResource of the state key (then manage it as a project key)",
            (
                Step(
                    "kms:TagResource",
                    n.state_key,
                    {
                        **state_key_tags,
                        "aws:RequestTag/Environment": n.env,
                        "aws:RequestTag/Project": n.prefix.split("-")[0],
                        "aws:TagKeys": ["Environment", "Project"],
                    },
                ),
            ),
        ),
        Method(
            "ScheduleKeyDeletion of the state key",
            (Step("kms:ScheduleKeyDeletion", n.state_key, state_key_tags),),
        ),
        Method("PutKeyPolicy of the state key", (Step("kms:PutKeyPolicy", n.state_key, state_key_tags),)),
        Method("CreateGrant on the state key", (Step("kms:CreateGrant", n.state_key, state_key_tags),)),
        Method(
            "Re-label another environment's key as this environment's",
            (
                Step(
                    "kms:TagResource",
                    n.arn("kms", "key/11111111-1111-4111-8111-111111111111"),
                    {
                        "aws:ResourceTag/Project": n.prefix.split("-")[0],
                        "aws:ResourceTag/Environment": n.other_env,
                        "aws:RequestTag/Environment": n.env,
                        "aws:TagKeys": ["Environment"],
                    },
                ),
            ),
        ),
        Method(
            "Re-label this environment's key for another environment",
            (
                Step(
                    "kms:TagResource",
                    n.arn("kms", "key/22222222-2222-4222-8222-222222222222"),
                    {
                        "aws:ResourceTag/Project": n.prefix.split("-")[0],
                        "aws:ResourceTag/Environment": n.env,
                        "aws:RequestTag/Environment": n.other_env,
                        "aws:TagKeys": ["Environment"],
                    },
                ),
            ),
        ),
        Method(
            "TagResource of another project's key",
            (
                Step(
                    "kms:TagResource",
                    n.arn("kms", "key/33333333-3333-4333-8333-333333333333"),
                    {
                        "aws:ResourceTag/Project": "payments",
                        "aws:RequestTag/Owner": "x",
                        "aws:TagKeys": ["Owner"],
                    },
                ),
            ),
        ),
        Method(
            "Decrypt with another environment's key",
            (
                Step(
                    "kms:Decrypt",
                    n.arn("kms", "key/11111111-1111-4111-8111-111111111111"),
                    {
                        "aws:ResourceTag/Project": n.prefix.split("-")[0],
                        "aws:ResourceTag/Environment": n.other_env,
                        "kms:ViaService": "lambda.us-east-1.amazonaws.com",
                    },
                ),
            ),
        ),
    ]
    for target in own:
        for action in ("iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy",
                       "iam:DeleteRolePermissionsBoundary", "iam:DeleteRole", "iam:TagRole"):  # fmt: skip
            m.append(
                Method(
                    f"{action} on the CI role {target.rsplit('/', 1)[1]}",
                    (Step(action, target, {"iam:PermissionsBoundary": n.boundary}),),
                )
            )
    return m


def escalation_paths(roles: RolePolicies, names: Names, *, policy: Policy | None = None) -> list[str]:
    """The methods whose every step the deploy role may take (its rendered policy, or `policy`)."""
    deploy = [policy or roles.policy("deploy_policy")]
    found = []
    for method in methods(names):
        if all(
            decide(
                deploy, names.deploy_role, names.account, Authorization(s.action, s.resource, s.context)
            ).allowed
            for s in method.steps
        ):
            found.append(method.name)
    return found


# What a role within the boundary may never do, whatever policy the deploy role writes into it.
PRIVILEGED = (
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:PassRole",
    "iam:CreatePolicyVersion",
    "iam:CreateAccessKey",
    "iam:UpdateAssumeRolePolicy",
    "sts:AssumeRole",
    "lambda:CreateFunction",
    "lambda:UpdateFunctionCode",
    "lambda:AddPermission",
    "kms:PutKeyPolicy",
    "kms:CreateGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "s3:PutBucketPolicy",
    "s3:DeleteBucket",
    "events:PutRule",
    "events:PutTargets",
    "sqs:SetQueueAttributes",
    "sns:SetTopicAttributes",
    "dynamodb:DeleteTable",
    "ec2:RunInstances",
    "ssm:SendCommand",
    "cloudformation:CreateStack",
)


def boundary_grants(roles: RolePolicies, resources: Iterable[str]) -> list[str]:
    """(action on resource) pairs of PRIVILEGED that the boundary allows: none may be."""
    boundary = roles.policy("boundary_policy")
    granted = []
    for resource in resources:
        for action in PRIVILEGED:
            request = Authorization(action, resource, {})
            if decide([boundary], roles.role_arn("deploy"), roles.account_id, request).allowed:
                granted.append(f"{action} on {resource}")
    return granted
