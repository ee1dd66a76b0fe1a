"""The compute service's load balancer: ALB, target group, the HTTPS listener that signs users in with Okta
(`authenticate-oidc`, then forward) and the HTTP listener that redirects to HTTPS.

The OIDC client secret: AWS never returns it (moto does, and we ignore it), so `plan` compares everything
else. Apply reads `mplat/<env>/okta/client` from Secrets Manager and sends the secret when it creates the
listener or when the client id changed; any other listener change keeps the stored one
(`UseExistingClientSecret`). `apply --rotate-oidc-secret` pushes the current secret value. The secret only
ever travels from Secrets Manager to the ELB API: it is never printed, logged or part of an `Action`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from infra import naming
from infra.engine import Action, Attribute, Call, Context, Resource, canonical
from infra.lookup import remember
from infra.services import dns, network
from infra.services.compute_settings import ComputeTier, compute_tier
from infra.tags import from_list, standard_tags, to_list

SERVICE = "compute"
TASK_PORT = network.TASK_PORT
HEALTH_PATH = "/health"
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# marimo keeps a websocket per session; the ALB closes idle connections after this many seconds.
IDLE_TIMEOUT_SECONDS = 600
SESSION_SECONDS = 8 * 3600  # one working day signed in


def alb_name(env: str) -> str:
    return naming.name(env, SERVICE, "alb")


def target_group_name(env: str) -> str:
    return naming.name(env, SERVICE, "tg")


def find_load_balancer(ctx: Context) -> dict[str, Any] | None:
    elb = ctx.aws.client("elbv2")
    try:
        return dict(elb.describe_load_balancers(Names=[alb_name(ctx.env)])["LoadBalancers"][0])
    except elb.exceptions.LoadBalancerNotFoundException:
        return None


def find_target_group(ctx: Context) -> dict[str, Any] | None:
    elb = ctx.aws.client("elbv2")
    try:
        return dict(elb.describe_target_groups(Names=[target_group_name(ctx.env)])["TargetGroups"][0])
    except elb.exceptions.TargetGroupNotFoundException:
        return None


def load_balancer_arn(ctx: Context) -> str | None:
    return remember(ctx.aws, ("alb",), lambda: (find_load_balancer(ctx) or {}).get("LoadBalancerArn"))


def target_group_arn(ctx: Context) -> str | None:
    return remember(ctx.aws, ("target-group",), lambda: (find_target_group(ctx) or {}).get("TargetGroupArn"))


def find_listener(ctx: Context, port: int) -> dict[str, Any] | None:
    lb = load_balancer_arn(ctx)
    if not lb:
        return None
    listeners = ctx.aws.client("elbv2").describe_listeners(LoadBalancerArn=lb)["Listeners"]
    return next((dict(lst) for lst in listeners if lst["Port"] == port), None)


def _required(value: str | None, what: str) -> str:
    if not value:
        raise RuntimeError(f"{what} not found: apply the compute service first")
    return value


def _arn(found: dict[str, Any] | None, key: str, what: str) -> str:
    if not found:
        raise RuntimeError(f"{what} not found: apply the compute service first")
    return str(found[key])


def _elb_tags(ctx: Context, arn: str) -> dict[str, str]:
    found = ctx.aws.client("elbv2").describe_tags(ResourceArns=[arn])["TagDescriptions"]
    return from_list(found[0]["Tags"]) if found else {}


def _tag_attribute(ctx: Context, arn: Callable[[], str]) -> Attribute:
    elb = ctx.aws.client("elbv2")
    return Attribute(
        "tags",
        standard_tags(ctx.config, SERVICE),
        lambda: _elb_tags(ctx, arn()),
        lambda v: elb.add_tags(ResourceArns=[arn()], Tags=to_list(v)),
        matches=lambda want, have: want.items() <= (have or {}).items(),
        api="elbv2.add_tags",
    )


# ---------------------------------------------------------------------------------------------------------
# Okta


def oidc_endpoints(issuer: str) -> dict[str, str]:
    """Okta endpoints: a custom authorization server (`.../oauth2/<id>`) serves them under `/v1/`, the org
    authorization server (`https://<org>.okta.com`) under `/oauth2/v1/`."""
    base = issuer.rstrip("/")
    prefix = base if "/oauth2/" in base else base + "/oauth2"
    return {
        "Issuer": base,
        "AuthorizationEndpoint": f"{prefix}/v1/authorize",
        "TokenEndpoint": f"{prefix}/v1/token",
        "UserInfoEndpoint": f"{prefix}/v1/userinfo",
    }


def okta_client(ctx: Context, *, required: bool) -> dict[str, str] | None:
    """`{"client_id", "client_secret"}` from Secrets Manager; None when absent and not required."""
    sm = ctx.aws.client("secretsmanager")
    secret_name = naming.okta_secret(ctx.env)
    fix = (
        f'put {{"client_id": "...", "client_secret": "..."}} (the Okta app\'s values) into secret {secret_name}, '
        "then run apply again"
    )
    try:
        raw = sm.get_secret_value(SecretId=secret_name).get("SecretString") or ""
    except sm.exceptions.ResourceNotFoundException:
        if required:
            raise RuntimeError(f"secret {secret_name} does not exist: {fix}") from None
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    if not (
        isinstance(value, dict)
        and isinstance(value.get("client_id"), str)
        and value["client_id"]
        and isinstance(value.get("client_secret"), str)
        and value["client_secret"]
    ):
        if required:
            # Never echo the value: it may hold the secret in a wrong shape.
            raise RuntimeError(
                f"secret {secret_name} is not a JSON object with client_id and client_secret: {fix}"
            )
        return None
    return {"client_id": value["client_id"], "client_secret": value["client_secret"]}


def https_actions(
    ctx: Context, tier: ComputeTier, client_id: str, target_group_arn: str
) -> list[dict[str, Any]]:
    """The listener's default actions WITHOUT the client secret (what plan compares)."""
    assert tier.okta_issuer is not None
    return [
        {
            "Type": "authenticate-oidc",
            "Order": 1,
            "AuthenticateOidcConfig": {
                **oidc_endpoints(tier.okta_issuer),
                "ClientId": client_id,
                "Scope": "openid profile email",
                "SessionCookieName": naming.name(ctx.env, SERVICE, "session"),
                "SessionTimeout": SESSION_SECONDS,
                "OnUnauthenticatedRequest": "authenticate",
            },
        },
        {"Type": "forward", "Order": 2, "TargetGroupArn": target_group_arn},
    ]


def without_secret(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keep = (
        "Issuer",
        "AuthorizationEndpoint",
        "TokenEndpoint",
        "UserInfoEndpoint",
        "ClientId",
        "Scope",
        "SessionCookieName",
        "SessionTimeout",
        "OnUnauthenticatedRequest",
    )
    cleaned = []
    for action in actions:
        item: dict[str, Any] = {"Type": action["Type"], "Order": action.get("Order")}
        if "AuthenticateOidcConfig" in action:
            config = action["AuthenticateOidcConfig"]
            item["AuthenticateOidcConfig"] = {k: config[k] for k in keep if k in config}
        if "TargetGroupArn" in action:
            item["TargetGroupArn"] = action["TargetGroupArn"]
        if "RedirectConfig" in action:
            item["RedirectConfig"] = action["RedirectConfig"]
        cleaned.append(item)
    return sorted(cleaned, key=lambda a: a["Order"] or 0)


def with_secret(actions: list[dict[str, Any]], secret: str | None) -> list[dict[str, Any]]:
    """The actions to send: the client secret from Secrets Manager, or keep the one AWS stored."""
    sent = []
    for action in actions:
        if "AuthenticateOidcConfig" in action:
            config = dict(action["AuthenticateOidcConfig"])
            if secret is None:
                config["UseExistingClientSecret"] = True
            else:
                config["ClientSecret"] = secret
            action = {**action, "AuthenticateOidcConfig": config}
        sent.append(action)
    return sent


# ---------------------------------------------------------------------------------------------------------
# Resources


def target_group_resource(ctx: Context) -> Resource:
    elb = ctx.aws.client("elbv2")
    name = target_group_name(ctx.env)
    health = {
        "HealthCheckProtocol": "HTTP",
        "HealthCheckPath": HEALTH_PATH,
        "HealthCheckPort": "traffic-port",
        "HealthCheckIntervalSeconds": 30,
        "HealthCheckTimeoutSeconds": 5,
        "HealthyThresholdCount": 2,
        "UnhealthyThresholdCount": 3,
        "Matcher": {"HttpCode": "200"},
    }
    # Sticky sessions: a marimo session lives in one task; short deregistration delay for fast deploys.
    attributes = {
        "deregistration_delay.timeout_seconds": "30",
        "stickiness.enabled": "true",
        "stickiness.type": "lb_cookie",
        "stickiness.lb_cookie.duration_seconds": str(SESSION_SECONDS),
    }

    def arn() -> str:
        return _required(target_group_arn(ctx), f"target group {name}")

    def create() -> None:
        elb.create_target_group(
            Name=name,
            Protocol="HTTP",
            Port=TASK_PORT,
            VpcId=network.require_vpc_id(ctx),
            TargetType="ip",  # Fargate tasks register by IP
            Tags=to_list(standard_tags(ctx.config, SERVICE)),
            **health,
        )

    def read_health() -> dict[str, Any] | None:
        found = find_target_group(ctx)
        return {k: found.get(k) for k in health} if found else None

    def read_attributes() -> dict[str, str]:
        found = elb.describe_target_group_attributes(TargetGroupArn=arn())["Attributes"]
        return {a["Key"]: a["Value"] for a in found if a["Key"] in attributes}

    return Resource(
        SERVICE,
        f"target-group {name}",
        exists=lambda: target_group_arn(ctx) is not None,
        create=create,
        create_api="elbv2.create_target_group",
        attributes=[
            Attribute(
                "health-check",
                health,
                read_health,
                lambda v: elb.modify_target_group(
                    TargetGroupArn=arn(), **{k: x for k, x in v.items() if k != "HealthCheckProtocol"}
                ),
                api="elbv2.modify_target_group",
            ),
            Attribute(
                "attributes",
                attributes,
                read_attributes,
                lambda v: elb.modify_target_group_attributes(
                    TargetGroupArn=arn(), Attributes=[{"Key": k, "Value": x} for k, x in sorted(v.items())]
                ),
                api="elbv2.modify_target_group_attributes",
            ),
            _tag_attribute(ctx, arn),
        ],
    )


def load_balancer_resource(ctx: Context) -> Resource:
    elb = ctx.aws.client("elbv2")
    name = alb_name(ctx.env)
    attributes = {
        "idle_timeout.timeout_seconds": str(IDLE_TIMEOUT_SECONDS),
        "routing.http.drop_invalid_header_fields.enabled": "true",
        "deletion_protection.enabled": "false",
    }

    def arn() -> str:
        return _required(load_balancer_arn(ctx), f"load balancer {name}")

    def desired_subnets() -> list[str]:
        try:
            return sorted(network.subnet_ids(ctx, "public"))
        except RuntimeError:
            return ["(public subnets)"]

    def desired_groups() -> list[str]:
        found = network.security_group_id(ctx, "alb")
        return [found or "(alb security group)"]

    def create() -> None:
        elb.create_load_balancer(
            Name=name,
            Subnets=network.subnet_ids(ctx, "public"),
            SecurityGroups=[network.require_security_group_id(ctx, "alb")],
            Scheme="internet-facing",
            Type="application",
            IpAddressType="ipv4",
            Tags=to_list(standard_tags(ctx.config, SERVICE)),
        )
        elb.get_waiter("load_balancer_available").wait(Names=[name])

    def read_attributes() -> dict[str, str]:
        found = elb.describe_load_balancer_attributes(LoadBalancerArn=arn())["Attributes"]
        return {a["Key"]: a["Value"] for a in found if a["Key"] in attributes}

    return Resource(
        SERVICE,
        f"load-balancer {name}",
        exists=lambda: load_balancer_arn(ctx) is not None,
        create=create,
        create_api="elbv2.create_load_balancer",
        attributes=[
            Attribute(
                "subnets",
                desired_subnets(),
                lambda: sorted(
                    z["SubnetId"] for z in (find_load_balancer(ctx) or {}).get("AvailabilityZones", [])
                ),
                lambda _: elb.set_subnets(LoadBalancerArn=arn(), Subnets=network.subnet_ids(ctx, "public")),
                api="elbv2.set_subnets",
            ),
            Attribute(
                "security-groups",
                desired_groups(),
                lambda: sorted((find_load_balancer(ctx) or {}).get("SecurityGroups", [])),
                lambda _: elb.set_security_groups(
                    LoadBalancerArn=arn(), SecurityGroups=[network.require_security_group_id(ctx, "alb")]
                ),
                api="elbv2.set_security_groups",
            ),
            Attribute(
                "attributes",
                attributes,
                read_attributes,
                lambda v: elb.modify_load_balancer_attributes(
                    LoadBalancerArn=arn(), Attributes=[{"Key": k, "Value": x} for k, x in sorted(v.items())]
                ),
                api="elbv2.modify_load_balancer_attributes",
            ),
            _tag_attribute(ctx, arn),
        ],
    )


def http_listener_resource(ctx: Context) -> Resource:
    elb = ctx.aws.client("elbv2")
    redirect: list[dict[str, Any]] = [
        {
            "Type": "redirect",
            "Order": 1,
            "RedirectConfig": {
                "Protocol": "HTTPS",
                "Port": "443",
                "Host": "#{host}",
                "Path": "/#{path}",
                "Query": "#{query}",
                "StatusCode": "HTTP_301",
            },
        }
    ]

    def arn() -> str:
        return _arn(find_listener(ctx, 80), "ListenerArn", f"HTTP listener of {alb_name(ctx.env)}")

    def read_actions() -> list[dict[str, Any]] | None:
        found = find_listener(ctx, 80)
        if not found:
            return None
        actions = without_secret(found["DefaultActions"])
        for action in actions:  # AWS fills the defaults of the redirect; moto leaves them out
            if "RedirectConfig" in action:
                action["RedirectConfig"] = {**redirect[0]["RedirectConfig"], **action["RedirectConfig"]}
            action["Order"] = action["Order"] or 1
        return actions

    def create() -> None:
        elb.create_listener(
            LoadBalancerArn=_required(load_balancer_arn(ctx), "load balancer"),
            Protocol="HTTP",
            Port=80,
            DefaultActions=redirect,
            Tags=to_list(standard_tags(ctx.config, SERVICE)),
        )

    return Resource(
        SERVICE,
        f"listener {alb_name(ctx.env)}:80",
        exists=lambda: find_listener(ctx, 80) is not None,
        create=create,
        create_api="elbv2.create_listener",
        attributes=[
            Attribute(
                "redirect",
                redirect,
                read_actions,
                lambda v: elb.modify_listener(ListenerArn=arn(), Protocol="HTTP", Port=80, DefaultActions=v),
                api="elbv2.modify_listener",
            ),
            _tag_attribute(ctx, arn),
        ],
    )


def https_listener_resource(ctx: Context, tier: ComputeTier) -> Resource:
    elb = ctx.aws.client("elbv2")
    client = okta_client(ctx, required=False)
    target_group = target_group_arn(ctx)

    def desired_actions() -> list[dict[str, Any]]:
        return https_actions(
            ctx,
            tier,
            client["client_id"] if client else "(from Secrets Manager)",
            target_group or "(target group)",
        )

    def current_actions() -> list[dict[str, Any]]:
        """Built at apply time: ids and the client id may be new since plan."""
        now = okta_client(ctx, required=True)
        assert now is not None
        tg = _required(target_group_arn(ctx), "target group")
        return https_actions(ctx, tier, now["client_id"], tg)

    def arn() -> str:
        return _arn(find_listener(ctx, 443), "ListenerArn", f"HTTPS listener of {alb_name(ctx.env)}")

    def create() -> None:
        secret = okta_client(ctx, required=True)
        assert secret is not None
        elb.create_listener(
            LoadBalancerArn=_required(load_balancer_arn(ctx), "load balancer"),
            Protocol="HTTPS",
            Port=443,
            SslPolicy=SSL_POLICY,
            Certificates=[{"CertificateArn": dns.certificate_arn(ctx)}],
            DefaultActions=with_secret(current_actions(), secret["client_secret"]),
            Tags=to_list(standard_tags(ctx.config, SERVICE)),
        )

    def read_actions() -> list[dict[str, Any]] | None:
        found = find_listener(ctx, 443)
        return without_secret(found["DefaultActions"]) if found else None

    def write_actions(_: Any) -> None:
        found = find_listener(ctx, 443)
        wanted = current_actions()
        if found and canonical(without_secret(found["DefaultActions"])) == canonical(wanted):
            return
        old_ids = {
            a.get("AuthenticateOidcConfig", {}).get("ClientId")
            for a in (found or {}).get("DefaultActions", [])
        }
        new_id = wanted[0]["AuthenticateOidcConfig"]["ClientId"]
        # A new client id needs its own secret; otherwise keep the one the ALB already has.
        secret = okta_client(ctx, required=True)["client_secret"] if new_id not in old_ids else None  # type: ignore[index]
        elb.modify_listener(ListenerArn=arn(), DefaultActions=with_secret(wanted, secret))

    def read_certificate() -> str | None:
        found = find_listener(ctx, 443)
        return found["Certificates"][0]["CertificateArn"] if found and found.get("Certificates") else None

    def desired_certificate() -> str:
        found = dns.find_certificate(ctx, dns.settings(ctx).domain)
        return found["CertificateArn"] if found else "(certificate of the dns service)"

    return Resource(
        SERVICE,
        f"listener {alb_name(ctx.env)}:443",
        exists=lambda: find_listener(ctx, 443) is not None,
        create=create,
        create_api="elbv2.create_listener",
        attributes=[
            Attribute(
                "authenticate-oidc-then-forward",
                desired_actions(),
                read_actions,
                write_actions,
                api="elbv2.modify_listener",
            ),
            Attribute(
                "certificate",
                desired_certificate(),
                read_certificate,
                lambda _: elb.modify_listener(
                    ListenerArn=arn(), Certificates=[{"CertificateArn": dns.certificate_arn(ctx)}]
                ),
                api="elbv2.modify_listener",
            ),
            Attribute(
                "ssl-policy",
                SSL_POLICY,
                lambda: (find_listener(ctx, 443) or {}).get("SslPolicy"),
                lambda v: elb.modify_listener(ListenerArn=arn(), SslPolicy=v),
                api="elbv2.modify_listener",
            ),
            _tag_attribute(ctx, arn),
        ],
    )


def rotate_oidc_secret_action(ctx: Context, tier: ComputeTier) -> Action:
    """`apply --rotate-oidc-secret`: send the secret now in Secrets Manager to the HTTPS listener."""
    elb = ctx.aws.client("elbv2")

    def push() -> None:
        client = okta_client(ctx, required=True)
        assert client is not None
        listener = _arn(find_listener(ctx, 443), "ListenerArn", f"HTTPS listener of {alb_name(ctx.env)}")
        tg = _required(target_group_arn(ctx), "target group")
        actions = https_actions(ctx, tier, client["client_id"], tg)
        elb.modify_listener(
            ListenerArn=listener, DefaultActions=with_secret(actions, client["client_secret"])
        )

    step = Call("elbv2.modify_listener", push)
    return Action(SERVICE, "update", f"listener {alb_name(ctx.env)}:443", ("client-secret",), (step,))


def alias_resource(ctx: Context) -> Resource:
    domain = dns.settings(ctx).domain

    def desired() -> dict[str, Any] | str:
        lb = find_load_balancer(ctx)
        return dns.alias_record(ctx, lb) if lb else "(alias to the load balancer)"

    def normalized(record: dict[str, Any]) -> dict[str, Any]:
        target = record["AliasTarget"]
        return {**record, "AliasTarget": {**target, "DNSName": target["DNSName"].rstrip(".").lower() + "."}}

    def write(_: Any) -> None:
        lb = find_load_balancer(ctx)
        if not lb:
            raise RuntimeError(
                f"load balancer {alb_name(ctx.env)} not found: apply the compute service first"
            )
        dns.write_alias(ctx, dns.alias_record(ctx, lb))

    want = desired()
    return Resource(
        SERVICE,
        f"dns-record {domain} A",
        exists=lambda: dns.read_alias(ctx) is not None,
        create=lambda: write(want),
        create_api=dns.ALIAS_API,
        attributes=[
            Attribute(
                "alias",
                normalized(want) if isinstance(want, dict) else want,
                lambda: dns.read_alias(ctx),
                write,
                api=dns.ALIAS_API,
            )
        ],
    )


# ---------------------------------------------------------------------------------------------------------
# Destroy


def destroy_actions(ctx: Context) -> list[Action]:
    elb = ctx.aws.client("elbv2")
    actions: list[Action] = []
    lb = find_load_balancer(ctx)
    tg = find_target_group(ctx)
    managed_lb = lb is not None and _elb_tags(ctx, lb["LoadBalancerArn"]).get("ManagedBy") == "mplat-infra"
    if managed_lb and compute_tier(ctx.config).dns is not None:
        record = dns.read_alias(ctx)
        if record:
            actions.append(
                Action(
                    SERVICE,
                    "delete",
                    f"dns-record {dns.settings(ctx).domain} A",
                    (),
                    (
                        Call(
                            dns.ALIAS_API,
                            lambda: dns.write_alias(ctx, _route53_record(ctx, record), "DELETE"),
                        ),
                    ),
                )
            )
    if managed_lb:
        assert lb is not None
        for port in (443, 80):
            listener = find_listener(ctx, port)
            if listener:
                actions.append(
                    Action(
                        SERVICE,
                        "delete",
                        f"listener {alb_name(ctx.env)}:{port}",
                        (),
                        (partial(elb.delete_listener, ListenerArn=listener["ListenerArn"]),),
                    )
                )

        def delete_lb() -> None:
            elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
            elb.get_waiter("load_balancers_deleted").wait(LoadBalancerArns=[lb["LoadBalancerArn"]])

        step = Call("elbv2.delete_load_balancer", delete_lb)
        actions.append(Action(SERVICE, "delete", f"load-balancer {alb_name(ctx.env)}", (), (step,)))
    if tg and _elb_tags(ctx, tg["TargetGroupArn"]).get("ManagedBy") == "mplat-infra":
        actions.append(
            Action(
                SERVICE,
                "delete",
                f"target-group {target_group_name(ctx.env)}",
                (),
                (partial(elb.delete_target_group, TargetGroupArn=tg["TargetGroupArn"]),),
            )
        )
    return actions


def _route53_record(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """DELETE needs the record exactly as stored (Route53 compares the DNS name as it returned it)."""
    domain = dns.settings(ctx)
    found = ctx.aws.client("route53").list_resource_record_sets(
        HostedZoneId=dns.hosted_zone_id(ctx, domain.zone),
        StartRecordName=domain.domain,
        StartRecordType="A",
        MaxItems="1",
    )["ResourceRecordSets"]
    return dict(found[0]) if found else record
