"""iam: least-privilege roles for the Lambdas (Chalice uses them: `manage_iam_role: false`) and the Fargate
tasks, and one upload-only IAM user per on-prem device whose key lives in Secrets Manager.

Each principal has exactly one inline policy; extra inline or attached policies show as drift and are
removed by apply. Role/policy documents are built in `role_specs` / `device_policy`: the one place to change
what a principal may do.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from infra import keys, naming
from infra.aws import missing
from infra.engine import Action, Attribute, Call, Context, Kind, Resource
from infra.policy import allow, deny_overwrite, document, dumps, loads, trust
from infra.services import ingestion
from infra.tags import from_list, is_managed, standard_tags, to_list

NAME = "iam"
POLICY_NAME = "least-privilege"


@dataclass(frozen=True)
class RoleSpec:
    role: str  # short name for naming.role_name: ingest-lambda, transform-lambda, fargate-execution, ...
    service_principal: str
    description: str
    policy: dict[str, Any]


def _arns(ctx: Context) -> dict[str, str]:
    env, account, region = ctx.env, ctx.account_id, ctx.aws.region
    return {
        "raw": f"arn:aws:s3:::{naming.raw_bucket(env, account)}",
        "derived": f"arn:aws:s3:::{naming.derived_bucket(env, account)}",
        "secrets": f"arn:aws:secretsmanager:{region}:{account}:secret:mplat/{env}",
        "lambda_logs": f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/mplat-{env}-*",
        "ecs_logs": f"arn:aws:logs:{region}:{account}:log-group:/ecs/mplat-{env}-*",
        "ecr": f"arn:aws:ecr:{region}:{account}:repository/mplat-{env}-*",
        "failure_queue": f"arn:aws:sqs:{region}:{account}:{ingestion.queue_name(env)}",
    }


def _logs(log_group_arn: str) -> dict[str, Any]:
    return allow(
        "WriteOwnLogs",
        ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        [log_group_arn, f"{log_group_arn}:*"],
    )


def _failure_queue(a: dict[str, str]) -> dict[str, Any]:
    """Lambda sends a failed asynchronous event to the function's failure destination as the function's role."""
    return allow("SendFailedEvents", ["sqs:SendMessage"], [a["failure_queue"]])


def _read_raw_write_derived(a: dict[str, str]) -> list[dict[str, Any]]:
    """What a transformation needs, in a Lambda or in the marimo server: read raw, read/write derived."""
    return [
        allow("ReadRaw", ["s3:GetObject"], [f"{a['raw']}/*"]),
        allow("ListBuckets", ["s3:ListBucket"], [a["raw"], a["derived"]]),
        allow("ReadWriteDerived", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [f"{a['derived']}/*"]),
    ]


def _policy(ctx: Context, *statements: dict[str, Any]) -> dict[str, Any]:
    doc = document(ctx.config, *statements)
    assert doc is not None, "every identity policy has unconditional Allow statements"
    return doc


def role_specs(ctx: Context) -> list[RoleSpec]:
    a = _arns(ctx)
    sources = ctx.config.ingestion_sources
    raw_source_objects = [f"{a['raw']}/{source}/*" for source in sources] or [f"{a['raw']}/none/*"]
    return [
        RoleSpec(
            "ingest-lambda",
            "lambda.amazonaws.com",
            "Chalice ingest-<source>-function Lambdas: write raw, read ingest secrets, record failures",
            _policy(
                ctx,
                # GetObject: a payload whose sha256 key already exists is not written again.
                allow("WriteRawSources", ["s3:PutObject", "s3:GetObject"], raw_source_objects),
                deny_overwrite("NeverOverwriteRaw", raw_source_objects),
                allow("ListRaw", ["s3:ListBucket"], [a["raw"]]),
                allow("RecordFailures", ["s3:PutObject"], [f"{a['derived']}/failures/*"]),
                allow("ReadIngestSecrets", ["secretsmanager:GetSecretValue"], [f"{a['secrets']}/ingest/*"]),
                _failure_queue(a),
                _logs(a["lambda_logs"]),
            ),
        ),
        RoleSpec(
            "transform-lambda",
            "lambda.amazonaws.com",
            "Chalice transform-raw-function: read raw, read/write derived",
            _policy(
                ctx,
                *_read_raw_write_derived(a),
                _failure_queue(a),
                _logs(a["lambda_logs"]),
            ),
        ),
        RoleSpec(
            "fargate-execution",
            "ecs-tasks.amazonaws.com",
            "ECS agent for the marimo server: pull the image, write logs, inject Okta secrets",
            _policy(
                ctx,
                allow("EcrLogin", ["ecr:GetAuthorizationToken"], ["*"]),  # this action has no resource
                allow(
                    "PullImage",
                    ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                    [a["ecr"]],
                ),
                allow("WriteTaskLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [f"{a['ecs_logs']}:*"]),
                allow("InjectSecrets", ["secretsmanager:GetSecretValue"], [f"{a['secrets']}/okta/*"]),
            ),
        ),
        RoleSpec(
            "fargate-task",
            "ecs-tasks.amazonaws.com",
            "The marimo server itself: read raw, read/write derived",
            _policy(
                ctx,
                *_read_raw_write_derived(a),
            ),
        ),
    ]


def device_policy(ctx: Context, device: str) -> dict[str, Any]:
    """Upload only under the device's own prefix, never over an existing name; nothing else. PutObject covers
    every step of a multipart upload; the uploader resumes from local state, so it needs no listing, and an
    abandoned upload is aborted by the raw bucket's lifecycle rule, so it needs no abort."""
    prefix = f"arn:aws:s3:::{naming.raw_bucket(ctx.env, ctx.account_id)}/onprem/{device}/*"
    return _policy(
        ctx,
        allow("UploadOwnPrefixOnly", ["s3:PutObject"], [prefix]),
        deny_overwrite("NeverOverwrite", [prefix]),
    )


# ---------------------------------------------------------------------------------------------------------
# Reading and writing principals (roles and users share the shape: tags + inline + attached policies)


@dataclass(frozen=True)
class _PrincipalApi:
    """The IAM calls for one kind of principal, so roles and users reconcile with the same code."""

    kind: str  # "role" | "user"
    iam: Any

    def _call(self, verb: str, **kwargs: Any) -> Any:
        noun = "Role" if self.kind == "role" else "User"
        return getattr(self.iam, verb.format(noun=self.kind))(**{f"{noun}Name": kwargs.pop("name"), **kwargs})

    def api(self, *verbs: str) -> str:
        """The calls a write makes, for the plan: `api("untag_{noun}", "tag_{noun}")` → `iam.untag_role+tag_role`."""
        return "iam." + "+".join(verb.format(noun=self.kind) for verb in verbs)

    @property
    def delete_api(self) -> str:
        keys = ("delete_access_key",) if self.kind == "user" else ()
        return self.api("detach_{noun}_policy", "delete_{noun}_policy", *keys, "delete_{noun}")

    def exists(self, name: str) -> bool:
        try:
            self._call("get_{noun}", name=name)
            return True
        except ClientError as exc:
            if missing(exc, "NoSuchEntity"):
                return False
            raise

    def tags(self, name: str) -> dict[str, str]:
        return from_list(self._call("list_{noun}_tags", name=name)["Tags"])

    def write_tags(self, name: str, tags: dict[str, str]) -> None:
        stale = sorted(set(self.tags(name)) - set(tags))
        if stale:
            self._call("untag_{noun}", name=name, TagKeys=stale)
        self._call("tag_{noun}", name=name, Tags=to_list(tags))

    def inline_policies(self, name: str) -> dict[str, Any]:
        names = self._call("list_{noun}_policies", name=name)["PolicyNames"]
        return {
            p: loads(self._call("get_{noun}_policy", name=name, PolicyName=p)["PolicyDocument"])
            for p in names
        }

    def write_inline_policies(self, name: str, policies: dict[str, Any]) -> None:
        for policy_name in set(self.inline_policies(name)) - set(policies):
            self._call("delete_{noun}_policy", name=name, PolicyName=policy_name)
        for policy_name, doc in policies.items():
            self._call("put_{noun}_policy", name=name, PolicyName=policy_name, PolicyDocument=dumps(doc))

    def attached(self, name: str) -> list[str]:
        found = self._call("list_attached_{noun}_policies", name=name)["AttachedPolicies"]
        return sorted(p["PolicyArn"] for p in found)

    def detach_all(self, name: str) -> None:
        for arn in self.attached(name):
            self._call("detach_{noun}_policy", name=name, PolicyArn=arn)

    def delete(self, name: str) -> None:
        self.detach_all(name)
        for policy_name in self.inline_policies(name):
            self._call("delete_{noun}_policy", name=name, PolicyName=policy_name)
        if self.kind == "user":
            for key in self.iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
                self.iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
        self._call("delete_{noun}", name=name)


def _principal(ctx: Context, api: _PrincipalApi, name: str, policy: dict[str, Any]) -> list[Attribute]:
    return [
        Attribute(
            "inline-policy",
            {POLICY_NAME: policy},
            lambda: api.inline_policies(name),
            lambda v: api.write_inline_policies(name, v),
            api=api.api("delete_{noun}_policy", "put_{noun}_policy"),
        ),
        Attribute(
            "attached-policies",
            [],
            lambda: api.attached(name),
            lambda _: api.detach_all(name),
            api=api.api("detach_{noun}_policy"),
        ),
        Attribute(
            "tags",
            standard_tags(ctx.config, NAME),
            lambda: api.tags(name),
            lambda v: api.write_tags(name, v),
            api=api.api("untag_{noun}", "tag_{noun}"),
        ),
    ]


def _role(ctx: Context, spec: RoleSpec) -> Resource:
    iam = ctx.aws.client("iam")
    api = _PrincipalApi("role", iam)
    name = naming.role_name(ctx.env, spec.role)
    trust_doc = trust(spec.service_principal)

    def create() -> None:
        iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=dumps(trust_doc),
            Description=spec.description,
            Tags=to_list(standard_tags(ctx.config, NAME)),
        )

    attributes = [
        Attribute(
            "trust-policy",
            trust_doc,
            lambda: loads(iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]),
            lambda v: iam.update_assume_role_policy(RoleName=name, PolicyDocument=dumps(v)),
            api="iam.update_assume_role_policy",
        ),
        *_principal(ctx, api, name, spec.policy),
    ]
    return Resource(NAME, f"iam-role {name}", lambda: api.exists(name), create, attributes, "iam.create_role")


def user_path(env: str) -> str:
    return f"/mplat/{env}/"


def _device_user(ctx: Context, device: str) -> Resource:
    iam = ctx.aws.client("iam")
    api = _PrincipalApi("user", iam)
    name = naming.onprem_user(ctx.env, device)

    def create() -> None:
        iam.create_user(UserName=name, Path=user_path(ctx.env), Tags=to_list(standard_tags(ctx.config, NAME)))

    return Resource(
        NAME,
        f"iam-user {name}",
        lambda: api.exists(name),
        create,
        _principal(ctx, api, name, device_policy(ctx, device)),
        "iam.create_user",
    )


def _device_key(ctx: Context, device: str, user_exists: bool) -> list[Action]:
    """A key is issued when the device has none stored; a revoked device stays revoked."""
    resource = (
        f"access-key {naming.onprem_user(ctx.env, device)} -> secret {naming.onprem_secret(ctx.env, device)}"
    )
    status = keys.key_status(ctx, device) if user_exists else keys.KeyStatus("absent", ())
    if status.state in ("current", "revoked"):
        return []
    kind: Kind = "create" if status.state in ("absent", "deleted") else "update"
    return [
        Action(
            NAME,
            kind,
            resource,
            ("access-key",) if kind == "update" else (),
            (Call(keys.ISSUE_API, lambda: keys.issue(ctx, device)),),
        )
    ]


def _orphan_users(ctx: Context) -> list[str]:
    """Device users of this env whose device was removed from the config."""
    iam = ctx.aws.client("iam")
    wanted = {naming.onprem_user(ctx.env, d) for d in ctx.config.onprem_devices}
    found = []
    for page in iam.get_paginator("list_users").paginate(PathPrefix=user_path(ctx.env)):
        found += [u["UserName"] for u in page["Users"] if u["UserName"] not in wanted]
    api = _PrincipalApi("user", iam)
    return [u for u in found if is_managed(api.tags(u), ctx.env)]


def _delete_user_action(ctx: Context, user: str) -> Action:
    iam = ctx.aws.client("iam")
    device = user.removeprefix(f"mplat-{ctx.env}-iam-onprem-")
    secret_id = naming.onprem_secret(ctx.env, device)

    def delete_secret() -> None:
        try:
            ctx.aws.client("secretsmanager").delete_secret(
                SecretId=secret_id, ForceDeleteWithoutRecovery=True
            )
        except ClientError as exc:
            if not missing(exc, "ResourceNotFoundException"):
                raise

    users = _PrincipalApi("user", iam)
    return Action(
        NAME,
        "delete",
        f"iam-user {user} (+ secret {secret_id})",
        (),
        (
            Call(users.delete_api, lambda: users.delete(user)),
            Call("secretsmanager.delete_secret", delete_secret),
        ),
    )


# ---------------------------------------------------------------------------------------------------------
# Service interface


def plan(ctx: Context) -> list[Action]:
    actions: list[Action] = []
    for spec in role_specs(ctx):
        actions += _role(ctx, spec).plan()
    for device in ctx.config.onprem_devices:
        user = _device_user(ctx, device)
        user_actions = user.plan()
        actions += user_actions
        creating = any(a.kind == "create" for a in user_actions)
        actions += _device_key(ctx, device, user_exists=not creating)
    actions += [_delete_user_action(ctx, u) for u in _orphan_users(ctx)]
    return actions


def plan_destroy(ctx: Context, *, force_data_loss: bool) -> list[Action]:
    iam = ctx.aws.client("iam")
    actions: list[Action] = []
    users = _PrincipalApi("user", iam)
    for device in ctx.config.onprem_devices:
        user = naming.onprem_user(ctx.env, device)
        if users.exists(user) and is_managed(users.tags(user), ctx.env):
            actions.append(_delete_user_action(ctx, user))
    actions += [_delete_user_action(ctx, u) for u in _orphan_users(ctx)]
    roles = _PrincipalApi("role", iam)
    for spec in role_specs(ctx):
        name = naming.role_name(ctx.env, spec.role)
        if roles.exists(name) and is_managed(roles.tags(name), ctx.env):
            step = Call(roles.delete_api, partial(roles.delete, name))
            actions.append(Action(NAME, "delete", f"iam-role {name}", (), (step,)))
    return actions


def policy_documents(ctx: Context) -> dict[str, dict[str, Any]]:
    """Every identity policy this service writes, by principal (for linting)."""
    docs = {naming.role_name(ctx.env, s.role): s.policy for s in role_specs(ctx)}
    docs |= {naming.onprem_user(ctx.env, d): device_policy(ctx, d) for d in ctx.config.onprem_devices}
    return docs
