"""The network's opt-in pieces against moto: NAT gateway and interface endpoints on, converged, then
switched off again (plan removes what costs money, nothing else)."""

from __future__ import annotations

import re
from pathlib import Path

import boto3

from .conftest import REGION, InfraRunner


def set_network(envs_dir: Path, **options: bool) -> None:
    path = envs_dir / "dev.toml"
    text = path.read_text(encoding="utf-8")
    for key, value in options.items():
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {str(value).lower()}", text)
    path.write_text(text, encoding="utf-8")


def test_nat_and_interface_endpoints_on_then_off(infra: InfraRunner, envs_dir: Path) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    set_network(envs_dir, nat_gateway=True, interface_endpoints=True)
    applied = infra("apply", "--env", "dev", "--only", "network", "--yes")
    assert applied.code == 0, applied.err
    assert infra("plan", "--env", "dev", "--only", "network").code == 0

    (nat,) = ec2.describe_nat_gateways(Filters=[{"Name": "tag:Name", "Values": ["mplat-dev-network-nat"]}])[
        "NatGateways"
    ]
    public_a = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["mplat-dev-network-public-a"]}])
    assert nat["SubnetId"] == public_a["Subnets"][0]["SubnetId"]
    private_rt = ec2.describe_route_tables(
        Filters=[{"Name": "tag:Name", "Values": ["mplat-dev-network-private-rt"]}]
    )["RouteTables"][0]
    assert any(r.get("NatGatewayId") == nat["NatGatewayId"] for r in private_rt["Routes"])
    endpoints = ec2.describe_vpc_endpoints()["VpcEndpoints"]
    prefix = f"com.amazonaws.{REGION}."
    interface = sorted(
        e["ServiceName"].removeprefix(prefix) for e in endpoints if e["VpcEndpointType"] == "Interface"
    )
    assert interface == ["ecr.api", "ecr.dkr", "logs", "secretsmanager"]
    endpoint_sg = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["mplat-dev-network-endpoint-sg"]}]
    )["SecurityGroups"][0]
    task_sg = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["mplat-dev-network-task-sg"]}]
    )
    assert [(p["FromPort"], p["UserIdGroupPairs"][0]["GroupId"]) for p in endpoint_sg["IpPermissions"]] == [
        (443, task_sg["SecurityGroups"][0]["GroupId"])
    ]

    set_network(envs_dir, nat_gateway=False, interface_endpoints=False)
    plan = infra("plan", "--env", "dev", "--only", "network")
    changes = sorted(line for line in plan.out.splitlines() if line[:1] in "+~-")
    assert changes == sorted(
        [
            "~ update network   route-table mplat-dev-network-private-rt (default-route)",
            "- delete network   nat-gateway mplat-dev-network-nat",
            "- delete network   elastic-ip mplat-dev-network-nat-eip",
            "- delete network   security-group mplat-dev-network-endpoint-sg",
            *(
                f"- delete network   vpc-endpoint mplat-dev-network-{s}-endpoint"
                for s in ("secretsmanager", "ecr-api", "ecr-dkr", "logs")
            ),
        ]
    ), plan.out
    assert infra("apply", "--env", "dev", "--only", "network", "--yes").code == 0
    assert infra("plan", "--env", "dev", "--only", "network").code == 0
    live = [
        n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] not in ("deleted", "deleting")
    ]
    assert live == []
    endpoints = ec2.describe_vpc_endpoints()["VpcEndpoints"]
    assert [e["VpcEndpointType"] for e in endpoints if e["State"].lower() != "deleted"] == ["Gateway"]
