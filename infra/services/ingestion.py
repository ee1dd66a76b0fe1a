"""ingestion: what Chalice's Lambdas need around them that Chalice itself does not create.

- **Log groups** `/aws/lambda/mplat-{env}-<function>`, created before the first `chalice deploy` so they carry the
  project's tags (Lambda would create them untagged); retention 30 days (the stage's `log_retention_in_days`
  says the same, so Chalice keeps it).
- **A failure queue** `mplat-{env}-ingestion-failures` (SQS, 14 days): every ingest and transform invocation that
  still fails after Lambda's two retries lands there with its event, so it can be inspected and replayed.
- **Failure destinations**: each function's asynchronous-invocation config (EventBridge schedules and S3
  notifications invoke asynchronously) sends failed events to that queue. The functions exist only after
  `chalice deploy`: until then plan lists nothing for them; run `apply` again after the first deploy (docs/
  deploying.md, Chalice) and `plan` shows any function without its destination as drift.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from infra import naming
from infra.engine import Action, Attribute, Context, Resource
from infra.services.log_groups import log_group
from infra.tags import is_managed, standard_tags

NAME = "ingestion"
INGESTION_COMPONENT = (
    NAME  # the Component tag of the Lambdas (outputs writes it into the stage) and their logs
)
LAMBDA_LOG_RETENTION_DAYS = 30
QUEUE_RETENTION_SECONDS = 14 * 24 * 3600  # SQS's maximum: two weeks to notice and replay a failed event
ASYNC_RETRIES = (
    2  # Lambda's default, written down: a failed event is tried three times, then goes to the queue
)


def functions(ctx: Context) -> list[str]:
    """The Chalice functions of this env (keys of the stage's `lambda_functions`)."""
    return [naming.ingest_function(s) for s in ctx.config.ingestion_sources] + [naming.TRANSFORM_FUNCTION]


def queue_name(env: str) -> str:
    return naming.name(env, NAME, "failures")


def queue_arn(ctx: Context) -> str:
    return f"arn:aws:sqs:{ctx.aws.region}:{ctx.account_id}:{queue_name(ctx.env)}"


def _queue(ctx: Context) -> Resource:
    sqs = ctx.aws.client("sqs")
    name = queue_name(ctx.env)
    tags = standard_tags(ctx.config, NAME)

    def url() -> str | None:
        try:
            return str(sqs.get_queue_url(QueueName=name)["QueueUrl"])
        except sqs.exceptions.QueueDoesNotExist:
            return None

    def attribute(key: str) -> str | None:
        found = url()
        return (
            sqs.get_queue_attributes(QueueUrl=found, AttributeNames=[key])["Attributes"].get(key)
            if found
            else None
        )

    return Resource(
        NAME,
        f"sqs-queue {name}",
        exists=lambda: url() is not None,
        create_api="sqs.create_queue",
        create=lambda: sqs.create_queue(
            QueueName=name,
            Attributes={
                "MessageRetentionPeriod": str(QUEUE_RETENTION_SECONDS),
                "SqsManagedSseEnabled": "true",
            },
            tags=tags,
        ),
        attributes=[
            Attribute(
                "retention",
                str(QUEUE_RETENTION_SECONDS),
                lambda: attribute("MessageRetentionPeriod"),
                lambda v: sqs.set_queue_attributes(QueueUrl=url(), Attributes={"MessageRetentionPeriod": v}),
                api="sqs.set_queue_attributes",
            ),
            Attribute(
                "tags",
                tags,
                lambda: sqs.list_queue_tags(QueueUrl=url()).get("Tags", {}),
                lambda v: sqs.tag_queue(QueueUrl=url(), Tags=v),
                matches=lambda want, have: want.items() <= (have or {}).items(),
                api="sqs.tag_queue",
            ),
        ],
    )


def _log_group(ctx: Context, function: str) -> Resource:
    return log_group(ctx, NAME, naming.lambda_log_group(ctx.env, function), LAMBDA_LOG_RETENTION_DAYS)


def _failure_destination(ctx: Context, function: str) -> Resource | None:
    """None while the function does not exist (before the first `chalice deploy`)."""
    lambda_ = ctx.aws.client("lambda")
    name = naming.lambda_function(ctx.env, function)
    try:
        lambda_.get_function(FunctionName=name)
    except lambda_.exceptions.ResourceNotFoundException:
        return None
    desired = {"MaximumRetryAttempts": ASYNC_RETRIES, "OnFailure": queue_arn(ctx)}

    def read() -> dict[str, Any] | None:
        try:
            found = lambda_.get_function_event_invoke_config(FunctionName=name)
        except lambda_.exceptions.ResourceNotFoundException:
            return None
        on_failure = found.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        return {"MaximumRetryAttempts": found.get("MaximumRetryAttempts"), "OnFailure": on_failure}

    def write(_: Any = None) -> None:
        lambda_.put_function_event_invoke_config(
            FunctionName=name,
            MaximumRetryAttempts=ASYNC_RETRIES,
            DestinationConfig={"OnFailure": {"Destination": queue_arn(ctx)}},
        )

    return Resource(
        NAME,
        f"lambda-failure-destination {name}",
        exists=lambda: read() is not None,
        create=write,
        create_api="lambda.put_function_event_invoke_config",
        attributes=[
            Attribute("on-failure", desired, read, write, api="lambda.put_function_event_invoke_config")
        ],
    )


def plan(ctx: Context) -> list[Action]:
    resources = [_queue(ctx), *(_log_group(ctx, f) for f in functions(ctx))]
    resources += [r for r in (_failure_destination(ctx, f) for f in functions(ctx)) if r is not None]
    actions: list[Action] = []
    for resource in resources:
        actions.extend(resource.plan())
    return actions


def plan_destroy(ctx: Context, *, force_data_loss: bool) -> list[Action]:
    """The log groups and the queue we created (tagged); the functions and their configs are Chalice's."""
    logs, sqs = ctx.aws.client("logs"), ctx.aws.client("sqs")
    actions: list[Action] = []
    for function in functions(ctx):
        name = naming.lambda_log_group(ctx.env, function)
        arn = f"arn:aws:logs:{ctx.aws.region}:{ctx.account_id}:log-group:{name}"
        try:
            tags = logs.list_tags_for_resource(resourceArn=arn).get("tags", {})
        except logs.exceptions.ResourceNotFoundException:
            continue
        if is_managed(tags, ctx.env):
            actions.append(
                Action(
                    NAME,
                    "delete",
                    f"log-group {name}",
                    (),
                    (partial(logs.delete_log_group, logGroupName=name),),
                )
            )
    try:
        url = sqs.get_queue_url(QueueName=queue_name(ctx.env))["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        return actions
    if is_managed(sqs.list_queue_tags(QueueUrl=url).get("Tags", {}), ctx.env):
        actions.append(
            Action(
                NAME,
                "delete",
                f"sqs-queue {queue_name(ctx.env)}",
                (),
                (partial(sqs.delete_queue, QueueUrl=url),),
            )
        )
    return actions
