"""schedule: scale the marimo service to zero outside office hours (`[compute] office_hours = true`).

Two EventBridge Scheduler schedules in a tagged schedule group call ECS `UpdateService` directly (no Lambda):
`start` sets the desired count from config at the start of office hours, `stop` sets it to 0 at the end. The
scheduler assumes a role allowed only `ecs:UpdateService` on this service. To use the server outside office
hours: `python -m infra wake --env ENV` (the `stop` schedule scales it down again in the evening).
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from infra import naming
from infra.engine import Action, Attribute, Call, Context, Resource
from infra.policy import dumps, trust
from infra.services import compute
from infra.services.compute_settings import ComputeTier, OfficeHours, compute_tier
from infra.tags import from_list, is_managed, standard_tags, to_list

NAME = "schedule"
UPDATE_SERVICE_TARGET = "arn:aws:scheduler:::aws-sdk:ecs:updateService"


def group_name(env: str) -> str:
    return naming.name(env, NAME, "group")


def schedule_name(env: str, which: str) -> str:
    return naming.name(env, NAME, which)


def role_name(env: str) -> str:
    return naming.name(env, NAME, "role")


def expressions(hours: OfficeHours) -> dict[str, str]:
    return {
        "start": f"cron(0 {hours.start_hour} ? * {hours.days} *)",
        "stop": f"cron(0 {hours.end_hour % 24} ? * {hours.days} *)",
    }


def _role(ctx: Context) -> Resource:
    iam = ctx.aws.client("iam")
    name = role_name(ctx.env)
    service_arn = f"arn:aws:ecs:{ctx.aws.region}:{ctx.account_id}:service/{compute.cluster_name(ctx.env)}/{compute.service_name(ctx.env)}"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ScaleMarimoService",
                "Effect": "Allow",
                "Action": "ecs:UpdateService",
                "Resource": service_arn,
            }
        ],
    }

    def find() -> dict[str, Any] | None:
        try:
            return dict(iam.get_role(RoleName=name)["Role"])
        except iam.exceptions.NoSuchEntityException:
            return None

    def read_policy() -> dict[str, Any] | None:
        try:
            return dict(iam.get_role_policy(RoleName=name, PolicyName="update-service")["PolicyDocument"])
        except iam.exceptions.NoSuchEntityException:
            return None

    return Resource(
        NAME,
        f"iam-role {name}",
        exists=lambda: find() is not None,
        create=lambda: iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=dumps(trust("scheduler.amazonaws.com")),
            Description="EventBridge Scheduler: scale the marimo service in and out of office hours",
            Tags=to_list(standard_tags(ctx.config, NAME)),
        ),
        create_api="iam.create_role",
        attributes=[
            Attribute(
                "policy",
                policy,
                read_policy,
                lambda v: iam.put_role_policy(
                    RoleName=name, PolicyName="update-service", PolicyDocument=dumps(v)
                ),
                api="iam.put_role_policy",
            ),
            Attribute(
                "tags",
                standard_tags(ctx.config, NAME),
                lambda: from_list(iam.list_role_tags(RoleName=name)["Tags"]),
                lambda v: iam.tag_role(RoleName=name, Tags=to_list(v)),
                matches=lambda want, have: want.items() <= (have or {}).items(),
                api="iam.tag_role",
            ),
        ],
    )


def _group(ctx: Context) -> Resource:
    scheduler = ctx.aws.client("scheduler")
    name = group_name(ctx.env)

    def find() -> dict[str, Any] | None:
        try:
            return dict(scheduler.get_schedule_group(Name=name))
        except scheduler.exceptions.ResourceNotFoundException:
            return None

    return Resource(
        NAME,
        f"schedule-group {name}",
        exists=lambda: find() is not None,
        create=lambda: scheduler.create_schedule_group(
            Name=name, Tags=to_list(standard_tags(ctx.config, NAME))
        ),
        create_api="scheduler.create_schedule_group",
        attributes=[
            Attribute(
                "tags",
                standard_tags(ctx.config, NAME),
                lambda: from_list(scheduler.list_tags_for_resource(ResourceArn=find()["Arn"])["Tags"]),  # type: ignore[index]
                lambda v: scheduler.tag_resource(ResourceArn=find()["Arn"], Tags=to_list(v)),  # type: ignore[index]
                matches=lambda want, have: want.items() <= (have or {}).items(),
                api="scheduler.tag_resource",
            )
        ],
    )


def desired_schedule(ctx: Context, tier: ComputeTier, which: str) -> dict[str, Any]:
    hours = tier.compute.office_hours
    assert hours is not None
    count = tier.compute.desired_count if which == "start" else 0
    return {
        "ScheduleExpression": expressions(hours)[which],
        "ScheduleExpressionTimezone": hours.timezone,
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "State": "ENABLED",
        "Target": {
            "Arn": UPDATE_SERVICE_TARGET,
            "RoleArn": f"arn:aws:iam::{ctx.account_id}:role/{role_name(ctx.env)}",
            "Input": json.dumps(
                {
                    "Cluster": compute.cluster_name(ctx.env),
                    "Service": compute.service_name(ctx.env),
                    "DesiredCount": count,
                },
                sort_keys=True,
            ),
        },
    }


def _schedule(ctx: Context, tier: ComputeTier, which: str) -> Resource:
    scheduler = ctx.aws.client("scheduler")
    name, group = schedule_name(ctx.env, which), group_name(ctx.env)
    desired = desired_schedule(ctx, tier, which)

    def find() -> dict[str, Any] | None:
        try:
            return dict(scheduler.get_schedule(Name=name, GroupName=group))
        except scheduler.exceptions.ResourceNotFoundException:
            return None

    def read() -> dict[str, Any] | None:
        found = find()
        if not found:
            return None
        shape = {k: found.get(k) for k in desired if k != "Target"}
        target = found.get("Target", {})
        input_doc = json.loads(target.get("Input") or "{}")
        shape["Target"] = {
            "Arn": target.get("Arn"),
            "RoleArn": target.get("RoleArn"),
            "Input": json.dumps(input_doc, sort_keys=True),
        }
        return shape

    return Resource(
        NAME,
        f"schedule {name}",
        exists=lambda: find() is not None,
        create=lambda: scheduler.create_schedule(Name=name, GroupName=group, **desired),
        create_api="scheduler.create_schedule",
        attributes=[
            # update_schedule replaces the whole schedule, so both writes send everything.
            Attribute(
                "timing",
                {k: v for k, v in desired.items() if k != "Target"},
                lambda: {k: v for k, v in (read() or {}).items() if k != "Target"} or None,
                lambda _: scheduler.update_schedule(Name=name, GroupName=group, **desired),
                api="scheduler.update_schedule",
            ),
            Attribute(
                "target",  # holds the desired count
                desired["Target"],
                lambda: (read() or {}).get("Target"),
                lambda _: scheduler.update_schedule(Name=name, GroupName=group, **desired),
                api="scheduler.update_schedule",
            ),
        ],
    )


def destroy_actions(ctx: Context) -> list[Action]:
    scheduler, iam = ctx.aws.client("scheduler"), ctx.aws.client("iam")
    actions: list[Action] = []
    group = group_name(ctx.env)
    try:
        found = scheduler.get_schedule_group(Name=group)
    except scheduler.exceptions.ResourceNotFoundException:
        found = None
    if found and is_managed(
        from_list(scheduler.list_tags_for_resource(ResourceArn=found["Arn"])["Tags"]), ctx.env
    ):
        for which in ("start", "stop"):
            name = schedule_name(ctx.env, which)
            try:
                scheduler.get_schedule(Name=name, GroupName=group)
            except scheduler.exceptions.ResourceNotFoundException:
                continue
            actions.append(
                Action(
                    NAME,
                    "delete",
                    f"schedule {name}",
                    (),
                    (partial(scheduler.delete_schedule, Name=name, GroupName=group),),
                )
            )
        actions.append(
            Action(
                NAME,
                "delete",
                f"schedule-group {group}",
                (),
                (partial(scheduler.delete_schedule_group, Name=group),),
            )
        )
    role = role_name(ctx.env)
    try:
        tags = from_list(iam.list_role_tags(RoleName=role)["Tags"])
    except iam.exceptions.NoSuchEntityException:
        tags = {}
    if is_managed(tags, ctx.env):

        def delete_role() -> None:
            for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]:
                iam.delete_role_policy(RoleName=role, PolicyName=policy)
            iam.delete_role(RoleName=role)

        step = Call("iam.delete_role_policy+delete_role", delete_role)
        actions.append(Action(NAME, "delete", f"iam-role {role}", (), (step,)))
    return actions


def plan(ctx: Context) -> list[Action]:
    tier = compute_tier(ctx.config)
    if not tier.compute.enabled or tier.compute.office_hours is None:
        return destroy_actions(ctx)  # around the clock (or no compute): no schedules
    actions: list[Action] = []
    for resource in (_role(ctx), _group(ctx), _schedule(ctx, tier, "start"), _schedule(ctx, tier, "stop")):
        actions.extend(resource.plan())
    return actions


def plan_destroy(ctx: Context, *, force_data_loss: bool) -> list[Action]:
    return destroy_actions(ctx)
