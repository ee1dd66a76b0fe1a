"""network: the VPC the compute tier runs in.

Two availability zones, each with a public and a private subnet; an internet gateway; security groups that
chain ALB → task → EFS (ALB 80/443 from anywhere, task 7860 only from the ALB's group, EFS 2049 only from
the task's group); a free S3 gateway endpoint. A NAT gateway alone costs ~EUR 35 a month, so by default there
is none: tasks run in the public subnets with a public IP, and their security group admits only the ALB.
`[network] nat_gateway` and `interface_endpoints` (Secrets Manager, ECR, Logs) are opt-in.

EC2 resources carry their name in the `Name` tag; every lookup is by `Name` + `Environment`, so ids are never
stored anywhere and an interrupted apply is finished by running apply again.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeGuard

from infra import naming
from infra.engine import Action, Attribute, Call, Context, Resource
from infra.lookup import remember
from infra.services.compute_settings import NetworkSettings, compute_tier
from infra.tags import from_list, is_managed, standard_tags

NAME = "network"
ANYWHERE = "0.0.0.0/0"
TASK_PORT = 7860
NFS_PORT = 2049
INTERFACE_ENDPOINTS = ("secretsmanager", "ecr.api", "ecr.dkr", "logs")

# (role, description, ingress rules as (port, source)); a source is a CIDR or another group's role.
SECURITY_GROUPS: tuple[tuple[str, str, tuple[tuple[int, str], ...]], ...] = (
    ("alb", "mplat ALB: HTTP and HTTPS from anywhere", ((80, ANYWHERE), (443, ANYWHERE))),
    ("task", "mplat marimo tasks: 7860 from the ALB only", ((TASK_PORT, "alb"),)),
    ("efs", "mplat EFS scratch: NFS from the tasks only", ((NFS_PORT, "task"),)),
    ("endpoint", "mplat interface endpoints: HTTPS from the tasks only", ((443, "task"),)),
)


# ---------------------------------------------------------------------------------------------------------
# Names and lookups (used by efs, compute and monitoring too)


def resource_name(env: str, thing: str) -> str:
    return naming.name(env, NAME, thing)


def sg_name(env: str, role: str) -> str:
    return resource_name(env, f"{role}-sg")


def ec2_tags(ctx: Context, name: str) -> list[dict[str, str]]:
    tags = {**standard_tags(ctx.config, NAME), "Name": name}
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def tag_spec(ctx: Context, resource_type: str, name: str, component: str = NAME) -> list[dict[str, Any]]:
    tags = {**standard_tags(ctx.config, component), "Name": name}
    return [
        {"ResourceType": resource_type, "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
    ]


def _filters(ctx: Context, name: str) -> list[dict[str, Any]]:
    return [{"Name": "tag:Name", "Values": [name]}, {"Name": "tag:Environment", "Values": [ctx.env]}]


def find_one(ctx: Context, describe: str, key: str, name: str, **extra: Any) -> dict[str, Any] | None:
    """The one EC2 object of a kind with this Name tag (None when absent; deleted NAT gateways are ignored)."""
    ec2 = ctx.aws.client("ec2")
    found = getattr(ec2, describe)(Filters=_filters(ctx, name) + extra.pop("filters", []), **extra)[key]
    found = [f for f in found if f.get("State") not in ("deleted", "deleting", "failed")]
    if len(found) > 1:
        raise ValueError(f"{len(found)} EC2 objects are tagged Name={name}: remove the extra ones by hand")
    return found[0] if found else None


def must(found: dict[str, Any] | None, name: str) -> dict[str, Any]:
    """For apply steps: the object an earlier step of this apply created (or a clear error)."""
    if found is None:
        raise RuntimeError(f"{name} not found: apply the network service first")
    return found


def vpc_id(ctx: Context) -> str | None:
    def fetch() -> str | None:
        vpc = find_one(ctx, "describe_vpcs", "Vpcs", resource_name(ctx.env, "vpc"))
        return vpc["VpcId"] if vpc else None

    return remember(ctx.aws, ("vpc",), fetch)


def require_vpc_id(ctx: Context) -> str:
    found = vpc_id(ctx)
    if not found:
        raise RuntimeError(f"VPC {resource_name(ctx.env, 'vpc')} not found: apply the network service first")
    return found


def zones(ctx: Context) -> tuple[str, str]:
    """The region's first two availability zones (stable across runs)."""
    return remember(ctx.aws, ("zones",), lambda: _zones(ctx))  # type: ignore[return-value]


def _zones(ctx: Context) -> tuple[str, str]:
    names = sorted(
        z["ZoneName"]
        for z in ctx.aws.client("ec2").describe_availability_zones(
            Filters=[{"Name": "state", "Values": ["available"]}]
        )["AvailabilityZones"]
        if z.get("ZoneType", "availability-zone") == "availability-zone"
    )
    return names[0], names[1]


def subnet_names(env: str, tier: str) -> tuple[str, str]:
    return resource_name(env, f"{tier}-a"), resource_name(env, f"{tier}-b")


def subnet_id(ctx: Context, name: str) -> str | None:
    def fetch() -> str | None:
        subnet = find_one(ctx, "describe_subnets", "Subnets", name)
        return subnet["SubnetId"] if subnet else None

    return remember(ctx.aws, ("subnet", name), fetch)


def subnet_ids(ctx: Context, tier: str) -> list[str]:
    ids = []
    for name in subnet_names(ctx.env, tier):
        found = subnet_id(ctx, name)
        if not found:
            raise RuntimeError(f"subnet {name} not found: apply the network service first")
        ids.append(found)
    return ids


def security_group_id(ctx: Context, role: str) -> str | None:
    def fetch() -> str | None:
        group = find_one(ctx, "describe_security_groups", "SecurityGroups", sg_name(ctx.env, role))
        return group["GroupId"] if group else None

    return remember(ctx.aws, ("security-group", role), fetch)


def require_security_group_id(ctx: Context, role: str) -> str:
    found = security_group_id(ctx, role)
    if not found:
        raise RuntimeError(
            f"security group {sg_name(ctx.env, role)} not found: apply the network service first"
        )
    return found


def task_subnet_tier(settings: NetworkSettings) -> str:
    return "private" if settings.tasks_in_private_subnets else "public"


# ---------------------------------------------------------------------------------------------------------
# Shared attribute: EC2 tags


def ec2_tag_attribute(
    ctx: Context, name: str, find: Callable[[], dict[str, Any] | None], id_key: str
) -> Attribute:
    """Tags of an EC2 object, read from the object `find()` returns (describe_* includes them)."""
    ec2 = ctx.aws.client("ec2")
    desired = {**standard_tags(ctx.config, NAME), "Name": name}

    def read() -> dict[str, str]:
        return from_list((find() or {}).get("Tags", []))

    def write(tags: dict[str, str]) -> None:
        ec2.create_tags(
            Resources=[must(find(), name)[id_key]],
            Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        )

    return Attribute(
        "tags",
        desired,
        read,
        write,
        matches=lambda want, have: have is not None and want.items() <= have.items(),
        api="ec2.create_tags",
    )


# ---------------------------------------------------------------------------------------------------------
# Desired state → resources


def _vpc(ctx: Context, settings: NetworkSettings) -> Resource:
    ec2 = ctx.aws.client("ec2")
    name = resource_name(ctx.env, "vpc")

    def create() -> None:
        vpc = ec2.create_vpc(CidrBlock=settings.vpc_cidr, TagSpecifications=tag_spec(ctx, "vpc", name))["Vpc"]
        ec2.get_waiter("vpc_available").wait(VpcIds=[vpc["VpcId"]])

    def read_cidr() -> str:
        found = find_one(ctx, "describe_vpcs", "Vpcs", name)
        return found["CidrBlock"] if found else ""

    def refuse_cidr_change(_: str) -> None:
        if read_cidr() == settings.vpc_cidr:
            return
        raise RuntimeError(
            f"VPC {name} has CIDR {read_cidr()}, config asks for {settings.vpc_cidr}: a VPC's CIDR cannot "
            "change; destroy the compute tier (destroy --only network,...) and apply again, or revert the config"
        )

    def dns_attribute(attribute: str) -> Attribute:
        key = attribute[0].upper() + attribute[1:]
        return Attribute(
            attribute.lower(),
            True,
            lambda: ec2.describe_vpc_attribute(VpcId=require_vpc_id(ctx), Attribute=attribute)[key]["Value"],
            lambda v: ec2.modify_vpc_attribute(VpcId=require_vpc_id(ctx), **{key: {"Value": v}}),
            api="ec2.modify_vpc_attribute",
        )

    return Resource(
        NAME,
        f"vpc {name}",
        exists=lambda: vpc_id(ctx) is not None,
        create=create,
        create_api="ec2.create_vpc",
        attributes=[
            # A CIDR cannot change: the write reads it again and refuses a difference.
            Attribute("cidr", settings.vpc_cidr, read_cidr, refuse_cidr_change, api="ec2.describe_vpcs"),
            # EFS mounts by DNS name and interface endpoints need private DNS: both need these on.
            dns_attribute("enableDnsSupport"),
            dns_attribute("enableDnsHostnames"),
            ec2_tag_attribute(ctx, name, lambda: find_one(ctx, "describe_vpcs", "Vpcs", name), "VpcId"),
        ],
    )


def _subnets(ctx: Context, settings: NetworkSettings) -> list[Resource]:
    resources = []
    for tier, cidrs in (("public", settings.public_subnet_cidrs), ("private", settings.private_subnet_cidrs)):
        for index, (name, cidr) in enumerate(zip(subnet_names(ctx.env, tier), cidrs, strict=True)):
            resources.append(_subnet(ctx, name, cidr, index))
    return resources


def _subnet(ctx: Context, name: str, cidr: str, zone_index: int) -> Resource:
    ec2 = ctx.aws.client("ec2")

    def find() -> dict[str, Any] | None:
        return find_one(ctx, "describe_subnets", "Subnets", name)

    def create() -> None:
        ec2.create_subnet(
            VpcId=require_vpc_id(ctx),
            CidrBlock=cidr,
            AvailabilityZone=zones(ctx)[zone_index],
            TagSpecifications=tag_spec(ctx, "subnet", name),
        )

    def read_cidr() -> str:
        found = find()
        return found["CidrBlock"] if found else ""

    def refuse(_: str) -> None:
        if read_cidr() == cidr:
            return
        raise RuntimeError(
            f"subnet {name} exists with another CIDR than {cidr}: a subnet's CIDR cannot change; "
            "revert the config or destroy the compute tier first"
        )

    return Resource(
        NAME,
        f"subnet {name}",
        exists=lambda: find() is not None,
        create=create,
        create_api="ec2.create_subnet",
        attributes=[
            Attribute("cidr", cidr, read_cidr, refuse, api="ec2.describe_subnets"),  # refuses a change
            ec2_tag_attribute(ctx, name, find, "SubnetId"),
        ],
    )


def _internet_gateway(ctx: Context) -> Resource:
    ec2 = ctx.aws.client("ec2")
    name = resource_name(ctx.env, "igw")

    def find() -> dict[str, Any] | None:
        return find_one(ctx, "describe_internet_gateways", "InternetGateways", name)

    def create() -> None:
        ec2.create_internet_gateway(TagSpecifications=tag_spec(ctx, "internet-gateway", name))

    def read_attachment() -> bool:
        igw = find()
        return igw is not None and any(a["VpcId"] == vpc_id(ctx) for a in igw.get("Attachments", []))

    def attach(_: bool) -> None:
        ec2.attach_internet_gateway(
            InternetGatewayId=must(find(), name)["InternetGatewayId"], VpcId=require_vpc_id(ctx)
        )

    return Resource(
        NAME,
        f"internet-gateway {name}",
        exists=lambda: find() is not None,
        create=create,
        create_api="ec2.create_internet_gateway",
        attributes=[
            Attribute("attachment", True, read_attachment, attach, api="ec2.attach_internet_gateway"),
            ec2_tag_attribute(ctx, name, find, "InternetGatewayId"),
        ],
    )


def _route_table(ctx: Context, settings: NetworkSettings, tier: str) -> Resource:
    """One route table per tier, associated with both subnets of the tier. Routes we manage: the default
    route (IGW for public, NAT for private when enabled); the S3 endpoint adds its own prefix-list route."""
    ec2 = ctx.aws.client("ec2")
    name = resource_name(ctx.env, f"{tier}-rt")
    nat_name = resource_name(ctx.env, "nat")

    def find() -> dict[str, Any] | None:
        return find_one(ctx, "describe_route_tables", "RouteTables", name)

    def create() -> None:
        ec2.create_route_table(
            VpcId=require_vpc_id(ctx), TagSpecifications=tag_spec(ctx, "route-table", name)
        )

    if tier == "public":
        desired_default: str | None = "igw"
    else:
        desired_default = "nat" if settings.nat_gateway else None

    def read_default() -> str | None:
        table = find()
        for route in table.get("Routes", []) if table else []:
            if route.get("DestinationCidrBlock") == ANYWHERE:
                if route.get("GatewayId", "").startswith("igw-"):
                    return "igw"
                if route.get("NatGatewayId"):
                    return "nat"
                return "other"
        return None

    def write_default(target: str | None) -> None:
        table_id = must(find(), name)["RouteTableId"]
        if read_default() is not None:
            ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock=ANYWHERE)
        if target == "igw":
            igw_name = resource_name(ctx.env, "igw")
            igw = must(find_one(ctx, "describe_internet_gateways", "InternetGateways", igw_name), igw_name)
            ec2.create_route(
                RouteTableId=table_id, DestinationCidrBlock=ANYWHERE, GatewayId=igw["InternetGatewayId"]
            )
        elif target == "nat":
            nat = must(find_one(ctx, "describe_nat_gateways", "NatGateways", nat_name, filters=[]), nat_name)
            ec2.create_route(
                RouteTableId=table_id, DestinationCidrBlock=ANYWHERE, NatGatewayId=nat["NatGatewayId"]
            )

    def read_associations() -> list[str]:
        table = find()
        ids = {a["SubnetId"] for a in (table or {}).get("Associations", []) if a.get("SubnetId")}
        return sorted(ids)

    def write_associations(_: Any) -> None:
        table = must(find(), name)
        wanted = set(subnet_ids(ctx, tier))
        for assoc in table.get("Associations", []):
            if assoc.get("SubnetId") and assoc["SubnetId"] not in wanted:
                ec2.disassociate_route_table(AssociationId=assoc["RouteTableAssociationId"])
        for subnet in sorted(wanted - set(read_associations())):
            ec2.associate_route_table(RouteTableId=table["RouteTableId"], SubnetId=subnet)

    def desired_associations() -> list[str]:
        try:
            return sorted(subnet_ids(ctx, tier))
        except RuntimeError:  # subnets not created yet: the association write resolves them at apply time
            return ["(subnets of this tier)"]

    return Resource(
        NAME,
        f"route-table {name}",
        exists=lambda: find() is not None,
        create=create,
        create_api="ec2.create_route_table",
        attributes=[
            Attribute(
                "default-route",
                desired_default,
                read_default,
                write_default,
                api="ec2.delete_route+create_route",
            ),
            Attribute(
                "associations",
                desired_associations(),
                read_associations,
                write_associations,
                api="ec2.disassociate_route_table+associate_route_table",
            ),
            ec2_tag_attribute(ctx, name, find, "RouteTableId"),
        ],
    )


def _rules_of(ctx: Context, group: dict[str, Any]) -> list[list[Any]]:
    """A group's ingress rules as [port, source] with sources as CIDRs or our group roles (ids vary)."""
    roles_by_id = {}
    for role, _, _ in SECURITY_GROUPS:
        group_id = security_group_id(ctx, role)
        if group_id:
            roles_by_id[group_id] = role
    rules = []
    for perm in group.get("IpPermissions", []):
        port = (
            perm.get("FromPort", -1)
            if perm.get("FromPort") == perm.get("ToPort")
            else f"{perm.get('FromPort')}-{perm.get('ToPort')}"
        )
        if perm.get("IpProtocol") != "tcp":
            port = f"{perm.get('IpProtocol')}:{port}"
        rules += [[port, r["CidrIp"]] for r in perm.get("IpRanges", [])]
        rules += [[port, r.get("CidrIpv6")] for r in perm.get("Ipv6Ranges", [])]
        rules += [
            [port, roles_by_id.get(p["GroupId"], p["GroupId"])] for p in perm.get("UserIdGroupPairs", [])
        ]
    return sorted(rules, key=str)


def _security_group(
    ctx: Context, role: str, description: str, rules: tuple[tuple[int, str], ...]
) -> Resource:
    ec2 = ctx.aws.client("ec2")
    name = sg_name(ctx.env, role)

    def find() -> dict[str, Any] | None:
        return find_one(ctx, "describe_security_groups", "SecurityGroups", name)

    def create() -> None:
        ec2.create_security_group(
            GroupName=name,
            Description=description,
            VpcId=require_vpc_id(ctx),
            TagSpecifications=tag_spec(ctx, "security-group", name),
        )

    def write_rules(_: Any) -> None:
        group = must(find(), name)
        if group.get("IpPermissions"):
            ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
        permissions = []
        for port, source in rules:
            perm: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
            if "/" in source:
                perm["IpRanges"] = [{"CidrIp": source, "Description": f"{role} {port} from {source}"}]
            else:
                perm["UserIdGroupPairs"] = [
                    {
                        "GroupId": require_security_group_id(ctx, source),
                        "Description": f"from {sg_name(ctx.env, source)}",
                    }
                ]
            permissions.append(perm)
        ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=permissions)

    return Resource(
        NAME,
        f"security-group {name}",
        exists=lambda: find() is not None,
        create=create,
        create_api="ec2.create_security_group",
        attributes=[
            Attribute(
                "ingress",
                sorted(([port, source] for port, source in rules), key=str),
                lambda: _rules_of(ctx, find() or {}),
                write_rules,
                matches=lambda want, have: sorted(want, key=str) == sorted(have or [], key=str),
                api="ec2.revoke_security_group_ingress+authorize_security_group_ingress",
            ),
            ec2_tag_attribute(ctx, name, find, "GroupId"),
        ],
    )


def _route_table_ids(ctx: Context) -> list[str]:
    ids = []
    for tier in ("public", "private"):
        table = find_one(ctx, "describe_route_tables", "RouteTables", resource_name(ctx.env, f"{tier}-rt"))
        if table:
            ids.append(table["RouteTableId"])
    return sorted(ids)


def _s3_endpoint(ctx: Context) -> Resource:
    ec2 = ctx.aws.client("ec2")
    name = resource_name(ctx.env, "s3-endpoint")

    def find() -> dict[str, Any] | None:
        return find_one(ctx, "describe_vpc_endpoints", "VpcEndpoints", name)

    def create() -> None:
        ec2.create_vpc_endpoint(
            VpcEndpointType="Gateway",
            VpcId=require_vpc_id(ctx),
            ServiceName=f"com.amazonaws.{ctx.aws.region}.s3",
            RouteTableIds=_route_table_ids(ctx),
            TagSpecifications=tag_spec(ctx, "vpc-endpoint", name),
        )

    def write_tables(_: Any) -> None:
        endpoint = must(find(), name)
        have, want = set(endpoint.get("RouteTableIds", [])), set(_route_table_ids(ctx))
        ec2.modify_vpc_endpoint(
            VpcEndpointId=endpoint["VpcEndpointId"],
            AddRouteTableIds=sorted(want - have),
            RemoveRouteTableIds=sorted(have - want),
        )

    return Resource(
        NAME,
        f"vpc-endpoint {name}",
        exists=lambda: find() is not None,
        create=create,
        create_api="ec2.create_vpc_endpoint",
        attributes=[
            Attribute(
                "route-tables",
                "both",
                lambda: "both" if len((find() or {}).get("RouteTableIds", [])) == 2 else "partial",
                write_tables,
                api="ec2.modify_vpc_endpoint",
            ),
            ec2_tag_attribute(ctx, name, find, "VpcEndpointId"),
        ],
    )


def _interface_endpoint(ctx: Context, service: str) -> Resource:
    ec2 = ctx.aws.client("ec2")
    name = resource_name(ctx.env, f"{service.replace('.', '-')}-endpoint")

    def find() -> dict[str, Any] | None:
        return find_one(ctx, "describe_vpc_endpoints", "VpcEndpoints", name)

    def create() -> None:
        ec2.create_vpc_endpoint(
            VpcEndpointType="Interface",
            VpcId=require_vpc_id(ctx),
            ServiceName=f"com.amazonaws.{ctx.aws.region}.{service}",
            SubnetIds=subnet_ids(ctx, "private"),
            SecurityGroupIds=[require_security_group_id(ctx, "endpoint")],
            PrivateDnsEnabled=True,
            TagSpecifications=tag_spec(ctx, "vpc-endpoint", name),
        )

    return Resource(
        NAME,
        f"vpc-endpoint {name}",
        exists=lambda: find() is not None,
        create=create,
        create_api="ec2.create_vpc_endpoint",
        attributes=[ec2_tag_attribute(ctx, name, find, "VpcEndpointId")],
    )


def _nat(ctx: Context) -> list[Resource]:
    ec2 = ctx.aws.client("ec2")
    eip_name, nat_name = resource_name(ctx.env, "nat-eip"), resource_name(ctx.env, "nat")

    def find_eip() -> dict[str, Any] | None:
        return find_one(ctx, "describe_addresses", "Addresses", eip_name)

    def find_nat() -> dict[str, Any] | None:
        return find_one(ctx, "describe_nat_gateways", "NatGateways", nat_name, filters=[])

    def create_nat() -> None:
        nat = ec2.create_nat_gateway(
            SubnetId=subnet_ids(ctx, "public")[0],
            AllocationId=must(find_eip(), eip_name)["AllocationId"],
            TagSpecifications=tag_spec(ctx, "natgateway", nat_name),
        )["NatGateway"]
        ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat["NatGatewayId"]])

    return [
        Resource(
            NAME,
            f"elastic-ip {eip_name}",
            exists=lambda: find_eip() is not None,
            create=lambda: ec2.allocate_address(
                Domain="vpc", TagSpecifications=tag_spec(ctx, "elastic-ip", eip_name)
            ),
            create_api="ec2.allocate_address",
            attributes=[ec2_tag_attribute(ctx, eip_name, find_eip, "AllocationId")],
        ),
        Resource(
            NAME,
            f"nat-gateway {nat_name}",
            exists=lambda: find_nat() is not None,
            create=create_nat,
            create_api="ec2.create_nat_gateway",
            attributes=[ec2_tag_attribute(ctx, nat_name, find_nat, "NatGatewayId")],
        ),
    ]


def resources(ctx: Context, settings: NetworkSettings) -> list[Resource]:
    """In creation order (each may look up ids of the ones before it when it runs)."""
    found: list[Resource] = [_vpc(ctx, settings), *_subnets(ctx, settings), _internet_gateway(ctx)]
    if settings.nat_gateway:
        found += _nat(ctx)
    found += [_route_table(ctx, settings, "public"), _route_table(ctx, settings, "private")]
    for role, description, rules in SECURITY_GROUPS:
        if role != "endpoint" or settings.interface_endpoints:
            found.append(_security_group(ctx, role, description, rules))
    found.append(_s3_endpoint(ctx))
    if settings.interface_endpoints:
        found += [_interface_endpoint(ctx, service) for service in INTERFACE_ENDPOINTS]
    return found


# ---------------------------------------------------------------------------------------------------------
# Destroy (reverse creation order; only objects tagged ManagedBy=mplat-infra for this env)


def _managed(obj: dict[str, Any] | None, env: str) -> TypeGuard[dict[str, Any]]:
    return obj is not None and is_managed(from_list(obj.get("Tags", [])), env)


def _group_by_id(ec2: Any, group_id: str) -> dict[str, Any] | None:
    """A filter, not GroupIds=: it answers empty instead of failing for a group deleted meanwhile."""
    found = ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [group_id]}])[
        "SecurityGroups"
    ]
    return dict(found[0]) if found else None


def destroy_actions(ctx: Context) -> list[Action]:
    ec2 = ctx.aws.client("ec2")
    env = ctx.env
    actions: list[Action] = []

    def add(resource: str, *steps: Callable[[], object]) -> None:
        actions.append(Action(NAME, "delete", resource, (), steps))

    in_vpc = vpc_id(ctx) is not None  # endpoints, groups, tables and subnets exist only inside our VPC
    for service in (*INTERFACE_ENDPOINTS, "s3") if in_vpc else ():
        name = resource_name(env, f"{service.replace('.', '-')}-endpoint")
        endpoint = find_one(ctx, "describe_vpc_endpoints", "VpcEndpoints", name)
        if _managed(endpoint, env):
            add(
                f"vpc-endpoint {name}",
                partial(ec2.delete_vpc_endpoints, VpcEndpointIds=[endpoint["VpcEndpointId"]]),
            )
    # Rules first: groups reference each other, so none could be deleted while another points at it.
    groups = [
        (role, find_one(ctx, "describe_security_groups", "SecurityGroups", sg_name(env, role)))
        for role, _, _ in (reversed(SECURITY_GROUPS) if in_vpc else ())
    ]
    for role, group in groups:
        if _managed(group, env):

            def delete_group(group: dict[str, Any] = group) -> None:
                current = _group_by_id(ec2, group["GroupId"]) or {}
                if current.get("IpPermissions"):
                    ec2.revoke_security_group_ingress(
                        GroupId=group["GroupId"], IpPermissions=current["IpPermissions"]
                    )
                for _, other in groups:  # drop rules elsewhere that still point at this group
                    if other and other["GroupId"] != group["GroupId"]:
                        now = _group_by_id(ec2, other["GroupId"]) or {}  # may be deleted already
                        refs = [
                            p
                            for p in now.get("IpPermissions", [])
                            if any(
                                pair["GroupId"] == group["GroupId"] for pair in p.get("UserIdGroupPairs", [])
                            )
                        ]
                        if refs:
                            ec2.revoke_security_group_ingress(GroupId=other["GroupId"], IpPermissions=refs)
                ec2.delete_security_group(GroupId=group["GroupId"])

            add(
                f"security-group {sg_name(env, role)}",
                Call("ec2.revoke_security_group_ingress+delete_security_group", delete_group),
            )
    for tier in ("private", "public") if in_vpc else ():
        name = resource_name(env, f"{tier}-rt")
        table = find_one(ctx, "describe_route_tables", "RouteTables", name)
        if _managed(table, env):

            def delete_table(table: dict[str, Any] = table) -> None:
                for assoc in table.get("Associations", []):
                    if not assoc.get("Main"):
                        ec2.disassociate_route_table(AssociationId=assoc["RouteTableAssociationId"])
                ec2.delete_route_table(RouteTableId=table["RouteTableId"])

            add(f"route-table {name}", Call("ec2.disassociate_route_table+delete_route_table", delete_table))
    nat_name, eip_name = resource_name(env, "nat"), resource_name(env, "nat-eip")
    nat = find_one(ctx, "describe_nat_gateways", "NatGateways", nat_name, filters=[])
    if _managed(nat, env):

        def delete_nat(nat: dict[str, Any] = nat) -> None:
            ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
            ec2.get_waiter("nat_gateway_deleted").wait(NatGatewayIds=[nat["NatGatewayId"]])

        add(f"nat-gateway {nat_name}", Call("ec2.delete_nat_gateway", delete_nat))
    eip = find_one(ctx, "describe_addresses", "Addresses", eip_name)
    if _managed(eip, env):
        add(f"elastic-ip {eip_name}", partial(ec2.release_address, AllocationId=eip["AllocationId"]))
    for tier in ("private", "public") if in_vpc else ():
        for name in reversed(subnet_names(env, tier)):
            subnet = find_one(ctx, "describe_subnets", "Subnets", name)
            if _managed(subnet, env):
                add(f"subnet {name}", partial(ec2.delete_subnet, SubnetId=subnet["SubnetId"]))
    igw_name = resource_name(env, "igw")
    igw = find_one(ctx, "describe_internet_gateways", "InternetGateways", igw_name)
    if _managed(igw, env):

        def delete_igw(igw: dict[str, Any] = igw) -> None:
            for attachment in igw.get("Attachments", []):
                ec2.detach_internet_gateway(
                    InternetGatewayId=igw["InternetGatewayId"], VpcId=attachment["VpcId"]
                )
            ec2.delete_internet_gateway(InternetGatewayId=igw["InternetGatewayId"])

        add(
            f"internet-gateway {igw_name}",
            Call("ec2.detach_internet_gateway+delete_internet_gateway", delete_igw),
        )
    vpc_name = resource_name(env, "vpc")
    vpc = find_one(ctx, "describe_vpcs", "Vpcs", vpc_name)
    if _managed(vpc, env):
        add(f"vpc {vpc_name}", partial(ec2.delete_vpc, VpcId=vpc["VpcId"]))
    return actions


# ---------------------------------------------------------------------------------------------------------
# Service interface


def plan(ctx: Context) -> list[Action]:
    tier = compute_tier(ctx.config)
    if not tier.compute.enabled:  # switched off: remove what an earlier apply created
        return destroy_actions(ctx)
    actions: list[Action] = []
    for resource in resources(ctx, tier.network):
        actions.extend(resource.plan())
    return actions + _switched_off_options(ctx, tier.network)


def _switched_off_options(ctx: Context, settings: NetworkSettings) -> list[Action]:
    """A NAT gateway or interface endpoints left from when the option was on (they cost money)."""
    env, unwanted = ctx.env, set()
    if not settings.nat_gateway and find_one(
        ctx, "describe_nat_gateways", "NatGateways", resource_name(env, "nat"), filters=[]
    ):
        unwanted |= {
            f"nat-gateway {resource_name(env, 'nat')}",
            f"elastic-ip {resource_name(env, 'nat-eip')}",
        }
    if not settings.interface_endpoints and security_group_id(ctx, "endpoint"):
        unwanted |= {f"security-group {sg_name(env, 'endpoint')}"}
        unwanted |= {
            f"vpc-endpoint {resource_name(env, s.replace('.', '-') + '-endpoint')}"
            for s in INTERFACE_ENDPOINTS
        }
    if not unwanted:
        return []
    return [action for action in destroy_actions(ctx) if action.resource in unwanted]


def plan_destroy(ctx: Context, *, force_data_loss: bool) -> list[Action]:
    return destroy_actions(ctx)
