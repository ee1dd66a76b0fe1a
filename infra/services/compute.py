"""compute: the marimo server on ECS Fargate behind an ALB that signs users in with Okta.

Resources, in creation order: ECR repository (images pushed by `scripts/push-image`), CloudWatch log group
(30-day retention), ECS cluster, Fargate task definition (1 vCPU / 2 GB, port 7860, EFS access point at
`/app/scratch` with transit encryption, env vars naming the buckets, secrets from Secrets Manager, awslogs,
health check on `/health`), target group, ALB, HTTPS listener (authenticate-oidc, then forward) and HTTP
listener (redirect to HTTPS) — see `infra/services/compute_alb.py` —, the ECS service (deployment circuit breaker with
rollback, 100/200 % for zero-downtime deploys) and the DNS alias to the ALB.

Image changes register a new task-definition revision and point the service at it: one update in plan.
With `[compute] office_hours = true` the schedule service owns the service's desired count (it scales to
zero at night), so this service only sets it when creating the service.

moto (the local AWS) drops `deploymentConfiguration` and `healthCheckGracePeriodSeconds` of ECS services:
apply always sends them, and plan compares them only when the API reports them (real ECS always does).
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from infra import naming
from infra.config import ConfigError
from infra.engine import Action, Attribute, Call, Context, Resource, canonical
from infra.lookup import remember
from infra.services import compute_alb, efs, network
from infra.services.compute_settings import ComputeTier, compute_tier
from infra.services.log_groups import log_group
from infra.tags import MANAGED_BY, from_list, is_managed, standard_tags, to_list

NAME = "compute"
CONTAINER = "marimo"
PORT = network.TASK_PORT
SCRATCH_DIR = efs.SCRATCH_PATH
HEALTH_GRACE_SECONDS = 120
DEPLOYMENT = {
    "deploymentCircuitBreaker": {"enable": True, "rollback": True},
    "maximumPercent": 200,  # start the new task next to the old one...
    "minimumHealthyPercent": 100,  # ...and stop the old one only once the new one is healthy
}
KEEP_IMAGES = 10


def repository_name(env: str) -> str:
    return naming.name(env, NAME, "marimo")


def cluster_name(env: str) -> str:
    return naming.name(env, NAME, "cluster")


def family(env: str) -> str:
    return naming.name(env, NAME, "task")


def service_name(env: str) -> str:
    return naming.name(env, NAME, "service")


def log_group_name(env: str) -> str:
    """Under /ecs/: the Fargate execution role (iam service) may write to /ecs/mplat-<env>-* only."""
    return f"/ecs/{naming.name(env, NAME, 'marimo')}"


def ecs_tags(ctx: Context) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in sorted(standard_tags(ctx.config, NAME).items())]


def _subset(want: dict[str, str], have: dict[str, str] | None) -> bool:
    return want.items() <= (have or {}).items()


# ---------------------------------------------------------------------------------------------------------
# ECR, logs, cluster


def _repository(ctx: Context) -> Resource:
    ecr = ctx.aws.client("ecr")
    name = repository_name(ctx.env)
    lifecycle = {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"keep the last {KEEP_IMAGES} images",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": KEEP_IMAGES,
                },
                "action": {"type": "expire"},
            }
        ]
    }

    def find() -> dict[str, Any] | None:
        try:
            return dict(ecr.describe_repositories(repositoryNames=[name])["repositories"][0])
        except ecr.exceptions.RepositoryNotFoundException:
            return None

    def arn() -> str:
        return str(find()["repositoryArn"])  # type: ignore[index]

    def read_lifecycle() -> dict[str, Any] | None:
        try:
            return json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])
        except ecr.exceptions.LifecyclePolicyNotFoundException:
            return None

    return Resource(
        NAME,
        f"ecr-repository {name}",
        exists=lambda: find() is not None,
        create=lambda: ecr.create_repository(
            repositoryName=name,
            imageTagMutability="IMMUTABLE",
            imageScanningConfiguration={"scanOnPush": True},
            encryptionConfiguration={"encryptionType": "AES256"},
            tags=to_list(standard_tags(ctx.config, NAME)),
        ),
        create_api="ecr.create_repository",
        attributes=[
            # A tag names one image for good: the env's pinned commit cannot be re-pushed with other content.
            Attribute(
                "tag-mutability",
                "IMMUTABLE",
                lambda: (find() or {}).get("imageTagMutability"),
                lambda v: ecr.put_image_tag_mutability(repositoryName=name, imageTagMutability=v),
                api="ecr.put_image_tag_mutability",
            ),
            Attribute(
                "scan-on-push",
                True,
                lambda: (find() or {}).get("imageScanningConfiguration", {}).get("scanOnPush"),
                lambda v: ecr.put_image_scanning_configuration(
                    repositoryName=name, imageScanningConfiguration={"scanOnPush": v}
                ),
                api="ecr.put_image_scanning_configuration",
            ),
            Attribute(
                "lifecycle",
                lifecycle,
                read_lifecycle,
                lambda v: ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=json.dumps(v)),
                api="ecr.put_lifecycle_policy",
            ),
            Attribute(
                "tags",
                standard_tags(ctx.config, NAME),
                lambda: from_list(ecr.list_tags_for_resource(resourceArn=arn())["tags"]),
                lambda v: ecr.tag_resource(resourceArn=arn(), tags=to_list(v)),
                matches=_subset,
                api="ecr.tag_resource",
            ),
        ],
    )


def _log_group(ctx: Context, tier: ComputeTier) -> Resource:
    return log_group(ctx, NAME, log_group_name(ctx.env), tier.compute.log_retention_days)


def find_cluster(ctx: Context) -> dict[str, Any] | None:
    found = ctx.aws.client("ecs").describe_clusters(clusters=[cluster_name(ctx.env)], include=["TAGS"])[
        "clusters"
    ]
    return next((dict(c) for c in found if c["status"] == "ACTIVE"), None)


def _cluster(ctx: Context) -> Resource:
    ecs = ctx.aws.client("ecs")
    name = cluster_name(ctx.env)
    # Container Insights costs per metric; the alarms use the free AWS/ECS service metrics instead.
    settings = [{"name": "containerInsights", "value": "disabled"}]
    return Resource(
        NAME,
        f"ecs-cluster {name}",
        exists=lambda: find_cluster(ctx) is not None,
        create=lambda: ecs.create_cluster(clusterName=name, settings=settings, tags=ecs_tags(ctx)),
        create_api="ecs.create_cluster",
        attributes=[
            Attribute(
                "tags",
                standard_tags(ctx.config, NAME),
                lambda: {t["key"]: t["value"] for t in (find_cluster(ctx) or {}).get("tags", [])},
                lambda _: ecs.tag_resource(resourceArn=find_cluster(ctx)["clusterArn"], tags=ecs_tags(ctx)),  # type: ignore[index]
                matches=_subset,
                api="ecs.tag_resource",
            )
        ],
    )


# ---------------------------------------------------------------------------------------------------------
# Task definition


def alb_signer(ctx: Context) -> str:
    """The ARN prefix of this env's ALB, which signs `x-amzn-oidc-data` (checked by mplat.server.alb_gate)."""
    region, account = ctx.aws.region, ctx.account_id
    return (
        f"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{compute_alb.alb_name(ctx.env)}/"
    )


def image(ctx: Context, tier: ComputeTier) -> str:
    if tier.compute.image:
        return tier.compute.image
    registry = f"{ctx.account_id}.dkr.ecr.{ctx.aws.region}.amazonaws.com"
    return f"{registry}/{repository_name(ctx.env)}:{tier.compute.image_tag}"


def _secret_refs(ctx: Context, tier: ComputeTier) -> list[dict[str, str]]:
    """`[compute.secrets]` → ECS `secrets` (full ARNs: ECS needs them; a json key selects one field)."""
    sm = ctx.aws.client("secretsmanager")
    refs = []
    for variable, reference in tier.compute.secrets:
        secret_name, _, json_key = reference.partition(":")
        try:
            arn = sm.describe_secret(SecretId=secret_name)["ARN"]
        except sm.exceptions.ResourceNotFoundException:
            raise ConfigError(
                f"{ctx.config.path}: [compute.secrets] {variable} refers to secret {secret_name}, which does not "
                "exist: create it (aws secretsmanager create-secret) or remove the line"
            ) from None
        refs.append({"name": variable, "valueFrom": f"{arn}:{json_key}::" if json_key else arn})
    return refs


def task_definition(
    ctx: Context, tier: ComputeTier, *, file_system: str, access_point: str
) -> dict[str, Any]:
    """The registered shape of the task definition (what describe_task_definition returns, projected)."""
    env, account = ctx.env, ctx.account_id
    health = (
        'python -c "import urllib.request; '
        f"urllib.request.urlopen('http://127.0.0.1:{PORT}/health', timeout=4)\" || exit 1"
    )
    return {
        "family": family(env),
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": str(tier.compute.cpu),
        "memory": str(tier.compute.memory),
        "executionRoleArn": naming.role_arn(env, "fargate-execution", account),
        "taskRoleArn": naming.role_arn(env, "fargate-task", account),
        "containerDefinitions": [
            {
                "name": CONTAINER,
                "image": image(ctx, tier),
                "essential": True,
                "portMappings": [{"containerPort": PORT, "protocol": "tcp"}],
                "environment": [
                    {"name": "MPLAT_ENV", "value": env},
                    {"name": "RAW_BUCKET", "value": naming.raw_bucket(env, account)},
                    {"name": "DERIVED_BUCKET", "value": naming.derived_bucket(env, account)},
                    {"name": "SCRATCH_DIR", "value": SCRATCH_DIR},
                    # Behind the ALB: the server admits only requests carrying this ALB's signed sign-in header
                    # (the ARN's last part is a random id known once the ALB exists: the prefix names it).
                    {"name": "MPLAT_SERVER_AUTH", "value": "alb"},
                    {"name": "MPLAT_ALB_SIGNER", "value": alb_signer(ctx)},
                ],
                "secrets": _secret_refs(ctx, tier),
                "mountPoints": [{"sourceVolume": "scratch", "containerPath": SCRATCH_DIR, "readOnly": False}],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": log_group_name(env),
                        "awslogs-region": ctx.aws.region,
                        "awslogs-stream-prefix": CONTAINER,
                    },
                },
                "healthCheck": {
                    "command": ["CMD-SHELL", health],
                    "interval": 30,
                    "timeout": 5,
                    "retries": 3,
                    "startPeriod": 60,
                },
            }
        ],
        "volumes": [
            {
                "name": "scratch",
                "efsVolumeConfiguration": {
                    "fileSystemId": file_system,
                    "rootDirectory": "/",
                    "transitEncryption": "ENABLED",
                    "authorizationConfig": {"accessPointId": access_point, "iam": "ENABLED"},
                },
            }
        ],
    }


_CONTAINER_KEYS = (
    "name",
    "image",
    "essential",
    "portMappings",
    "environment",
    "secrets",
    "mountPoints",
    "logConfiguration",
    "healthCheck",
)


def _project(registered: dict[str, Any]) -> dict[str, Any]:
    """Keep the keys we set (AWS adds defaults such as cpu 0 and volumesFrom [])."""
    shape = {
        k: registered.get(k)
        for k in (
            "family",
            "requiresCompatibilities",
            "networkMode",
            "cpu",
            "memory",
            "executionRoleArn",
            "taskRoleArn",
            "volumes",
        )
    }
    shape["containerDefinitions"] = [
        {k: c.get(k, [] if k == "secrets" else None) for k in _CONTAINER_KEYS}
        for c in registered["containerDefinitions"]
    ]
    return shape


def latest_task_definition(ctx: Context) -> dict[str, Any] | None:
    """The highest ACTIVE revision of our family (sorted here: moto ignores `sort`)."""
    ecs = ctx.aws.client("ecs")
    arns: list[str] = []
    pages = ecs.get_paginator("list_task_definitions").paginate(familyPrefix=family(ctx.env), status="ACTIVE")
    for page in pages:
        arns += [
            a for a in page["taskDefinitionArns"] if a.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family(ctx.env)
        ]
    if not arns:
        return None
    latest = max(arns, key=lambda arn: int(arn.rsplit(":", 1)[-1]))
    found = ecs.describe_task_definition(taskDefinition=latest, include=["TAGS"])
    return {**found["taskDefinition"], "tags": found.get("tags", [])}


def _task_definition(ctx: Context, tier: ComputeTier) -> Resource:
    ecs = ctx.aws.client("ecs")

    def desired(*, at_apply: bool) -> dict[str, Any]:
        if at_apply:
            return task_definition(
                ctx, tier, file_system=efs.file_system_id(ctx), access_point=efs.access_point_id(ctx)
            )
        return task_definition(
            ctx,
            tier,
            file_system=efs.cached_file_system_id(ctx) or "(efs file system)",
            access_point=efs.cached_access_point_id(ctx) or "(efs access point)",
        )

    def register(_: Any = None) -> None:
        want = desired(at_apply=True)
        current = latest_task_definition(ctx)
        if current and canonical(_project(current)) == canonical(want):
            return  # both the image and the rest drifted: the first write already registered it
        arn = ecs.register_task_definition(**want, tags=ecs_tags(ctx))["taskDefinition"]["taskDefinitionArn"]
        service = find_service(ctx)
        if service:  # roll the running service onto the new revision (circuit breaker rolls back on failure)
            ecs.update_service(
                cluster=cluster_name(ctx.env), service=service_name(ctx.env), taskDefinition=arn
            )

    plan_desired = desired(at_apply=False)
    register_api = "ecs.register_task_definition+update_service"  # the service rolls onto the new revision

    def split(shape: dict[str, Any] | None) -> tuple[str | None, dict[str, Any] | None]:
        """(image, everything else): an image change is reported on its own."""
        if shape is None:
            return None, None
        containers = [{**c, "image": None} for c in shape["containerDefinitions"]]
        return shape["containerDefinitions"][0]["image"], {**shape, "containerDefinitions": containers}

    def read(part: int) -> Any:
        current = latest_task_definition(ctx)
        return split(_project(current) if current else None)[part]

    return Resource(
        NAME,
        f"ecs-task-definition {family(ctx.env)}",
        exists=lambda: latest_task_definition(ctx) is not None,
        create=register,
        create_api=register_api,
        attributes=[
            Attribute("image", split(plan_desired)[0], lambda: read(0), register, api=register_api),
            Attribute("definition", split(plan_desired)[1], lambda: read(1), register, api=register_api),
            Attribute(
                "tags",
                standard_tags(ctx.config, NAME),
                lambda: {t["key"]: t["value"] for t in (latest_task_definition(ctx) or {}).get("tags", [])},
                lambda _: ecs.tag_resource(
                    resourceArn=(latest_task_definition(ctx) or {})["taskDefinitionArn"], tags=ecs_tags(ctx)
                ),
                matches=_subset,
                api="ecs.tag_resource",
            ),
        ],
    )


# ---------------------------------------------------------------------------------------------------------
# Service


def find_service(ctx: Context) -> dict[str, Any] | None:
    ecs = ctx.aws.client("ecs")
    if not remember(ctx.aws, ("ecs-cluster",), lambda: (find_cluster(ctx) or {}).get("clusterArn")):
        return None
    found = ecs.describe_services(
        cluster=cluster_name(ctx.env), services=[service_name(ctx.env)], include=["TAGS"]
    )
    return next((dict(s) for s in found["services"] if s["status"] == "ACTIVE"), None)


def service_network(ctx: Context, tier: ComputeTier) -> dict[str, Any]:
    tier_name = network.task_subnet_tier(tier.network)
    try:
        subnets = sorted(network.subnet_ids(ctx, tier_name))
    except RuntimeError:
        subnets = [f"({tier_name} subnets)"]
    return {
        "awsvpcConfiguration": {
            "subnets": subnets,
            "securityGroups": [network.security_group_id(ctx, "task") or "(task security group)"],
            # Without a NAT gateway the task pulls its image over the internet gateway: it needs a public IP.
            # Its security group admits only the ALB, so nothing else can reach it.
            "assignPublicIp": "DISABLED" if tier.network.tasks_in_private_subnets else "ENABLED",
        }
    }


def _service(ctx: Context, tier: ComputeTier) -> Resource:
    ecs = ctx.aws.client("ecs")
    cluster, name = cluster_name(ctx.env), service_name(ctx.env)

    def load_balancers() -> list[dict[str, Any]]:
        arn = compute_alb.target_group_arn(ctx) or "(target group)"
        return [{"targetGroupArn": arn, "containerName": CONTAINER, "containerPort": PORT}]

    def create() -> None:
        definition = latest_task_definition(ctx)
        ecs.create_service(
            cluster=cluster,
            serviceName=name,
            taskDefinition=definition["taskDefinitionArn"],  # type: ignore[index]
            desiredCount=tier.compute.desired_count,
            launchType="FARGATE",
            platformVersion="LATEST",
            networkConfiguration=service_network(ctx, tier),
            loadBalancers=load_balancers(),
            healthCheckGracePeriodSeconds=HEALTH_GRACE_SECONDS,
            deploymentConfiguration=DEPLOYMENT,
            propagateTags="SERVICE",
            enableECSManagedTags=True,
            tags=ecs_tags(ctx),
        )

    def read(key: str) -> Any:
        return (find_service(ctx) or {}).get(key)

    def update(**changes: Any) -> None:
        ecs.update_service(cluster=cluster, service=name, **changes)

    def read_deployment() -> dict[str, Any] | None:
        service = find_service(ctx) or {}
        if "deploymentConfiguration" not in service:
            return None  # not reported (moto): see the module docstring
        reported = service["deploymentConfiguration"]
        return {
            "deploymentConfiguration": {k: reported.get(k) for k in DEPLOYMENT},
            "healthCheckGracePeriodSeconds": service.get("healthCheckGracePeriodSeconds"),
        }

    attributes = [
        Attribute(
            "task-definition",
            "latest",
            lambda: (
                "latest"
                if read("taskDefinition") == (latest_task_definition(ctx) or {}).get("taskDefinitionArn")
                else "older"
            ),
            lambda _: update(taskDefinition=latest_task_definition(ctx)["taskDefinitionArn"]),  # type: ignore[index]
            api="ecs.update_service",
        ),
        Attribute(
            "network",
            service_network(ctx, tier),
            lambda: _sorted_network(read("networkConfiguration")),
            lambda _: update(networkConfiguration=service_network(ctx, tier)),
            api="ecs.update_service",
        ),
        Attribute(
            "load-balancer",
            load_balancers(),
            lambda: read("loadBalancers"),
            lambda _: update(loadBalancers=load_balancers()),
            api="ecs.update_service",
        ),
        Attribute(
            "deployment",
            {"deploymentConfiguration": DEPLOYMENT, "healthCheckGracePeriodSeconds": HEALTH_GRACE_SECONDS},
            read_deployment,
            lambda v: update(**v),
            matches=lambda want, have: have is None or canonical(want) == canonical(have),
            api="ecs.update_service",
        ),
        Attribute(
            "tags",
            standard_tags(ctx.config, NAME),
            lambda: {t["key"]: t["value"] for t in read("tags") or []},
            lambda _: ecs.tag_resource(resourceArn=find_service(ctx)["serviceArn"], tags=ecs_tags(ctx)),  # type: ignore[index]
            matches=_subset,
            api="ecs.tag_resource",
        ),
    ]
    if tier.compute.office_hours is None:  # otherwise the schedule service owns the desired count
        attributes.insert(
            0,
            Attribute(
                "desired-count",
                tier.compute.desired_count,
                lambda: read("desiredCount"),
                lambda v: update(desiredCount=v),
                api="ecs.update_service",
            ),
        )
    return Resource(
        NAME,
        f"ecs-service {name}",
        exists=lambda: find_service(ctx) is not None,
        create=create,
        attributes=attributes,
        create_api="ecs.create_service",
    )


def _sorted_network(config: dict[str, Any] | None) -> dict[str, Any] | None:
    if not config:
        return None
    vpc = config["awsvpcConfiguration"]
    return {
        "awsvpcConfiguration": {
            "subnets": sorted(vpc.get("subnets", [])),
            "securityGroups": sorted(vpc.get("securityGroups", [])),
            "assignPublicIp": vpc.get("assignPublicIp", "DISABLED"),
        }
    }


def wake(ctx: Context) -> str:
    """Set the service to its configured task count now (the evening schedule scales it down again)."""
    tier = compute_tier(ctx.config)
    if not tier.compute.enabled or not find_service(ctx):
        raise ValueError(
            f"the compute tier of {ctx.env} is not deployed: set [compute] enabled = true and apply"
        )
    ctx.aws.client("ecs").update_service(
        cluster=cluster_name(ctx.env), service=service_name(ctx.env), desiredCount=tier.compute.desired_count
    )
    return f"{service_name(ctx.env)}: desired count set to {tier.compute.desired_count}; ready in ~2 minutes."


# ---------------------------------------------------------------------------------------------------------
# Service interface


def resources(ctx: Context, tier: ComputeTier) -> list[Resource]:
    return [
        _repository(ctx),
        _log_group(ctx, tier),
        _cluster(ctx),
        _task_definition(ctx, tier),
        compute_alb.target_group_resource(ctx),
        compute_alb.load_balancer_resource(ctx),
        compute_alb.https_listener_resource(ctx, tier),
        compute_alb.http_listener_resource(ctx),
        _service(ctx, tier),
        compute_alb.alias_resource(ctx),
    ]


def plan(ctx: Context) -> list[Action]:
    tier = compute_tier(ctx.config)
    if not tier.compute.enabled:  # switched off: remove the tier, but keep a repository that holds images
        return [a for a in destroy_actions(ctx, force_data_loss=False) if not a.refused]
    actions: list[Action] = []
    for resource in resources(ctx, tier):
        actions.extend(resource.plan())
    return actions


def rotate_oidc_secret_actions(ctx: Context) -> list[Action]:
    tier = compute_tier(ctx.config)
    if not tier.compute.enabled:
        raise ValueError(f"--rotate-oidc-secret: the compute tier is off in {ctx.config.path}")
    return [compute_alb.rotate_oidc_secret_action(ctx, tier)]


def destroy_actions(ctx: Context, *, force_data_loss: bool) -> list[Action]:
    ecs, ecr, logs = ctx.aws.client("ecs"), ctx.aws.client("ecr"), ctx.aws.client("logs")
    env = ctx.env
    actions: list[Action] = []
    service = find_service(ctx)
    if service and is_managed({t["key"]: t["value"] for t in service.get("tags", [])}, env):

        def delete_service() -> None:
            ecs.update_service(cluster=cluster_name(env), service=service_name(env), desiredCount=0)
            ecs.delete_service(cluster=cluster_name(env), service=service_name(env), force=True)
            ecs.get_waiter("services_inactive").wait(cluster=cluster_name(env), services=[service_name(env)])

        step = Call("ecs.update_service+delete_service", delete_service)
        actions.append(Action(NAME, "delete", f"ecs-service {service_name(env)}", (), (step,)))
    actions += compute_alb.destroy_actions(ctx)
    definition = latest_task_definition(ctx)
    if definition and is_managed({t["key"]: t["value"] for t in definition.get("tags", [])}, env):

        def deregister_all() -> None:
            pages = ecs.get_paginator("list_task_definitions").paginate(
                familyPrefix=family(env), status="ACTIVE"
            )
            for page in pages:
                for arn in page["taskDefinitionArns"]:
                    ecs.deregister_task_definition(taskDefinition=arn)

        step = Call("ecs.deregister_task_definition", deregister_all)
        actions.append(Action(NAME, "delete", f"ecs-task-definition {family(env)}", (), (step,)))
    cluster = find_cluster(ctx)
    if cluster and is_managed({t["key"]: t["value"] for t in cluster.get("tags", [])}, env):
        actions.append(
            Action(
                NAME,
                "delete",
                f"ecs-cluster {cluster_name(env)}",
                (),
                (partial(ecs.delete_cluster, cluster=cluster_name(env)),),
            )
        )
    log_arn = f"arn:aws:logs:{ctx.aws.region}:{ctx.account_id}:log-group:{log_group_name(env)}"
    groups = logs.describe_log_groups(logGroupNamePrefix=log_group_name(env))["logGroups"]
    if any(g["logGroupName"] == log_group_name(env) for g in groups) and is_managed(
        logs.list_tags_for_resource(resourceArn=log_arn).get("tags", {}), env
    ):
        actions.append(
            Action(
                NAME,
                "delete",
                f"log-group {log_group_name(env)}",
                (),
                (partial(logs.delete_log_group, logGroupName=log_group_name(env)),),
            )
        )
    try:
        repo = ecr.describe_repositories(repositoryNames=[repository_name(env)])["repositories"][0]
    except ecr.exceptions.RepositoryNotFoundException:
        repo = None
    if (
        repo
        and from_list(ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]).get("ManagedBy")
        == MANAGED_BY
    ):
        images = ecr.list_images(repositoryName=repository_name(env), maxResults=1)["imageIds"]
        resource = f"ecr-repository {repository_name(env)}"
        if images and not force_data_loss:
            actions.append(
                Action(NAME, "delete", resource, refused="holds images; pass --force-data-loss to delete it")
            )
        else:
            actions.append(
                Action(
                    NAME,
                    "delete",
                    resource,
                    (),
                    (partial(ecr.delete_repository, repositoryName=repository_name(env), force=True),),
                )
            )
    return actions


def plan_destroy(ctx: Context, *, force_data_loss: bool) -> list[Action]:
    return destroy_actions(ctx, force_data_loss=force_data_loss)
