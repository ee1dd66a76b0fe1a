"""Issue acceptance for the compute tier against moto server: one dev deployment (applied once for the module,
the tests read it in order, the last one destroys it).

What moto does not keep (NOTES §4): ECS `deploymentConfiguration` and `healthCheckGracePeriodSeconds`. The
values apply sends are recorded from the real CreateService request (a botocore hook on the clients the CLI
builds) and asserted here; everything else is read back from moto.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto_control import moto_api

from .conftest import (
    ACCOUNT,
    DOMAIN,
    OKTA_CLIENT_ID,
    OKTA_CLIENT_SECRET,
    REGION,
    REPO_ROOT,
    ZONE,
    copy_envs,
)

pytestmark = pytest.mark.xdist_group("infra_compute_deploy")

COMPUTE_TIER = "network,efs,dns,compute,schedule,monitoring"
# `site` needs CloudFront APIs moto lacks (the infra-core tests leave it out the same way).
ALL_BUT_SITE = "storage,iam,secrets,outputs," + COMPUTE_TIER
STANDARD_TAGS = {
    "Project": "mplat",
    "Environment": "dev",
    "ManagedBy": "mplat-infra",
    "Owner": "data-team",
    "CostCenter": "platform",
    "IaC": "boto3",
    "Repository": "mplat",
}
ROTATED_SECRET = "okta-rotated-7d2e-never-print-me"


@dataclass
class Deployment:
    envs_dir: Path
    chalice_config: Path
    outputs: list[str] = field(default_factory=list)  # every stdout+stderr+log text, for the secret check
    requests: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # params sent, by operation

    def run(self, *argv: str) -> tuple[int, str]:
        from infra.cli import main

        args = [*argv, "--envs-dir", str(self.envs_dir)]
        if argv[0] in ("plan", "apply", "destroy"):
            args += ["--chalice-config", str(self.chalice_config)]
        out, err, log = io.StringIO(), io.StringIO(), io.StringIO()
        handler = logging.StreamHandler(log)
        root = logging.getLogger()
        root.addHandler(handler)
        old_level = root.level
        root.setLevel(logging.INFO)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(args)
        finally:
            root.removeHandler(handler)
            root.setLevel(old_level)
        self.outputs.append(out.getvalue() + err.getvalue() + log.getvalue())
        return code, out.getvalue() + err.getvalue()

    def edit_env(self, **compute: Any) -> None:
        """Change keys of `[compute]` in the copied dev.toml."""
        path = self.envs_dir / "dev.toml"
        text = path.read_text(encoding="utf-8")
        for key, value in compute.items():
            literal = json.dumps(value) if not isinstance(value, bool) else str(value).lower()
            text, count = re.subn(rf"(?m)^{key} = .*$", f"{key} = {literal}", text)
            assert count == 1, key
        path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def deployed(
    moto_server: str, tmp_path_factory: pytest.TempPathFactory, repo_root: Path
) -> Iterator[Deployment]:
    """The default dev config applied once on an empty account (after the operator's two steps: the
    hosted zone exists, the Okta client secret is set)."""
    import moto.settings

    from infra.aws import Aws

    tmp = tmp_path_factory.mktemp("compute")
    envs = copy_envs(tmp / "envs")
    deployment = Deployment(envs, tmp / "chalice" / ".chalice" / "config.json")

    original_client = Aws.client

    def recording_client(self: Aws, service: str) -> Any:
        """Record the parameters of calls moto drops, as they leave botocore (the real request)."""
        client = original_client(self, service)
        if service == "ecs" and not getattr(client, "_mplat_recording", False):

            def record(params: dict[str, Any], model: Any, **_: Any) -> None:
                deployment.requests.setdefault(model.name, []).append(params)

            client.meta.events.register("provide-client-params.ecs.*", record)
            client._mplat_recording = True
        return client

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(moto.settings, "ACM_VALIDATION_WAIT", 0)
        mp.setattr(Aws, "client", recording_client)
        moto_api(moto_server, "/moto-api/reset")
        for key in list(os.environ):
            if key.startswith("AWS_"):
                mp.delenv(key)
        for key, value in {
            "AWS_ENDPOINT_URL": moto_server,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }.items():
            mp.setenv(key, value)
        boto3.client("route53").create_hosted_zone(Name=ZONE, CallerReference="mplat-test")
        boto3.client("secretsmanager").create_secret(
            Name="mplat/dev/okta/client",
            SecretString=json.dumps({"client_id": OKTA_CLIENT_ID, "client_secret": OKTA_CLIENT_SECRET}),
        )
        code, out = deployment.run("apply", "--env", "dev", "--only", ALL_BUT_SITE, "--yes")
        assert code == 0, out
        deployment.outputs.append("APPLY:" + out)
        yield deployment
        moto_api(moto_server, "/moto-api/reset")


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def elb_listener(port: int) -> dict[str, Any]:
    elb = client("elbv2")
    lb = elb.describe_load_balancers(Names=["mplat-dev-compute-alb"])["LoadBalancers"][0]
    listeners = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    return next(item for item in listeners if item["Port"] == port)


def sg_by_name(name: str) -> dict[str, Any]:
    found = client("ec2").describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])
    (group,) = found["SecurityGroups"]
    return group


def created(deployment: Deployment) -> list[tuple[str, str]]:
    """(service, resource) of every `+ create` line apply printed."""
    apply_out = next(o for o in deployment.outputs if o.startswith("APPLY:"))
    return [(m.group(1), m.group(2)) for m in re.finditer(r"(?m)^\+ create (\S+)\s+(.+)$", apply_out)]


# ---------------------------------------------------------------------------------------------------------


def test_apply_on_empty_account_then_plan_is_clean(deployed: Deployment) -> None:
    code, out = deployed.run("plan", "--env", "dev", "--only", ALL_BUT_SITE)
    assert code == 0, out
    assert "No changes" in out
    services = {service for service, _ in created(deployed)}
    assert set(COMPUTE_TIER.split(",")) <= services


def test_https_listener_authenticates_with_okta_then_forwards(deployed: Deployment) -> None:
    listener = elb_listener(443)
    assert listener["Protocol"] == "HTTPS"
    assert listener["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    cert = client("acm").describe_certificate(CertificateArn=listener["Certificates"][0]["CertificateArn"])
    assert (cert["Certificate"]["DomainName"], cert["Certificate"]["Status"]) == (DOMAIN, "ISSUED")

    oidc, forward = sorted(listener["DefaultActions"], key=lambda a: a["Order"])
    assert oidc["Type"] == "authenticate-oidc" and forward["Type"] == "forward"
    config = oidc["AuthenticateOidcConfig"]
    assert config["Issuer"] == "https://example.okta.com/oauth2/default"
    assert config["AuthorizationEndpoint"] == "https://example.okta.com/oauth2/default/v1/authorize"
    assert config["TokenEndpoint"] == "https://example.okta.com/oauth2/default/v1/token"
    assert config["UserInfoEndpoint"] == "https://example.okta.com/oauth2/default/v1/userinfo"
    assert config["ClientId"] == OKTA_CLIENT_ID
    assert config["OnUnauthenticatedRequest"] == "authenticate"
    assert "openid" in config["Scope"].split()
    # moto echoes the stored secret (AWS does not): it is the value from Secrets Manager.
    assert config["ClientSecret"] == OKTA_CLIENT_SECRET

    tg = client("elbv2").describe_target_groups(Names=["mplat-dev-compute-tg"])["TargetGroups"][0]
    assert forward["TargetGroupArn"] == tg["TargetGroupArn"]
    assert (tg["Port"], tg["TargetType"], tg["HealthCheckPath"]) == (7860, "ip", "/health")
    assert tg["Matcher"] == {"HttpCode": "200"}

    record = client("route53").list_resource_record_sets(
        HostedZoneId=client("route53").list_hosted_zones()["HostedZones"][0]["Id"],
        StartRecordName=DOMAIN,
        StartRecordType="A",
        MaxItems="1",
    )["ResourceRecordSets"][0]
    lb = client("elbv2").describe_load_balancers(Names=["mplat-dev-compute-alb"])["LoadBalancers"][0]
    assert record["Name"] == DOMAIN + "."
    assert record["AliasTarget"]["DNSName"].rstrip(".").lower() == lb["DNSName"].lower()


def test_http_redirects_to_https(deployed: Deployment) -> None:
    listener = elb_listener(80)
    assert listener["Protocol"] == "HTTP"
    (action,) = listener["DefaultActions"]
    assert action["Type"] == "redirect"
    redirect = action["RedirectConfig"]
    assert (redirect["Protocol"], redirect["Port"], redirect["StatusCode"]) == ("HTTPS", "443", "HTTP_301")


def test_task_definition_mounts_the_efs_access_point_with_transit_encryption(deployed: Deployment) -> None:
    ecs, efs = client("ecs"), client("efs")
    service = ecs.describe_services(
        cluster="mplat-dev-compute-cluster", services=["mplat-dev-compute-service"]
    )
    task = ecs.describe_task_definition(taskDefinition=service["services"][0]["taskDefinition"])[
        "taskDefinition"
    ]
    fs = efs.describe_file_systems(CreationToken="mplat-dev-efs-scratch")["FileSystems"][0]
    assert fs["Encrypted"] is True
    (point,) = efs.describe_access_points(FileSystemId=fs["FileSystemId"])["AccessPoints"]
    assert point["RootDirectory"]["Path"] == "/app/scratch"
    assert point["PosixUser"] == {"Uid": 1000, "Gid": 1000}

    (volume,) = task["volumes"]
    efs_volume = volume["efsVolumeConfiguration"]
    assert efs_volume["fileSystemId"] == fs["FileSystemId"]
    assert efs_volume["transitEncryption"] == "ENABLED"
    assert efs_volume["authorizationConfig"] == {"accessPointId": point["AccessPointId"], "iam": "ENABLED"}

    (container,) = task["containerDefinitions"]
    assert container["mountPoints"] == [
        {"sourceVolume": volume["name"], "containerPath": "/app/scratch", "readOnly": False}
    ]
    assert (task["cpu"], task["memory"], task["requiresCompatibilities"]) == ("1024", "2048", ["FARGATE"])
    assert container["portMappings"][0]["containerPort"] == 7860
    pinned = tomllib.loads((REPO_ROOT / "infra" / "envs" / "dev.toml").read_text())["compute"]["image_tag"]
    assert container["image"] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/mplat-dev-compute-marimo:{pinned}"
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env == {
        "MPLAT_ENV": "dev",
        "RAW_BUCKET": f"mplat-dev-storage-raw-{ACCOUNT}",
        "DERIVED_BUCKET": f"mplat-dev-storage-derived-{ACCOUNT}",
        "SCRATCH_DIR": "/app/scratch",
        "MPLAT_SERVER_AUTH": "alb",
        "MPLAT_ALB_SIGNER": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/mplat-dev-compute-alb/",
    }
    assert "/health" in " ".join(container["healthCheck"]["command"])
    logs = container["logConfiguration"]
    assert (
        logs["logDriver"] == "awslogs" and logs["options"]["awslogs-group"] == "/ecs/mplat-dev-compute-marimo"
    )
    group = client("logs").describe_log_groups(logGroupNamePrefix="/ecs/mplat-dev-compute-marimo")[
        "logGroups"
    ][0]
    assert group["retentionInDays"] == 30
    assert task["executionRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/mplat-dev-iam-fargate-execution-role"
    assert task["taskRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/mplat-dev-iam-fargate-task-role"

    policy = json.loads(efs.describe_file_system_policy(FileSystemId=fs["FileSystemId"])["Policy"])
    deny = next(s for s in policy["Statement"] if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_security_groups_chain_alb_to_task_to_efs(deployed: Deployment) -> None:
    alb, task, efs_sg = (sg_by_name(f"mplat-dev-network-{r}-sg") for r in ("alb", "task", "efs"))

    def rules(group: dict[str, Any]) -> list[tuple[int, str]]:
        found = []
        for perm in group["IpPermissions"]:
            found += [(perm["FromPort"], r["CidrIp"]) for r in perm.get("IpRanges", [])]
            found += [(perm["FromPort"], p["GroupId"]) for p in perm.get("UserIdGroupPairs", [])]
        return sorted(found)

    assert rules(alb) == [(80, "0.0.0.0/0"), (443, "0.0.0.0/0")]
    assert rules(task) == [(7860, alb["GroupId"])]  # only the ALB's group, no CIDR
    assert rules(efs_sg) == [(2049, task["GroupId"])]

    service = client("ecs").describe_services(
        cluster="mplat-dev-compute-cluster", services=["mplat-dev-compute-service"]
    )["services"][0]
    vpc = service["networkConfiguration"]["awsvpcConfiguration"]
    assert vpc["securityGroups"] == [task["GroupId"]]
    assert vpc["assignPublicIp"] == "ENABLED"  # no NAT by default: public subnets, ALB-only group
    lb = client("elbv2").describe_load_balancers(Names=["mplat-dev-compute-alb"])["LoadBalancers"][0]
    assert lb["SecurityGroups"] == [alb["GroupId"]]
    fs = client("efs").describe_file_systems(CreationToken="mplat-dev-efs-scratch")["FileSystems"][0]
    targets = client("efs").describe_mount_targets(FileSystemId=fs["FileSystemId"])["MountTargets"]
    assert len(targets) == 2
    for target in targets:
        groups = client("efs").describe_mount_target_security_groups(MountTargetId=target["MountTargetId"])
        assert groups["SecurityGroups"] == [efs_sg["GroupId"]]
    endpoints = client("ec2").describe_vpc_endpoints()["VpcEndpoints"]
    assert [e["ServiceName"] for e in endpoints] == [f"com.amazonaws.{REGION}.s3"]
    assert client("ec2").describe_nat_gateways()["NatGateways"] == []


def test_service_deploys_with_circuit_breaker_and_zero_downtime(deployed: Deployment) -> None:
    service = client("ecs").describe_services(
        cluster="mplat-dev-compute-cluster", services=["mplat-dev-compute-service"], include=["TAGS"]
    )["services"][0]
    assert (service["launchType"], service["desiredCount"]) == ("FARGATE", 1)
    (lb,) = service["loadBalancers"]
    assert (lb["containerName"], lb["containerPort"]) == ("marimo", 7860)
    # moto drops these: check what the CreateService request carried.
    (sent,) = deployed.requests["CreateService"]
    assert sent["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }
    assert sent["healthCheckGracePeriodSeconds"] >= 60


def _tags_of_everything() -> dict[str, dict[str, str]]:
    """resource name → tags, for every taggable resource the compute tier creates."""
    ec2, efs, elb = client("ec2"), client("efs"), client("elbv2")
    found: dict[str, dict[str, str]] = {}

    def kv(items: list[dict[str, str]], key: str = "Key", value: str = "Value") -> dict[str, str]:
        return {i[key]: i[value] for i in items}

    for describe, key in (
        ("describe_vpcs", "Vpcs"),
        ("describe_subnets", "Subnets"),
        ("describe_internet_gateways", "InternetGateways"),
        ("describe_route_tables", "RouteTables"),
        ("describe_security_groups", "SecurityGroups"),
        ("describe_vpc_endpoints", "VpcEndpoints"),
    ):
        for item in getattr(ec2, describe)()[key]:
            tags = kv(item.get("Tags", []))
            if "Name" in tags:  # the default VPC's objects carry no Name
                found[tags["Name"]] = tags
            elif tags.get("ManagedBy"):
                raise AssertionError(f"{describe}: a managed object without a Name tag: {item}")
    fs = efs.describe_file_systems(CreationToken="mplat-dev-efs-scratch")["FileSystems"][0]
    found[fs["Name"]] = kv(fs["Tags"])
    for point in efs.describe_access_points(FileSystemId=fs["FileSystemId"])["AccessPoints"]:
        found[kv(point["Tags"])["Name"]] = kv(point["Tags"])
    acm = client("acm")
    for cert in acm.list_certificates()["CertificateSummaryList"]:
        found[cert["DomainName"]] = kv(
            acm.list_tags_for_certificate(CertificateArn=cert["CertificateArn"])["Tags"]
        )
    ecr = client("ecr")
    repo = ecr.describe_repositories()["repositories"][0]
    found[repo["repositoryName"]] = kv(ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"])
    found["/ecs/mplat-dev-compute-marimo"] = client("logs").list_tags_for_resource(
        resourceArn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/mplat-dev-compute-marimo"
    )["tags"]
    ecs = client("ecs")
    cluster = ecs.describe_clusters(clusters=["mplat-dev-compute-cluster"], include=["TAGS"])["clusters"][0]
    found[cluster["clusterName"]] = kv(cluster["tags"], "key", "value")
    service = ecs.describe_services(
        cluster=cluster["clusterName"], services=["mplat-dev-compute-service"], include=["TAGS"]
    )
    found["mplat-dev-compute-service"] = kv(service["services"][0]["tags"], "key", "value")
    task = ecs.describe_task_definition(taskDefinition="mplat-dev-compute-task", include=["TAGS"])
    found["mplat-dev-compute-task"] = kv(task["tags"], "key", "value")
    lb = elb.describe_load_balancers(Names=["mplat-dev-compute-alb"])["LoadBalancers"][0]
    tg = elb.describe_target_groups(Names=["mplat-dev-compute-tg"])["TargetGroups"][0]
    listeners = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    arns = {"mplat-dev-compute-alb": lb["LoadBalancerArn"], "mplat-dev-compute-tg": tg["TargetGroupArn"]}
    arns |= {f"mplat-dev-compute-alb:{item['Port']}": item["ListenerArn"] for item in listeners}
    for name, arn in arns.items():
        found[name] = kv(elb.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"])
    scheduler = client("scheduler")
    group = scheduler.get_schedule_group(Name="mplat-dev-schedule-group")
    found["mplat-dev-schedule-group"] = kv(scheduler.list_tags_for_resource(ResourceArn=group["Arn"])["Tags"])
    found["mplat-dev-schedule-role"] = kv(
        client("iam").list_role_tags(RoleName="mplat-dev-schedule-role")["Tags"]
    )
    sns = client("sns")
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:mplat-dev-monitoring-alarms"
    found["mplat-dev-monitoring-alarms"] = kv(sns.list_tags_for_resource(ResourceArn=topic)["Tags"])
    cloudwatch = client("cloudwatch")
    for alarm in cloudwatch.describe_alarms()["MetricAlarms"]:
        found[alarm["AlarmName"]] = kv(
            cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
        )
    return found


def test_every_compute_resource_is_named_and_tagged(deployed: Deployment) -> None:
    found = _tags_of_everything()
    expected_names = {
        *(f"mplat-dev-network-{n}" for n in ("vpc", "igw", "public-rt", "private-rt", "s3-endpoint")),
        *(f"mplat-dev-network-{t}-{z}" for t in ("public", "private") for z in "ab"),
        *(f"mplat-dev-network-{r}-sg" for r in ("alb", "task", "efs")),
        "mplat-dev-efs-scratch",
        "mplat-dev-efs-scratch-ap",
        DOMAIN,
        *(f"mplat-dev-compute-{n}" for n in ("marimo", "cluster", "service", "task", "alb", "tg")),
        "/ecs/mplat-dev-compute-marimo",
        "mplat-dev-compute-alb:80",
        "mplat-dev-compute-alb:443",
        "mplat-dev-schedule-group",
        "mplat-dev-schedule-role",
        "mplat-dev-monitoring-alarms",
        *(
            f"mplat-dev-monitoring-{a}"
            for a in (
                "unhealthy-targets",
                "task-memory",
                "alb-5xx",
                "efs-size",
                "ingest-grid-prices-errors",
                "ingest-meter-readings-errors",
                "transform-raw-errors",
            )
        ),
    }
    missing = expected_names - set(found)
    assert not missing, f"not found: {sorted(missing)}"
    for name in expected_names:
        tags = found[name]
        component = tags.get("Component")
        assert {k: tags.get(k) for k in STANDARD_TAGS} == STANDARD_TAGS, name
        assert component in {"network", "efs", "dns", "compute", "schedule", "monitoring"}, name
        if name != DOMAIN:  # a certificate is named by its domain
            bare = name.removeprefix("/ecs/")  # ECS task log groups live under /ecs/
            assert bare.startswith(f"mplat-dev-{component}-"), f"{name} is not mplat-dev-{component}-..."


def test_desired_count_change_is_one_update(deployed: Deployment) -> None:
    deployed.edit_env(desired_count=2)
    try:
        code, out = deployed.run("plan", "--env", "dev", "--only", COMPUTE_TIER)
    finally:
        deployed.edit_env(desired_count=1)
    assert code == 2
    changes = [line for line in out.splitlines() if line[:1] in "+~-!"]
    # Office hours on (the dev default): the morning schedule carries the count.
    assert changes == ["~ update schedule  schedule mplat-dev-schedule-start (target)"], out


def test_image_change_is_one_update_and_apply_rolls_the_service(deployed: Deployment) -> None:
    assert client("ecr").describe_repositories()["repositories"][0]["imageTagMutability"] == "IMMUTABLE"
    deployed.edit_env(image_tag="0123456789ab")
    code, out = deployed.run("plan", "--env", "dev", "--only", COMPUTE_TIER)
    assert code == 2
    changes = [line for line in out.splitlines() if line[:1] in "+~-!"]
    assert changes == ["~ update compute   ecs-task-definition mplat-dev-compute-task (image)"], out

    code, out = deployed.run("apply", "--env", "dev", "--only", "compute", "--yes")
    assert code == 0, out
    ecs = client("ecs")
    service = ecs.describe_services(
        cluster="mplat-dev-compute-cluster", services=["mplat-dev-compute-service"]
    )
    arn = service["services"][0]["taskDefinition"]
    assert arn.endswith(":2")
    image = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["containerDefinitions"][0][
        "image"
    ]
    assert image.endswith("/mplat-dev-compute-marimo:0123456789ab")
    code, out = deployed.run("plan", "--env", "dev", "--only", "compute")
    assert code == 0, out


def test_rotate_oidc_secret_pushes_the_new_value_without_printing_it(deployed: Deployment) -> None:
    client("secretsmanager").put_secret_value(
        SecretId="mplat/dev/okta/client",
        SecretString=json.dumps({"client_id": OKTA_CLIENT_ID, "client_secret": ROTATED_SECRET}),
    )
    # AWS never returns the secret, so plan cannot see that it changed...
    assert deployed.run("plan", "--env", "dev", "--only", "compute")[0] == 0
    # ...and --rotate-oidc-secret sends it.
    code, out = deployed.run("apply", "--env", "dev", "--only", "compute", "--rotate-oidc-secret", "--yes")
    assert code == 0, out
    assert "listener mplat-dev-compute-alb:443 (client-secret)" in out
    config = elb_listener(443)["DefaultActions"][0]["AuthenticateOidcConfig"]
    assert config["ClientSecret"] == ROTATED_SECRET  # moto echoes it; AWS would not
    assert config["ClientId"] == OKTA_CLIENT_ID


def test_oidc_secret_never_appears_in_output_or_logs(deployed: Deployment) -> None:
    assert len(deployed.outputs) >= 5
    for text in deployed.outputs:
        assert OKTA_CLIENT_SECRET not in text
        assert ROTATED_SECRET not in text


def test_cost_lists_every_resource_apply_creates_and_dev_is_under_50_eur(deployed: Deployment) -> None:
    code, out = deployed.run("cost", "--env", "dev")
    assert code == 0, out
    rows = [line.split(" | ") for line in out.splitlines() if line.startswith("| ") and "---" not in line]
    resources = {row[1] for row in rows[1:]}
    for service, resource in created(deployed):
        if service == "outputs":  # a file, not an AWS resource
            continue
        assert resource in resources, f"{service} {resource} is missing from the cost table"
    header = rows[0]
    assert "office hours *" in header[4]  # the dev default
    total = next(line for line in out.splitlines() if line.startswith("| **total**"))
    on, office, off = (float(x) for x in re.findall(r"\*\*(\d+\.\d\d)\*\*", total))
    assert office < 50 and off < office < on
    assert "EUR" in out and "eu-central-1" in out


def test_wake_starts_the_service_outside_office_hours(deployed: Deployment) -> None:
    ecs = client("ecs")
    # What the evening schedule does:
    ecs.update_service(
        cluster="mplat-dev-compute-cluster", service="mplat-dev-compute-service", desiredCount=0
    )
    assert deployed.run("plan", "--env", "dev", "--only", "compute")[0] == 0  # the schedule owns the count
    code, out = deployed.run("wake", "--env", "dev")
    assert code == 0, out
    service = ecs.describe_services(
        cluster="mplat-dev-compute-cluster", services=["mplat-dev-compute-service"]
    )
    assert service["services"][0]["desiredCount"] == 1


def test_switching_compute_off_plans_its_removal_and_destroy_leaves_storage(deployed: Deployment) -> None:
    s3 = client("s3")
    buckets = [f"mplat-dev-storage-raw-{ACCOUNT}", f"mplat-dev-storage-derived-{ACCOUNT}"]

    def storage_state() -> list[Any]:
        # (Objects cannot be written here: moto applies the dev TLS-only bucket policy to plain HTTP.)
        return [
            (
                s3.get_bucket_policy(Bucket=b)["Policy"],
                s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"],
                s3.get_bucket_versioning(Bucket=b).get("Status"),
                s3.get_bucket_tagging(Bucket=b)["TagSet"],
            )
            for b in buckets
        ]

    before = storage_state()

    deployed.edit_env(enabled=False)
    try:
        code, out = deployed.run("plan", "--env", "dev", "--only", COMPUTE_TIER)
    finally:
        deployed.edit_env(enabled=True)
    assert code == 2
    changes = [line for line in out.splitlines() if line[:1] in "+~-!"]
    assert changes and all(line.startswith("- delete") for line in changes), out
    assert not any("ingest-" in line for line in changes)  # the Lambda alarms stay

    code, out = deployed.run("destroy", "--env", "dev", "--only", COMPUTE_TIER, "--yes")
    assert code == 0, out
    assert client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert client("efs").describe_file_systems()["FileSystems"] == []
    assert [
        c
        for c in client("ecs").describe_clusters(clusters=["mplat-dev-compute-cluster"])["clusters"]
        if c["status"] == "ACTIVE"
    ] == []
    assert client("ecr").describe_repositories()["repositories"] == []
    assert client("acm").list_certificates()["CertificateSummaryList"] == []
    managed = client("ec2").describe_vpcs(Filters=[{"Name": "tag:ManagedBy", "Values": ["mplat-infra"]}])[
        "Vpcs"
    ]
    assert managed == []
    assert client("cloudwatch").describe_alarms()["MetricAlarms"] == []
    # Storage untouched; the imported hosted zone too.
    assert storage_state() == before
    assert [z["Name"] for z in client("route53").list_hosted_zones()["HostedZones"]] == [ZONE + "."]
    assert deployed.run("plan", "--env", "dev", "--only", "storage")[0] == 0
