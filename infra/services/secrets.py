"""secrets: placeholders for the values people set by hand — the Okta client and each ingestion source's
credentials. Apply creates a secret *without a value* and afterwards only reconciles its description and
tags: it never writes or reads the value, so a value someone has set is never overwritten.

(On-prem device keys are written by the iam service, which issues them.)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from infra import naming
from infra.aws import missing
from infra.engine import Action, Attribute, Context, Resource
from infra.tags import from_list, is_managed, standard_tags, to_list

NAME = "secrets"
# Secrets Manager keeps a deleted secret this long (destroy can be undone, and apply restores it).
RECOVERY_DAYS = 7


@dataclass(frozen=True)
class Placeholder:
    secret_id: str
    description: str


def placeholders(ctx: Context) -> list[Placeholder]:
    found = [
        Placeholder(
            naming.okta_secret(ctx.env),
            'Okta OIDC client for the server tier: set {"client_id", "client_secret"}',
        )
    ]
    shapes = {
        "grid_prices": '{"url", "api_key"}',
        "meter_readings": '{"url", "username", "password"}',
    }
    for source in ctx.config.ingestion_sources:
        shape = shapes.get(source, "the source's connection settings as JSON")
        found.append(
            Placeholder(naming.ingest_secret(ctx.env, source), f"Ingestion source {source}: set {shape}")
        )
    return found


def _describe(sm: Any, secret_id: str) -> dict[str, Any] | None:
    try:
        return sm.describe_secret(SecretId=secret_id)
    except ClientError as exc:
        if missing(exc, "ResourceNotFoundException"):
            return None
        raise


def _placeholder(ctx: Context, spec: Placeholder) -> list[Action]:
    sm = ctx.aws.client("secretsmanager")
    resource = f"secret {spec.secret_id}"
    described = _describe(sm, spec.secret_id)
    if described and described.get("DeletedDate"):  # destroyed within the recovery window: bring it back
        return [
            Action(
                NAME, "update", resource, ("restore",), (partial(sm.restore_secret, SecretId=spec.secret_id),)
            )
        ]

    def write_tags(tags: dict[str, str]) -> None:
        current = from_list((_describe(sm, spec.secret_id) or {}).get("Tags", []))
        stale = sorted(set(current) - set(tags))
        if stale:
            sm.untag_resource(SecretId=spec.secret_id, TagKeys=stale)
        sm.tag_resource(SecretId=spec.secret_id, Tags=to_list(tags))

    return Resource(
        NAME,
        resource,
        exists=lambda: described is not None,
        create=partial(
            sm.create_secret,
            Name=spec.secret_id,
            Description=spec.description,
            Tags=to_list(standard_tags(ctx.config, NAME)),
        ),
        attributes=[
            Attribute(
                "description",
                spec.description,
                lambda: (_describe(sm, spec.secret_id) or {}).get("Description"),
                lambda v: sm.update_secret(SecretId=spec.secret_id, Description=v),
                api="secretsmanager.update_secret",
            ),
            Attribute(
                "tags",
                standard_tags(ctx.config, NAME),
                lambda: from_list((_describe(sm, spec.secret_id) or {}).get("Tags", [])),
                write_tags,
                api="secretsmanager.untag_resource+tag_resource",
            ),
        ],
    ).plan()


def plan(ctx: Context) -> list[Action]:
    return [action for spec in placeholders(ctx) for action in _placeholder(ctx, spec)]


def plan_destroy(ctx: Context, *, force_data_loss: bool) -> list[Action]:
    sm = ctx.aws.client("secretsmanager")
    actions = []
    for spec in placeholders(ctx):
        described = _describe(sm, spec.secret_id)
        if described is None or described.get("DeletedDate"):
            continue
        if not is_managed(from_list(described.get("Tags", [])), ctx.env):
            continue
        actions.append(
            Action(
                NAME,
                "delete",
                f"secret {spec.secret_id}",
                (f"recoverable for {RECOVERY_DAYS} days",),
                (partial(sm.delete_secret, SecretId=spec.secret_id, RecoveryWindowInDays=RECOVERY_DAYS),),
            )
        )
    return actions
