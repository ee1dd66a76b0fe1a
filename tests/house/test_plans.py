"""Plans as data: what a service's planner proposes, inspected without running it and without moto.

A fake client answers the planner's reads from a dict; the plan's actions name the service, the resource, the
attributes that differ and the API calls `apply` would make. `DisplayOnlyExecutor` prints them (`plan`),
`Executor` runs them.
"""

from __future__ import annotations

import ast
import io
import json
import tomllib
from pathlib import Path
from types import MethodType, SimpleNamespace
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError

from infra.config import ENVS_DIR, EnvConfig, load_config, parse_config
from infra.engine import Action, Call, Context, DisplayOnlyExecutor, Executor, api_of, operations
from infra.services import SERVICES, outputs, secrets, storage


class FakeSecretsManager:
    """Secrets Manager as a dict of described secrets; records the write calls made."""

    meta = SimpleNamespace(service_model=SimpleNamespace(service_name="secretsmanager"))

    def __init__(self, secrets: dict[str, dict[str, Any]]) -> None:
        self.secrets = secrets
        self.calls: list[str] = []

    def describe_secret(self, SecretId: str) -> dict[str, Any]:  # noqa: N803 (boto3's names)
        if SecretId not in self.secrets:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "DescribeSecret")
        return self.secrets[SecretId]

    def __getattr__(self, operation: str) -> Any:
        """Any other operation is a write: a bound method, as boto3's are (the plan names it from that)."""

        def write(client: FakeSecretsManager, **kwargs: Any) -> None:
            client.calls.append(operation)

        write.__name__ = operation
        return MethodType(write, self)


class NotFound(ClientError):
    def __init__(self, operation: str = "read") -> None:
        super().__init__(
            {"Error": {"Code": "NotFound"}, "ResponseMetadata": {"HTTPStatusCode": 404}}, operation
        )


class _AnyNotFound:
    """`client.exceptions.<Anything>NotFound…`: the one NotFound class, which every read of nothing raises."""

    def __getattr__(self, name: str) -> type[ClientError]:
        return NotFound


class EmptyAccount:
    """A client of an account that has nothing yet: a read raises NotFound (404) unless `answers` holds its
    response (list calls answer empty lists), every write is recorded."""

    exceptions = _AnyNotFound()

    def __init__(self, service: str, answers: dict[str, Any] | None = None) -> None:
        self.meta = SimpleNamespace(service_model=SimpleNamespace(service_name=service))
        self.answers = answers or {}
        self.calls: list[str] = []

    def get_paginator(self, operation: str) -> Any:
        return SimpleNamespace(paginate=lambda **kwargs: [self.answers.get(operation, {})])

    def __getattr__(self, operation: str) -> Any:
        def call(client: EmptyAccount, **kwargs: Any) -> dict[str, Any]:
            if operation in client.answers:
                return client.answers[operation]
            if operation.startswith(("get_", "describe_", "head_")):
                raise NotFound(operation)
            if not operation.startswith("list_"):
                client.calls.append(operation)
            return {}

        call.__name__ = operation
        return MethodType(call, self)


# The empty lists the planners page through, per client (the rest of an empty account is NotFound).
EMPTY_LISTS: dict[str, dict[str, Any]] = {
    "route53": {
        "list_hosted_zones_by_name": {"HostedZones": [{"Name": "dev.example.com.", "Id": "/hostedzone/Z1"}]},
        "list_resource_record_sets": {"ResourceRecordSets": []},
    },
    "ec2": {
        key: {field: []}
        for key, field in {
            "describe_vpcs": "Vpcs",
            "describe_subnets": "Subnets",
            "describe_security_groups": "SecurityGroups",
            "describe_internet_gateways": "InternetGateways",
            "describe_route_tables": "RouteTables",
            "describe_nat_gateways": "NatGateways",
            "describe_vpc_endpoints": "VpcEndpoints",
            "describe_addresses": "Addresses",
        }.items()
    }
    | {
        "describe_availability_zones": {
            "AvailabilityZones": [{"ZoneName": "eu-central-1a"}, {"ZoneName": "eu-central-1b"}]
        }
    },
    "iam": {"list_users": {"Users": []}, "list_roles": {"Roles": []}},
    "acm": {"list_certificates": {"CertificateSummaryList": []}},
    "efs": {
        "describe_file_systems": {"FileSystems": []},
        "describe_access_points": {"AccessPoints": []},
        "describe_mount_targets": {"MountTargets": []},
    },
    "ecs": {
        "describe_clusters": {"clusters": []},
        "describe_services": {"services": []},
        "list_task_definitions": {"taskDefinitionArns": []},
    },
    "logs": {"describe_log_groups": {"logGroups": []}},
    "cloudwatch": {"describe_alarms": {"MetricAlarms": []}},
    "sns": {"list_topics": {"Topics": []}},
}


class EmptyAws:
    region = "eu-central-1"
    account_id = "123456789012"

    def __init__(self) -> None:
        self.clients: dict[str, EmptyAccount] = {}

    def client(self, service: str) -> EmptyAccount:
        return self.clients.setdefault(service, EmptyAccount(service, EMPTY_LISTS.get(service)))


def compute_on_config(**network: bool) -> EnvConfig:
    """dev with the compute tier on (a zone, a domain and an Okta issuer, as an operator sets them)."""
    raw = tomllib.loads((ENVS_DIR / "dev.toml").read_text())
    raw["network"].update(network)
    raw["compute"]["enabled"] = True
    raw["compute"]["office_hours"] = True
    raw.setdefault("okta", {})["issuer"] = "https://example.okta.com/oauth2/default"
    raw.setdefault("dns", {}).update(zone="dev.example.com", domain="marimo.dev.example.com")
    return parse_config("dev", ENVS_DIR / "dev.toml", raw)


# What each service creates in an empty account, at least (the moto tests check the rest).
CREATES = {
    "storage": {"s3-bucket"},
    "iam": {"iam-role"},
    "ingestion": {"sqs-queue", "log-group"},  # failure destinations follow once Chalice made the functions
    "secrets": {"secret"},
    "site": {"s3-bucket", "cloudfront-distribution"},
    "outputs": {"chalice-stage"},
    "network": {"vpc", "subnet", "security-group"},
    "efs": {"efs-file-system", "efs-access-point"},
    "dns": {"acm-certificate"},
    "compute": {"ecs-cluster", "ecs-service", "load-balancer"},
    "schedule": {"schedule"},
    "monitoring": {"alarm", "budget"},
}


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.NAME)
def test_every_service_plans_an_empty_account_as_data_without_writing(service: Any, tmp_path: Path) -> None:
    aws = EmptyAws()
    ctx = Context(compute_on_config(), aws, tmp_path / "config.json")  # type: ignore[arg-type]
    actions = service.plan(ctx)
    assert {a.kind for a in actions} == {"create"} and {a.service for a in actions} == {service.NAME}
    assert CREATES[service.NAME] <= {a.resource.split()[0] for a in actions}
    assert all(a.calls and not a.refused for a in actions)  # each names the calls apply would make
    assert [c for client in aws.clients.values() for c in client.calls] == []  # planning wrote nothing
    assert not (tmp_path / "config.json").exists()


_SESSION = botocore.session.get_session()
REPO_ROOT = Path(__file__).resolve().parents[2]


def botocore_operations(client: str) -> set[str]:
    """The operations of a boto3 client, as its methods are named (`PutBucketPolicy` → `put_bucket_policy`);
    none for a name that is no client."""
    if client not in _SESSION.get_available_services():
        return set()
    return {xform_name(op) for op in _SESSION.get_service_model(client).operation_names}


@pytest.mark.parametrize(
    "service", [s for s in SERVICES if s is not outputs], ids=lambda s: s.NAME
)  # outputs writes chalice_app/.chalice/config.json, a local file: it calls no AWS API
def test_every_call_a_fresh_plan_names_is_a_real_boto3_operation(service: Any, tmp_path: Path) -> None:
    """Every optional resource on (NAT gateway, interface endpoints), so every create path is planned."""
    aws = EmptyAws()
    config = compute_on_config(nat_gateway=True, interface_endpoints=True)
    actions = service.plan(Context(config, aws, tmp_path / "config.json"))  # type: ignore[arg-type]
    names = {name for action in actions for name in action.calls}
    assert names, f"{service.NAME} plans nothing for an empty account"
    unknown = [
        name
        for name in sorted(names)
        for client, operation in operations(name)
        if operation not in botocore_operations(client)
    ]
    assert unknown == [], f"{service.NAME}: not `<client>.<operation>` of a real boto3 operation"


def _written_call_names() -> dict[str, str]:
    """Every call name written out in infra/ (`Call("…")`, `api=`, `create_api=`, a `…_API` constant), by
    where it is: the destroy and drift paths a fresh plan does not reach name their calls this way too."""
    found = {}
    for path in sorted((REPO_ROOT / "infra").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            values: list[ast.expr] = []
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Call" and node.args:
                values.append(node.args[0])
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "Resource"
                and len(node.args) > 5
            ):
                values.append(node.args[5])
            if isinstance(node, ast.keyword) and node.arg in ("api", "create_api"):
                values.append(node.value)
            if isinstance(node, ast.Assign) and any(
                getattr(t, "id", "").endswith("_API") for t in node.targets
            ):
                values.append(node.value)
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found[value.value] = f"{path.relative_to(REPO_ROOT)}:{value.lineno}"
    return found


def test_every_call_name_written_in_infra_is_a_real_boto3_operation() -> None:
    names = _written_call_names()
    assert len(names) > 50  # the walk finds them
    unknown = {
        name: where
        for name, where in names.items()
        if any(op not in botocore_operations(client) for client, op in operations(name))
    }
    assert unknown == {}


def test_operations_name_the_client_once_until_it_changes() -> None:
    assert operations("iam.create_access_key+secretsmanager.put_secret_value+restore_secret") == (
        ("iam", "create_access_key"),
        ("secretsmanager", "put_secret_value"),
        ("secretsmanager", "restore_secret"),
    )
    with pytest.raises(ValueError, match="must name its client"):
        operations("write tags")


class FakeAws:
    region = "eu-central-1"
    account_id = "123456789012"

    def __init__(self, **clients: Any) -> None:
        self.clients = clients

    def client(self, service: str) -> Any:
        return self.clients[service]


def context(chalice_config: Path = Path("unused-chalice-config.json"), **clients: Any) -> Context:
    return Context(load_config("dev", ENVS_DIR), FakeAws(**clients), chalice_config)  # type: ignore[arg-type]


def test_outputs_plan_writes_the_stage_once_and_names_what_drifted(tmp_path: Path) -> None:
    config = tmp_path / ".chalice" / "config.json"
    ctx = context(config)
    (create,) = outputs.plan(ctx)
    assert (create.service, create.kind, create.calls) == (
        "outputs",
        "create",
        ("write stage dev of config.json",),
    )
    assert not config.exists()  # planning writes nothing
    Executor(io.StringIO()).execute([create])
    stage = json.loads(config.read_text())["stages"]["dev"]
    assert stage["environment_variables"]["RAW_BUCKET"] == "mplat-dev-storage-raw-123456789012"
    assert outputs.plan(ctx) == []  # converged

    written = json.loads(config.read_text())
    written["stages"]["dev"]["environment_variables"]["RAW_BUCKET"] = "edited"
    written["stages"]["other"] = {"kept": True}
    config.write_text(json.dumps(written))
    (update,) = outputs.plan(ctx)
    assert (update.kind, update.changes) == ("update", ("environment_variables",))
    Executor(io.StringIO()).execute([update])
    assert json.loads(config.read_text())["stages"]["other"] == {"kept": True}  # other stages left alone
    (delete,) = outputs.plan_destroy(ctx, force_data_loss=False)
    assert delete.calls == ("remove stage dev from config.json",)


def test_secrets_plan_creates_each_missing_placeholder_with_its_calls() -> None:
    sm = FakeSecretsManager({})
    ctx = context(secretsmanager=sm)
    actions = secrets.plan(ctx)
    wanted = [spec.secret_id for spec in secrets.placeholders(ctx)]
    assert [a.resource for a in actions] == [f"secret {w}" for w in wanted]
    assert {(a.service, a.kind, a.changes) for a in actions} == {("secrets", "create", ())}
    assert actions[0].calls == (
        "secretsmanager.create_secret",
        "secretsmanager.update_secret",
        "secretsmanager.untag_resource+tag_resource",
    )
    assert sm.calls == []  # planning writes nothing


def test_secrets_plan_names_drifted_attributes_and_restores_a_deleted_secret() -> None:
    ctx = context(secretsmanager=FakeSecretsManager({}))
    okta, *sources = secrets.placeholders(ctx)
    tags = [{"Key": "Project", "Value": "mplat"}]
    described = {
        okta.secret_id: {"Description": "edited by hand", "Tags": tags},
        **{s.secret_id: {"DeletedDate": "2026-12-01", "Tags": tags} for s in sources},
    }
    actions = secrets.plan(context(secretsmanager=FakeSecretsManager(described)))
    by_resource = {a.resource.removeprefix("secret "): a for a in actions}
    assert by_resource[okta.secret_id].changes == ("description", "tags")
    assert by_resource[okta.secret_id].calls == (
        "secretsmanager.update_secret",
        "secretsmanager.untag_resource+tag_resource",
    )
    for source in sources:
        assert (by_resource[source.secret_id].changes, by_resource[source.secret_id].calls) == (
            ("restore",),
            ("secretsmanager.restore_secret",),
        )


def test_secrets_destroy_plan_touches_only_managed_secrets() -> None:
    ctx = context(secretsmanager=FakeSecretsManager({}))
    okta, *sources = secrets.placeholders(ctx)
    managed = [{"Key": "ManagedBy", "Value": "mplat-infra"}, {"Key": "Environment", "Value": "dev"}]
    sm = FakeSecretsManager({okta.secret_id: {"Tags": managed}, sources[0].secret_id: {"Tags": []}})
    (delete,) = secrets.plan_destroy(context(secretsmanager=sm), force_data_loss=False)
    assert (delete.kind, delete.resource, delete.calls) == (
        "delete",
        f"secret {okta.secret_id}",
        ("secretsmanager.delete_secret",),
    )


def test_storage_plan_for_an_empty_account_creates_both_buckets_attribute_by_attribute() -> None:
    s3 = EmptyAccount("s3")
    actions = storage.plan(context(s3=s3))
    assert [(a.kind, a.resource.split("-")[-2]) for a in actions] == [
        ("create", "raw"),
        ("create", "derived"),
    ]
    # In apply order: versioning before the lifecycle that expires old versions, the policy before the tags.
    assert actions[0].calls == (
        "s3.create_bucket",
        "s3.put_public_access_block",
        "s3.put_bucket_ownership_controls",
        "s3.put_bucket_encryption",
        "s3.put_bucket_versioning",
        "s3.put_bucket_lifecycle_configuration",
        "s3.put_bucket_policy",
        "s3.put_bucket_tagging",
    )
    assert s3.calls == []  # planning writes nothing


def test_display_only_executor_prints_and_runs_nothing_the_executor_runs() -> None:
    ran: list[str] = []
    actions = [
        Action(
            "storage", "create", "s3-bucket b", (), (Call("s3.create_bucket", lambda: ran.append("create")),)
        ),
        Action("storage", "delete", "s3-bucket raw", refused="holds raw data; pass --force-data-loss"),
    ]
    shown = io.StringIO()
    DisplayOnlyExecutor(shown).execute(actions)
    assert shown.getvalue().splitlines() == [
        "+ create storage   s3-bucket b",
        "    s3.create_bucket",
        "! refuse storage   s3-bucket raw: holds raw data; pass --force-data-loss",
    ]
    assert ran == []
    Executor(io.StringIO()).execute(actions[:1])
    assert ran == ["create"]
    assert api_of(lambda: None, "write tags") == "write tags"
