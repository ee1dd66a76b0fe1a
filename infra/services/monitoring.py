"""monitoring: one SNS topic for every alarm and budget alert, the alarms, and the monthly budget.

Alarms (all notify the topic): Lambda errors of each ingest function and of the transform function (always); with the compute tier on,
also unhealthy ALB targets, task memory > 80 %, ALB 5xx > 5 % of requests, and EFS metered size > 2 GB (EFS
has no quota: this alarm is the 2 GB limit). The AWS Budgets budget (account-wide, monthly) alerts at
`[monitoring] budget_warning_eur` and `budget_eur`; Budgets counts in USD, so the limit is converted with the
dated exchange rate of `infra/cost.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from infra import naming
from infra.currency import eur_to_usd
from infra.engine import Action, Attribute, Context, Resource, canonical
from infra.policy import dumps, loads
from infra.services import compute, compute_alb, efs, ingestion
from infra.services.compute_settings import ComputeTier, compute_tier
from infra.tags import from_list, is_managed, standard_tags, to_list

NAME = "monitoring"
ALARM_KEYS = (
    "AlarmDescription",
    "ActionsEnabled",
    "AlarmActions",
    "OKActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "Dimensions",
    "Period",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "Metrics",
)


def topic_name(env: str) -> str:
    return naming.name(env, NAME, "alarms")


def topic_arn(ctx: Context) -> str:
    return f"arn:aws:sns:{ctx.aws.region}:{ctx.account_id}:{topic_name(ctx.env)}"


def alarm_name(env: str, what: str) -> str:
    return naming.name(env, NAME, what)


def budget_name(env: str) -> str:
    return naming.name(env, NAME, "budget")


# ---------------------------------------------------------------------------------------------------------
# Desired alarms


def _alarm(ctx: Context, what: str, description: str, **metric: Any) -> dict[str, Any]:
    return {
        "AlarmName": alarm_name(ctx.env, what),
        "AlarmDescription": description,
        "ActionsEnabled": True,
        "AlarmActions": [topic_arn(ctx)],
        "OKActions": [topic_arn(ctx)],
        "TreatMissingData": "notBreaching",
        **metric,
    }


def lambda_alarms(ctx: Context) -> list[dict[str, Any]]:
    """One alarm per Chalice Lambda: each ingest function and the transform function."""
    queue = ingestion.queue_name(ctx.env)
    watched = [
        (
            naming.ingest_function(source),
            f"see its CloudWatch logs, derived failures/{source}/ and the {queue} queue",
        )
        for source in ctx.config.ingestion_sources
    ]
    watched.append(
        (
            naming.TRANSFORM_FUNCTION,
            f"see its CloudWatch logs; the failed S3 events are in the {queue} queue",
        )
    )
    alarms = []
    for chalice_function, where in watched:
        function = naming.lambda_function(ctx.env, chalice_function)
        alarms.append(
            _alarm(
                ctx,
                f"{chalice_function.removesuffix('-function')}-errors",
                f"{function} failed ({where})",
                Namespace="AWS/Lambda",
                MetricName="Errors",
                Dimensions=[{"Name": "FunctionName", "Value": function}],
                Statistic="Sum",
                Period=300,
                EvaluationPeriods=1,
                Threshold=0.0,
                ComparisonOperator="GreaterThanThreshold",
            )
        )
    return alarms


def compute_alarms(ctx: Context) -> list[dict[str, Any]]:
    """Dimensions need ids that exist only after the compute tier is applied (placeholders before)."""
    env = ctx.env
    lb, tg = compute_alb.load_balancer_arn(ctx), compute_alb.target_group_arn(ctx)
    lb_dim = lb.split(":loadbalancer/", 1)[1] if lb else "(load balancer)"
    tg_dim = tg.split(":", 5)[5] if tg else "(target group)"
    fs = efs.cached_file_system_id(ctx)
    elb_metric = [{"Name": "LoadBalancer", "Value": lb_dim}]

    def count(id_: str, metric: str) -> dict[str, Any]:
        return {
            "Id": id_,
            "ReturnData": False,
            "MetricStat": {
                "Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": metric, "Dimensions": elb_metric},
                "Period": 300,
                "Stat": "Sum",
            },
        }

    return [
        _alarm(
            ctx,
            "unhealthy-targets",
            "A marimo task fails the ALB health check on /health",
            Namespace="AWS/ApplicationELB",
            MetricName="UnHealthyHostCount",
            Dimensions=[{"Name": "TargetGroup", "Value": tg_dim}, {"Name": "LoadBalancer", "Value": lb_dim}],
            Statistic="Maximum",
            Period=60,
            EvaluationPeriods=5,
            DatapointsToAlarm=3,
            Threshold=0.0,
            ComparisonOperator="GreaterThanThreshold",
        ),
        _alarm(
            ctx,
            "task-memory",
            "marimo tasks use more than 80 % of their memory (raise [compute] memory or trim notebooks)",
            Namespace="AWS/ECS",
            MetricName="MemoryUtilization",
            Dimensions=[
                {"Name": "ClusterName", "Value": compute.cluster_name(env)},
                {"Name": "ServiceName", "Value": compute.service_name(env)},
            ],
            Statistic="Average",
            Period=300,
            EvaluationPeriods=2,
            Threshold=80.0,
            ComparisonOperator="GreaterThanThreshold",
        ),
        _alarm(
            ctx,
            "alb-5xx",
            "More than 5 % of requests through the ALB end in a 5xx",
            Metrics=[
                count("target5xx", "HTTPCode_Target_5XX_Count"),
                count("elb5xx", "HTTPCode_ELB_5XX_Count"),
                count("requests", "RequestCount"),
                {
                    "Id": "rate",
                    "Label": "5xx % of requests",
                    "ReturnData": True,
                    "Expression": "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests",
                },
            ],
            EvaluationPeriods=1,
            Threshold=5.0,
            ComparisonOperator="GreaterThanThreshold",
        ),
        _alarm(
            ctx,
            "efs-size",
            "EFS scratch is above 2 GB (EFS has no quota): clean /app/scratch",
            Namespace="AWS/EFS",
            MetricName="StorageBytes",
            Dimensions=[
                {"Name": "FileSystemId", "Value": fs or "(efs file system)"},
                {"Name": "StorageClass", "Value": "Total"},
            ],
            Statistic="Maximum",
            Period=900,
            EvaluationPeriods=1,
            Threshold=float(efs.SCRATCH_LIMIT_BYTES),
            ComparisonOperator="GreaterThanThreshold",
        ),
    ]


# ---------------------------------------------------------------------------------------------------------
# Resources


def _topic(ctx: Context, tier: ComputeTier) -> Resource:
    sns = ctx.aws.client("sns")
    arn = topic_arn(ctx)
    # Budgets and CloudWatch publish to the topic; nobody else.
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AlarmsAndBudgetsPublish",
                "Effect": "Allow",
                "Principal": {"Service": ["budgets.amazonaws.com", "cloudwatch.amazonaws.com"]},
                "Action": "SNS:Publish",
                "Resource": arn,
            },
            {
                "Sid": "OwnerManages",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ctx.account_id}:root"},
                "Action": [
                    "SNS:GetTopicAttributes",
                    "SNS:SetTopicAttributes",
                    "SNS:Subscribe",
                    "SNS:Publish",
                ],
                "Resource": arn,
            },
        ],
    }

    def attributes() -> dict[str, str] | None:
        try:
            return dict(sns.get_topic_attributes(TopicArn=arn)["Attributes"])
        except sns.exceptions.NotFoundException:
            return None

    def read_emails() -> list[str]:
        subs = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
        return sorted(s["Endpoint"] for s in subs if s["Protocol"] == "email")

    def write_emails(emails: list[str]) -> None:
        have = set(read_emails())
        for email in sorted(set(emails) - have):  # each address gets a confirmation mail from AWS
            sns.subscribe(TopicArn=arn, Protocol="email", Endpoint=email)
        for sub in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]:
            if (
                sub["Protocol"] == "email"
                and sub["Endpoint"] not in emails
                and sub["SubscriptionArn"].startswith("arn:")
            ):
                sns.unsubscribe(SubscriptionArn=sub["SubscriptionArn"])

    return Resource(
        NAME,
        f"sns-topic {topic_name(ctx.env)}",
        exists=lambda: attributes() is not None,
        create=lambda: sns.create_topic(
            Name=topic_name(ctx.env), Tags=to_list(standard_tags(ctx.config, NAME))
        ),
        create_api="sns.create_topic",
        attributes=[
            Attribute(
                "policy",
                policy,
                lambda: loads((attributes() or {}).get("Policy", "null")),
                lambda v: sns.set_topic_attributes(
                    TopicArn=arn, AttributeName="Policy", AttributeValue=dumps(v)
                ),
                api="sns.set_topic_attributes",
            ),
            Attribute(
                "email-subscriptions",
                sorted(tier.monitoring.alarm_emails),
                read_emails,
                write_emails,
                api="sns.subscribe+unsubscribe",
            ),
            Attribute(
                "tags",
                standard_tags(ctx.config, NAME),
                lambda: from_list(sns.list_tags_for_resource(ResourceArn=arn)["Tags"]),
                lambda v: sns.tag_resource(ResourceArn=arn, Tags=to_list(v)),
                matches=lambda want, have: want.items() <= (have or {}).items(),
                api="sns.tag_resource",
            ),
        ],
    )


def find_alarm(ctx: Context, name: str) -> dict[str, Any] | None:
    cloudwatch = ctx.aws.client("cloudwatch")
    found = cloudwatch.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm"])["MetricAlarms"]
    return dict(found[0]) if found else None


def _alarm_resource(ctx: Context, desired: dict[str, Any], fresh: Callable[[], dict[str, Any]]) -> Resource:
    """`fresh()` rebuilds the alarm at apply time (dimension ids may be new since plan)."""
    cloudwatch = ctx.aws.client("cloudwatch")
    name = desired["AlarmName"]
    arn = f"arn:aws:cloudwatch:{ctx.aws.region}:{ctx.account_id}:alarm:{name}"

    def project(alarm: dict[str, Any]) -> dict[str, Any]:
        shape = {k: alarm.get(k) for k in ALARM_KEYS if k in desired}
        if "Metrics" in shape:  # CloudWatch echoes defaults (ReturnData, Label) we did not set
            keep = {m["Id"]: m for m in desired["Metrics"]}
            shape["Metrics"] = [{k: m.get(k) for k in keep.get(m["Id"], m)} for m in shape["Metrics"] or []]
        if "Threshold" in shape and shape["Threshold"] is not None:
            shape["Threshold"] = float(shape["Threshold"])
        return shape

    def put(_: Any = None) -> None:
        cloudwatch.put_metric_alarm(**fresh(), Tags=to_list(standard_tags(ctx.config, NAME)))

    return Resource(
        NAME,
        f"alarm {name}",
        exists=lambda: find_alarm(ctx, name) is not None,
        create=put,
        create_api="cloudwatch.put_metric_alarm",
        attributes=[
            Attribute(
                "settings",
                project(desired),
                lambda: project(find_alarm(ctx, name) or {}),
                put,
                matches=lambda want, have: canonical(want) == canonical(have),
                api="cloudwatch.put_metric_alarm",
            ),
            Attribute(
                "tags",
                standard_tags(ctx.config, NAME),
                lambda: from_list(cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"]),
                lambda v: cloudwatch.tag_resource(ResourceARN=arn, Tags=to_list(v)),
                matches=lambda want, have: want.items() <= (have or {}).items(),
                api="cloudwatch.tag_resource",
            ),
        ],
    )


def desired_budget(ctx: Context, tier: ComputeTier) -> dict[str, Any]:
    limit_usd = eur_to_usd(tier.monitoring.budget_eur)
    return {
        "BudgetName": budget_name(ctx.env),
        "BudgetLimit": {"Amount": f"{limit_usd:.2f}", "Unit": "USD"},
        "TimeUnit": "MONTHLY",
        "BudgetType": "COST",
    }


def desired_notifications(tier: ComputeTier) -> list[dict[str, Any]]:
    """ACTUAL spend above the warning and the limit. Subscribers: the SNS topic only (people subscribe to
    the topic), so there is nothing per-subscriber to compare."""
    warning_percent = round(100 * tier.monitoring.budget_warning_eur / tier.monitoring.budget_eur, 1)
    return [
        {
            "NotificationType": "ACTUAL",
            "ComparisonOperator": "GREATER_THAN",
            "Threshold": percent,
            "ThresholdType": "PERCENTAGE",
        }
        for percent in (warning_percent, 100.0)
    ]


def _budget(ctx: Context, tier: ComputeTier) -> Resource:
    budgets = ctx.aws.client("budgets")
    account, name = ctx.account_id, budget_name(ctx.env)
    desired = desired_budget(ctx, tier)

    def find() -> dict[str, Any] | None:
        try:
            return dict(budgets.describe_budget(AccountId=account, BudgetName=name)["Budget"])
        except budgets.exceptions.NotFoundException:
            return None

    def read_limit() -> dict[str, Any] | None:
        found = find()
        if not found:
            return None
        limit = found["BudgetLimit"]
        return {
            **{k: found.get(k) for k in ("BudgetName", "TimeUnit", "BudgetType")},
            "BudgetLimit": {"Amount": f"{float(limit['Amount']):.2f}", "Unit": limit["Unit"]},
        }

    def write_limit(budget: dict[str, Any]) -> None:
        if canonical(read_limit()) != canonical(budget):  # create already set it (moto lacks UpdateBudget)
            budgets.update_budget(AccountId=account, NewBudget=budget)

    def read_notifications() -> list[dict[str, Any]]:
        found = budgets.describe_notifications_for_budget(AccountId=account, BudgetName=name)["Notifications"]
        keys = ("NotificationType", "ComparisonOperator", "Threshold", "ThresholdType")
        return [{**{k: n.get(k) for k in keys}, "Threshold": float(n["Threshold"])} for n in found]

    def write_notifications(wanted: list[dict[str, Any]]) -> None:
        found = budgets.describe_notifications_for_budget(AccountId=account, BudgetName=name)["Notifications"]
        for notification in found:
            budgets.delete_notification(AccountId=account, BudgetName=name, Notification=notification)
        topic = [{"SubscriptionType": "SNS", "Address": topic_arn(ctx)}]
        for notification in wanted:
            budgets.create_notification(
                AccountId=account, BudgetName=name, Notification=notification, Subscribers=topic
            )

    return Resource(
        NAME,
        f"budget {name}",
        exists=lambda: find() is not None,
        create=lambda: budgets.create_budget(AccountId=account, Budget=desired),
        create_api="budgets.create_budget",
        attributes=[
            Attribute("limit", desired, read_limit, write_limit, api="budgets.update_budget"),
            Attribute(
                "notifications",
                desired_notifications(tier),
                read_notifications,
                write_notifications,
                api="budgets.delete_notification+create_notification",
            ),
        ],
    )


# ---------------------------------------------------------------------------------------------------------
# Service interface


def _alarm_resources(ctx: Context, tier: ComputeTier) -> list[Resource]:
    resources = [_alarm_resource(ctx, alarm, partial(_same, alarm)) for alarm in lambda_alarms(ctx)]
    if tier.compute.enabled:
        for index, alarm in enumerate(compute_alarms(ctx)):
            resources.append(_alarm_resource(ctx, alarm, partial(_compute_alarm, ctx, index)))
    return resources


def _same(alarm: dict[str, Any]) -> dict[str, Any]:
    return alarm


def _compute_alarm(ctx: Context, index: int) -> dict[str, Any]:
    """Rebuilt at apply time: the load balancer and file system ids exist only by then."""
    return compute_alarms(ctx)[index]


def _delete_alarm_actions(ctx: Context, names: list[str]) -> list[Action]:
    cloudwatch = ctx.aws.client("cloudwatch")
    # One call for all our alarms instead of one per name: every alarm name starts like this.
    prefix = alarm_name(ctx.env, "x").removesuffix("x")
    existing = {
        alarm["AlarmName"]: alarm
        for page in cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm"]
        )
        for alarm in page["MetricAlarms"]
    }
    actions = []
    for name in names:
        alarm = existing.get(name)
        if not alarm:
            continue
        tags = from_list(cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"])
        if is_managed(tags, ctx.env):
            actions.append(
                Action(
                    NAME,
                    "delete",
                    f"alarm {name}",
                    (),
                    (partial(cloudwatch.delete_alarms, AlarmNames=[name]),),
                )
            )
    return actions


COMPUTE_ALARMS = ("unhealthy-targets", "task-memory", "alb-5xx", "efs-size")


def plan(ctx: Context) -> list[Action]:
    tier = compute_tier(ctx.config)
    if not tier.monitoring.enabled:  # e.g. the moto-backed local stack
        return plan_destroy(ctx, force_data_loss=False)
    actions: list[Action] = []
    for resource in (_topic(ctx, tier), *_alarm_resources(ctx, tier), _budget(ctx, tier)):
        actions.extend(resource.plan())
    if not tier.compute.enabled:
        actions += _delete_alarm_actions(ctx, [alarm_name(ctx.env, a) for a in COMPUTE_ALARMS])
    return actions


def plan_destroy(ctx: Context, *, force_data_loss: bool) -> list[Action]:
    sns, budgets = ctx.aws.client("sns"), ctx.aws.client("budgets")
    names = [alarm_name(ctx.env, a) for a in COMPUTE_ALARMS] + [a["AlarmName"] for a in lambda_alarms(ctx)]
    actions = _delete_alarm_actions(ctx, names)
    try:
        budgets.describe_budget(AccountId=ctx.account_id, BudgetName=budget_name(ctx.env))
        actions.append(
            Action(
                NAME,
                "delete",
                f"budget {budget_name(ctx.env)}",
                (),
                (partial(budgets.delete_budget, AccountId=ctx.account_id, BudgetName=budget_name(ctx.env)),),
            )
        )
    except budgets.exceptions.NotFoundException:
        pass
    arn = topic_arn(ctx)
    try:
        tags = from_list(sns.list_tags_for_resource(ResourceArn=arn)["Tags"])
    except (sns.exceptions.NotFoundException, sns.exceptions.ResourceNotFoundException):
        tags = {}
    if is_managed(tags, ctx.env):
        actions.append(
            Action(
                NAME,
                "delete",
                f"sns-topic {topic_name(ctx.env)}",
                (),
                (partial(sns.delete_topic, TopicArn=arn),),
            )
        )
    return actions
