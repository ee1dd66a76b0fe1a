"""A CloudWatch log group we create ourselves (so it carries the project's tags and a retention), shared by
the services that own one: the compute tier's and each ingestion Lambda's."""

from __future__ import annotations

from typing import Any

from infra.engine import Attribute, Context, Resource
from infra.tags import standard_tags


def log_group(ctx: Context, service: str, name: str, retention_days: int) -> Resource:
    logs = ctx.aws.client("logs")
    arn = f"arn:aws:logs:{ctx.aws.region}:{ctx.account_id}:log-group:{name}"
    tags = standard_tags(ctx.config, service)

    def find() -> dict[str, Any] | None:
        groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        return next((dict(g) for g in groups if g["logGroupName"] == name), None)

    return Resource(
        service,
        f"log-group {name}",
        exists=lambda: find() is not None,
        create_api="logs.create_log_group",
        create=lambda: logs.create_log_group(logGroupName=name, tags=tags),
        attributes=[
            Attribute(
                "retention",
                retention_days,
                lambda: (find() or {}).get("retentionInDays"),
                lambda v: logs.put_retention_policy(logGroupName=name, retentionInDays=v),
                api="logs.put_retention_policy",
            ),
            Attribute(
                "tags",
                tags,
                lambda: logs.list_tags_for_resource(resourceArn=arn).get("tags", {}),
                lambda v: logs.tag_resource(resourceArn=arn, tags=v),
                matches=lambda want, have: want.items() <= (have or {}).items(),
                api="logs.tag_resource",
            ),
        ],
    )
