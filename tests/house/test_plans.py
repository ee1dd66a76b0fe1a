"""Plans as data: what a service's planner proposes, inspected without running it and without moto.

A fake client answers the planner's reads from a dict; the plan's actions name the service, the resource, the
attributes that differ and the API calls `apply` would make. `DisplayOnlyExecutor` prints them (`plan`),
`Executor` runs them.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import MethodType, SimpleNamespace
from typing import Any

from botocore.exceptions import ClientError

from infra.config import ENVS_DIR, load_config
from infra.engine import Action, Call, Context, DisplayOnlyExecutor, Executor, api_of
from infra.services import outputs, secrets, storage


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


class EmptyAccount:
    """A client of an account that has nothing yet: every read is a 404, every write is recorded."""

    def __init__(self, service: str) -> None:
        self.meta = SimpleNamespace(service_model=SimpleNamespace(service_name=service))
        self.calls: list[str] = []

    def __getattr__(self, operation: str) -> Any:
        def call(client: EmptyAccount, **kwargs: Any) -> dict[str, Any]:
            if operation.startswith(("get_", "describe_", "head_")):
                error = {"Error": {"Code": "NotFound"}, "ResponseMetadata": {"HTTPStatusCode": 404}}
                raise ClientError(error, operation)  # type: ignore[arg-type]
            client.calls.append(operation)
            return {}

        call.__name__ = operation
        return MethodType(call, self)


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
        "create s3-bucket",
        "write public-access-block",
        "write ownership",
        "write encryption",
        "write versioning",
        "write lifecycle",
        "write policy",
        "write tags",
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
