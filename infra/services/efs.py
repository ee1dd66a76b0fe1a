"""efs: 2 GB of persistent scratch for the marimo tasks at `/app/scratch`.

An encrypted file system with one mount target per availability zone (in the private subnets, reachable
only from the task security group), an access point rooted at `/app/scratch` that maps every client to
uid/gid 1000 (the image's non-root user), and a file system policy that refuses clients not using TLS and
lets only the task role mount and write. EFS has no quota: the monitoring service alarms when the metered
size passes 2 GB (docs/cost.md).
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from infra import naming
from infra.engine import Action, Attribute, Call, Context, Resource, canonical
from infra.lookup import forget, remember
from infra.policy import document, dumps, loads
from infra.services import network
from infra.services.compute_settings import compute_tier
from infra.tags import from_list, is_managed, standard_tags, to_list

NAME = "efs"
SCRATCH_PATH = "/app/scratch"
SCRATCH_UID = 1000
SCRATCH_LIMIT_BYTES = 2 * 1024**3


def file_system_name(env: str) -> str:
    return naming.name(env, NAME, "scratch")


def access_point_name(env: str) -> str:
    return naming.name(env, NAME, "scratch-ap")


def find_file_system(ctx: Context) -> dict[str, Any] | None:
    """By creation token (= the name): EFS makes create_file_system idempotent on it."""
    efs = ctx.aws.client("efs")
    found = efs.describe_file_systems(CreationToken=file_system_name(ctx.env))["FileSystems"]
    found = [f for f in found if f["LifeCycleState"] not in ("deleting", "deleted")]
    return found[0] if found else None


def cached_file_system_id(ctx: Context) -> str | None:
    return remember(ctx.aws, ("efs",), lambda: (find_file_system(ctx) or {}).get("FileSystemId"))


def file_system_id(ctx: Context) -> str:
    found = cached_file_system_id(ctx)
    if not found:
        raise RuntimeError(
            f"EFS file system {file_system_name(ctx.env)} not found: apply the efs service first"
        )
    return found


def find_access_point(ctx: Context) -> dict[str, Any] | None:
    fs = cached_file_system_id(ctx)
    if not fs:
        return None
    points = ctx.aws.client("efs").describe_access_points(FileSystemId=fs)["AccessPoints"]
    named = [p for p in points if from_list(p.get("Tags", [])).get("Name") == access_point_name(ctx.env)]
    return named[0] if named else None


def cached_access_point_id(ctx: Context) -> str | None:
    return remember(
        ctx.aws, ("efs-access-point",), lambda: (find_access_point(ctx) or {}).get("AccessPointId")
    )


def access_point_id(ctx: Context) -> str:
    found = cached_access_point_id(ctx)
    if not found:
        raise RuntimeError(
            f"EFS access point {access_point_name(ctx.env)} not found: apply the efs service first"
        )
    return found


def file_system_policy(ctx: Context, fs_arn: str) -> dict[str, Any] | None:
    task_role = naming.role_arn(ctx.env, "fargate-task", ctx.account_id)
    return document(
        ctx.config,
        {
            "Sid": "TasksMountAndWrite",
            "Effect": "Allow",
            "Principal": {"AWS": task_role},
            "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            "Resource": fs_arn,
        },
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Resource": fs_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )


def _file_system(ctx: Context) -> Resource:
    efs = ctx.aws.client("efs")
    name = file_system_name(ctx.env)
    tags = {**standard_tags(ctx.config, NAME), "Name": name}
    fs_arn = f"arn:aws:elasticfilesystem:{ctx.aws.region}:{ctx.account_id}:file-system/"

    def create() -> None:
        fs = efs.create_file_system(
            CreationToken=name,
            Encrypted=True,
            PerformanceMode="generalPurpose",
            ThroughputMode="bursting",
            Tags=to_list(tags),
        )
        fs_id = fs["FileSystemId"]
        for _ in range(60):  # usually available within seconds; mount targets need it available
            if (
                efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]["LifeCycleState"]
                == "available"
            ):
                break
            time.sleep(2)

    def read_policy() -> dict[str, Any] | None:
        try:
            found = efs.describe_file_system_policy(FileSystemId=file_system_id(ctx))
        except efs.exceptions.PolicyNotFound:
            return None
        return loads(found["Policy"])

    def write_policy(doc: dict[str, Any] | None) -> None:
        fs_id = file_system_id(ctx)
        if doc is None:
            efs.delete_file_system_policy(FileSystemId=fs_id)
            return
        efs.put_file_system_policy(FileSystemId=fs_id, Policy=dumps(_with_arn(doc, fs_arn + fs_id)))

    def read_tags() -> dict[str, str]:
        return from_list(efs.list_tags_for_resource(ResourceId=file_system_id(ctx))["Tags"])

    # The policy's Resource is the file system ARN, unknown until it exists: compare with a placeholder.
    desired_policy = file_system_policy(ctx, fs_arn + "{id}")

    def policy_matches(want: dict[str, Any] | None, have: dict[str, Any] | None) -> bool:
        if have is None or want is None:
            return want is have
        return _canonical_policy(want) == _canonical_policy(have)

    return Resource(
        NAME,
        f"efs-file-system {name}",
        exists=lambda: cached_file_system_id(ctx) is not None,
        create=create,
        create_api="efs.create_file_system",
        attributes=[
            Attribute(
                "encrypted",
                True,
                lambda: bool((find_file_system(ctx) or {}).get("Encrypted")),
                lambda _: (
                    None if (find_file_system(ctx) or {}).get("Encrypted") else _refuse_unencrypted(name)
                ),
                api="efs.describe_file_systems",  # reads, and refuses: encryption cannot be turned on later
            ),
            Attribute(
                "policy",
                desired_policy,
                read_policy,
                write_policy,
                matches=policy_matches,
                api="efs.put_file_system_policy",
            ),
            Attribute(
                "tags",
                tags,
                read_tags,
                lambda v: efs.tag_resource(ResourceId=file_system_id(ctx), Tags=to_list(v)),
                matches=lambda want, have: have is not None and want.items() <= have.items(),
                api="efs.tag_resource",
            ),
        ],
    )


def _refuse_unencrypted(name: str) -> None:
    raise RuntimeError(
        f"EFS file system {name} is not encrypted and encryption cannot be turned on later: "
        "copy what you need, delete it (destroy --only efs) and apply again"
    )


def _with_arn(doc: dict[str, Any], arn: str) -> dict[str, Any]:
    return {**doc, "Statement": [{**s, "Resource": arn} for s in doc["Statement"]]}


def _canonical_policy(doc: dict[str, Any]) -> str:
    """Compare policies without the file-system id in the Resource (known only once it exists)."""
    return dumps(_with_arn(loads(dumps(doc)), "fs"))


def _mount_targets(ctx: Context) -> Resource:
    efs = ctx.aws.client("efs")
    name = f"{file_system_name(ctx.env)} mount-targets"

    def read() -> list[str] | None:
        fs = find_file_system(ctx)
        if not fs:
            return None
        targets = efs.describe_mount_targets(FileSystemId=fs["FileSystemId"])["MountTargets"]
        return sorted(t["SubnetId"] for t in targets if t["LifeCycleState"] not in ("deleting", "deleted"))

    def write(_: Any) -> None:
        fs_id = file_system_id(ctx)
        have = set(read() or [])
        group = network.require_security_group_id(ctx, "efs")
        for subnet in network.subnet_ids(ctx, "private"):
            if subnet not in have:
                efs.create_mount_target(FileSystemId=fs_id, SubnetId=subnet, SecurityGroups=[group])

    def desired() -> list[str]:
        try:
            return sorted(network.subnet_ids(ctx, "private"))
        except RuntimeError:
            return ["(private subnets)"]

    want = desired()
    return Resource(
        NAME,
        f"efs-mount-targets {name.split()[0]}",
        exists=lambda: bool(read()),
        create=lambda: write(want),
        create_api="efs.create_mount_target",
        attributes=[Attribute("subnets", want, read, write, api="efs.create_mount_target")],
    )


def _access_point(ctx: Context) -> Resource:
    efs = ctx.aws.client("efs")
    name = access_point_name(ctx.env)
    tags = {**standard_tags(ctx.config, NAME), "Name": name}
    desired = {
        "PosixUser": {"Uid": SCRATCH_UID, "Gid": SCRATCH_UID},
        "RootDirectory": {
            "Path": SCRATCH_PATH,
            "CreationInfo": {"OwnerUid": SCRATCH_UID, "OwnerGid": SCRATCH_UID, "Permissions": "0750"},
        },
    }

    def create() -> None:
        efs.create_access_point(
            ClientToken=name, FileSystemId=file_system_id(ctx), Tags=to_list(tags), **desired
        )

    def read_settings() -> dict[str, Any] | None:
        point = find_access_point(ctx)
        if not point:
            return None
        return {"PosixUser": point.get("PosixUser"), "RootDirectory": point.get("RootDirectory")}

    def replace(_: Any) -> None:  # access points are immutable: replace it (tasks pick it up on redeploy)
        if canonical(read_settings()) == canonical(desired):
            return
        point = find_access_point(ctx)
        if point:
            efs.delete_access_point(AccessPointId=point["AccessPointId"])
            forget(ctx.aws, ("efs-access-point",))
        create()

    return Resource(
        NAME,
        f"efs-access-point {name}",
        exists=lambda: find_access_point(ctx) is not None,
        create=create,
        create_api="efs.create_access_point",
        attributes=[
            Attribute(
                "settings", desired, read_settings, replace, api="efs.delete_access_point+create_access_point"
            ),
            Attribute(
                "tags",
                tags,
                lambda: from_list((find_access_point(ctx) or {}).get("Tags", [])),
                lambda v: efs.tag_resource(ResourceId=access_point_id(ctx), Tags=to_list(v)),
                matches=lambda want, have: want.items() <= have.items(),
                api="efs.tag_resource",
            ),
        ],
    )


def destroy_actions(ctx: Context) -> list[Action]:
    efs = ctx.aws.client("efs")
    fs = find_file_system(ctx)
    if not fs or not is_managed(from_list(fs.get("Tags", [])), ctx.env):
        return []
    fs_id = fs["FileSystemId"]
    actions = []
    point = find_access_point(ctx)
    if point:
        actions.append(
            Action(
                NAME,
                "delete",
                f"efs-access-point {access_point_name(ctx.env)}",
                (),
                (partial(efs.delete_access_point, AccessPointId=point["AccessPointId"]),),
            )
        )
    targets = efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]
    if targets:

        def delete_targets() -> None:
            for target in targets:
                efs.delete_mount_target(MountTargetId=target["MountTargetId"])
            for _ in range(90):  # the file system can only go once its mount targets are gone
                if not efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]:
                    return
                time.sleep(2)

        actions.append(
            Action(
                NAME,
                "delete",
                f"efs-mount-targets {file_system_name(ctx.env)}",
                (),
                (Call("efs.delete_mount_target", delete_targets),),
            )
        )
    actions.append(
        Action(
            NAME,
            "delete",
            f"efs-file-system {file_system_name(ctx.env)}",
            (),
            (partial(efs.delete_file_system, FileSystemId=fs_id),),
        )
    )
    return actions


def plan(ctx: Context) -> list[Action]:
    if not compute_tier(ctx.config).compute.enabled:
        return destroy_actions(ctx)
    actions: list[Action] = []
    for resource in (_file_system(ctx), _mount_targets(ctx), _access_point(ctx)):
        actions.extend(resource.plan())
    return actions


def plan_destroy(ctx: Context, *, force_data_loss: bool) -> list[Action]:
    return destroy_actions(ctx)
