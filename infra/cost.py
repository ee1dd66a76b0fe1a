"""`python -m infra cost --env ENV`: a monthly EUR estimate per resource `apply` creates, with the compute tier
on around the clock, on office hours only, and off.

Prices: AWS list prices for eu-central-1 (Frankfurt) in USD, as published on AWS's pricing pages, checked on
`PRICES_CHECKED`; converted to EUR at `EUR_PER_USD` (ECB reference rate of that date, rounded). Free tiers
that expire after the first year are ignored; permanent free allowances (Lambda, CloudFront's first 1 TB,
EventBridge Scheduler's 14 million invocations, two free budgets) are applied. Usage assumptions (GB stored,
log volume, traffic) are in `USAGE` and printed with the table: edit them when your usage differs.
docs/cost.md explains the table and the assumptions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from infra import naming
from infra.config import EnvConfig
from infra.currency import EUR_PER_USD, PRICES_CHECKED, eur
from infra.services import compute, efs, monitoring, network, schedule
from infra.services.compute_settings import ComputeTier, compute_tier

HOURS_PER_MONTH = 730.0

# USD list prices, eu-central-1. One place to update when AWS changes a price.
PRICE_USD = {
    "fargate_vcpu_hour": 0.04656,
    "fargate_gb_hour": 0.00511,
    "alb_hour": 0.0270,
    "alb_lcu_hour": 0.008,
    "public_ipv4_hour": 0.005,
    "nat_gateway_hour": 0.052,
    "nat_gateway_gb": 0.052,
    "interface_endpoint_az_hour": 0.012,
    "efs_standard_gb_month": 0.36,
    "ecr_gb_month": 0.10,
    "logs_ingest_gb": 0.63,
    "logs_store_gb_month": 0.0324,
    "alarm_metric_month": 0.10,
    "route53_zone_month": 0.50,
    "secret_month": 0.40,
    "s3_standard_gb_month": 0.0245,
    "s3_glacier_ir_gb_month": 0.0045,
}
# What each price is for, as AWS's price pages name it (the cost table's "list price" column).
PRICE_UNIT = {
    "fargate_vcpu_hour": "Fargate per vCPU-hour",
    "fargate_gb_hour": "Fargate per GB-hour",
    "alb_hour": "ALB per hour",
    "alb_lcu_hour": "ALB per LCU-hour",
    "public_ipv4_hour": "public IPv4 per hour",
    "nat_gateway_hour": "NAT gateway per hour",
    "nat_gateway_gb": "NAT per GB processed",
    "interface_endpoint_az_hour": "interface endpoint per AZ-hour",
    "efs_standard_gb_month": "EFS Standard per GB-month",
    "ecr_gb_month": "ECR per GB-month",
    "logs_ingest_gb": "Logs per GB ingested",
    "logs_store_gb_month": "Logs per GB-month stored",
    "alarm_metric_month": "alarm per metric-month",
    "route53_zone_month": "hosted zone per month",
    "secret_month": "secret per month",
    "s3_standard_gb_month": "S3 Standard per GB-month",
    "s3_glacier_ir_gb_month": "S3 Glacier IR per GB-month",
}

# Usage assumptions for a small team (a few analysts, daily ingestion).
USAGE = {
    "alb_lcu": 0.2,  # average load balancer capacity units (light interactive use)
    "efs_gb": 2.0,  # scratch filled to its 2 GB limit
    "ecr_gb": 1.5,  # the marimo image (compressed), a few versions share layers
    "logs_gb": 1.0,  # per month from marimo and the Lambdas
    "raw_gb": 5.0,
    "derived_gb": 1.0,
    "site_gb": 0.1,
    "nat_gb": 5.0,
}


@dataclass(frozen=True)
class Line:
    """One resource's monthly EUR cost with the compute tier on (24/7), on office hours, and off."""

    service: str
    resource: str  # as `plan` prints it: "<type> <name>"
    basis: str
    on: float
    office: float
    off: float
    prices: tuple[str, ...] = ()  # keys of PRICE_USD the amounts come from

    @property
    def source(self) -> str:
        """The list prices behind this line, e.g. "USD 0.0245 S3 Standard per GB-month"."""
        return "; ".join(f"USD {PRICE_USD[key]:g} {PRICE_UNIT[key]}" for key in self.prices) or "–"


def _same(service: str, resource: str, basis: str, monthly_eur: float, *prices: str) -> Line:
    return Line(service, resource, basis, monthly_eur, monthly_eur, monthly_eur, prices)


def _compute_only(
    service: str, resource: str, basis: str, on: float, office: float | None = None, *prices: str
) -> Line:
    return Line(service, resource, basis, on, on if office is None else office, 0.0, prices)


def _free(service: str, resource: str, basis: str = "free") -> Line:
    return _same(service, resource, basis, 0.0)


def _free_compute(service: str, resource: str, basis: str = "free") -> Line:
    return _compute_only(service, resource, basis, 0.0)


# ---------------------------------------------------------------------------------------------------------
# Inventory: what apply creates, per service (names from the same functions the services use)


def core_lines(config: EnvConfig, account_id: str) -> list[Line]:
    env = config.env
    p, u = PRICE_USD, USAGE
    lines = [
        _same(
            "storage",
            f"s3-bucket {naming.raw_bucket(env, account_id)}",
            f"{u['raw_gb']:g} GB Standard",
            eur(u["raw_gb"] * p["s3_standard_gb_month"]),
            "s3_standard_gb_month",
        ),
        _same(
            "storage",
            f"s3-bucket {naming.derived_bucket(env, account_id)}",
            f"{u['derived_gb']:g} GB Standard",
            eur(u["derived_gb"] * p["s3_standard_gb_month"]),
            "s3_standard_gb_month",
        ),
    ]
    for role in ("ingest-lambda", "transform-lambda", "fargate-execution", "fargate-task"):
        lines.append(_free("iam", f"iam-role {naming.role_name(env, role)}"))
    for device in config.onprem_devices:
        user, secret = naming.onprem_user(env, device), naming.onprem_secret(env, device)
        lines.append(_free("iam", f"iam-user {user}"))
        lines.append(_free("iam", f"access-key {user} -> secret {secret}", "key free; secret below"))
    secrets = [naming.okta_secret(env)]
    secrets += [naming.ingest_secret(env, s) for s in config.ingestion_sources]
    secrets += [naming.onprem_secret(env, d) for d in config.onprem_devices]
    for secret in secrets:
        lines.append(_same("secrets", f"secret {secret}", "1 secret", eur(p["secret_month"]), "secret_month"))
    lines.append(
        _same(
            "site",
            f"s3-bucket {naming.site_bucket(env, account_id)}",
            f"{u['site_gb']:g} GB Standard",
            eur(u["site_gb"] * p["s3_standard_gb_month"]),
            "s3_standard_gb_month",
        )
    )
    if config.site.cdn:
        site = naming.site_bucket(env, account_id)
        lines.append(_free("site", f"s3-bucket-policy {site}"))
        for kind, thing in (
            ("cloudfront-distribution", "distribution"),
            ("cloudfront-function", "index-rewrite"),
            ("cloudfront-oac", "oac"),
            ("cloudfront-response-headers-policy", "headers"),
        ):
            lines.append(_free("site", f"{kind} {naming.name(env, 'site', thing)}", "first 1 TB out free"))
    for function in [naming.ingest_function(s) for s in config.ingestion_sources] + [
        naming.TRANSFORM_FUNCTION
    ]:
        lambda_name = naming.lambda_function(env, function)
        lines.append(
            _free("ingestion", f"lambda {lambda_name}", "Lambda free allowance (Chalice deploys it)")
        )
        lines.append(
            _free("ingestion", f"log-group /aws/lambda/{lambda_name}", "a few MB a month (logs row)")
        )
    lines.append(
        _free(
            "ingestion", f"sqs-queue {naming.name(env, 'ingestion', 'failures')}", "first 1 M requests free"
        )
    )
    return lines


def network_lines(config: EnvConfig, tier: ComputeTier) -> list[Line]:
    env, settings, p = config.env, tier.network, PRICE_USD
    name = network.resource_name
    lines = [_free_compute("network", f"vpc {name(env, 'vpc')}")]
    for t in ("public", "private"):
        lines += [_free_compute("network", f"subnet {n}") for n in network.subnet_names(env, t)]
    lines.append(_free_compute("network", f"internet-gateway {name(env, 'igw')}"))
    if settings.nat_gateway:
        ip = eur(p["public_ipv4_hour"] * HOURS_PER_MONTH)
        lines.append(
            _compute_only(
                "network",
                f"elastic-ip {name(env, 'nat-eip')}",
                "public IPv4 24/7",
                ip,
                None,
                "public_ipv4_hour",
            )
        )
        nat = eur(p["nat_gateway_hour"] * HOURS_PER_MONTH + p["nat_gateway_gb"] * USAGE["nat_gb"])
        lines.append(
            _compute_only(
                "network",
                f"nat-gateway {name(env, 'nat')}",
                f"24/7 + {USAGE['nat_gb']:g} GB",
                nat,
                None,
                "nat_gateway_hour",
                "nat_gateway_gb",
            )
        )
    lines += [_free_compute("network", f"route-table {name(env, f'{t}-rt')}") for t in ("public", "private")]
    for role, _, _ in network.SECURITY_GROUPS:
        if role != "endpoint" or settings.interface_endpoints:
            lines.append(_free_compute("network", f"security-group {network.sg_name(env, role)}"))
    lines.append(
        _free_compute("network", f"vpc-endpoint {name(env, 's3-endpoint')}", "gateway endpoint: free")
    )
    if settings.interface_endpoints:
        each = eur(2 * p["interface_endpoint_az_hour"] * HOURS_PER_MONTH)
        for service in network.INTERFACE_ENDPOINTS:
            resource = f"vpc-endpoint {name(env, service.replace('.', '-') + '-endpoint')}"
            lines.append(
                _compute_only("network", resource, "2 AZs 24/7", each, None, "interface_endpoint_az_hour")
            )
    return lines


def compute_lines(config: EnvConfig, tier: ComputeTier, account_id: str) -> list[Line]:
    env, c, p, u = config.env, tier.compute, PRICE_USD, USAGE
    office_hours = (
        tier.compute.office_hours.hours_per_month
        if tier.compute.office_hours
        else _default_office_hours(config)
    )
    task_hour = c.desired_count * (
        c.cpu / 1024 * p["fargate_vcpu_hour"] + c.memory / 1024 * p["fargate_gb_hour"]
    )
    if not tier.network.tasks_in_private_subnets:
        task_hour += c.desired_count * p["public_ipv4_hour"]  # each task's public IP
    alb_hour = p["alb_hour"] + u["alb_lcu"] * p["alb_lcu_hour"] + 2 * p["public_ipv4_hour"]  # 2 AZs = 2 IPs
    alb = eur(alb_hour * HOURS_PER_MONTH)
    assert tier.dns is not None
    return [
        _compute_only("dns", f"acm-certificate {tier.dns.domain}", "public certificate: free", 0.0),
        _compute_only(
            "dns",
            f"route53-zone {tier.dns.zone} (existing)",
            "hosted zone",
            eur(p["route53_zone_month"]),
            None,
            "route53_zone_month",
        ),
        _compute_only(
            "efs",
            f"efs-file-system {efs.file_system_name(env)}",
            f"{u['efs_gb']:g} GB Standard",
            eur(u["efs_gb"] * p["efs_standard_gb_month"]),
            None,
            "efs_standard_gb_month",
        ),
        _free_compute("efs", f"efs-mount-targets {efs.file_system_name(env)}"),
        _free_compute("efs", f"efs-access-point {efs.access_point_name(env)}"),
        _compute_only(
            "compute",
            f"ecr-repository {compute.repository_name(env)}",
            f"{u['ecr_gb']:g} GB images",
            eur(u["ecr_gb"] * p["ecr_gb_month"]),
            None,
            "ecr_gb_month",
        ),
        _compute_only(
            "compute",
            f"log-group {compute.log_group_name(env)}",
            f"{u['logs_gb']:g} GB/month",
            eur(u["logs_gb"] * (p["logs_ingest_gb"] + p["logs_store_gb_month"])),
            None,
            "logs_ingest_gb",
            "logs_store_gb_month",
        ),
        _free_compute("compute", f"ecs-cluster {compute.cluster_name(env)}"),
        _free_compute("compute", f"ecs-task-definition {compute.family(env)}"),
        _free_compute("compute", f"target-group {naming.name(env, 'compute', 'tg')}"),
        _compute_only(
            "compute",
            f"load-balancer {naming.name(env, 'compute', 'alb')}",
            f"24/7, {u['alb_lcu']:g} LCU, 2 public IPv4",
            alb,
            None,
            "alb_hour",
            "alb_lcu_hour",
            "public_ipv4_hour",
        ),
        _free_compute("compute", f"listener {naming.name(env, 'compute', 'alb')}:443"),
        _free_compute("compute", f"listener {naming.name(env, 'compute', 'alb')}:80"),
        _compute_only(
            "compute",
            f"ecs-service {compute.service_name(env)}",
            f"{c.desired_count} x {c.cpu / 1024:g} vCPU / {c.memory / 1024:g} GB Fargate; office hours = "
            f"{office_hours:.0f} h",
            eur(task_hour * HOURS_PER_MONTH),
            eur(task_hour * office_hours),
            "fargate_vcpu_hour",
            "fargate_gb_hour",
            *(() if tier.network.tasks_in_private_subnets else ("public_ipv4_hour",)),
        ),
        _free_compute("compute", f"dns-record {tier.dns.domain} A", "alias queries are free"),
        Line("schedule", f"iam-role {schedule.role_name(env)}", "office hours only: free", 0.0, 0.0, 0.0),
        Line(
            "schedule", f"schedule-group {schedule.group_name(env)}", "office hours only: free", 0.0, 0.0, 0.0
        ),
        Line("schedule", f"schedule {schedule.schedule_name(env, 'start')}", "free allowance", 0.0, 0.0, 0.0),
        Line("schedule", f"schedule {schedule.schedule_name(env, 'stop')}", "free allowance", 0.0, 0.0, 0.0),
        *[
            _compute_only(
                "monitoring",
                f"alarm {monitoring.alarm_name(env, a)}",
                "3 metrics" if a == "alb-5xx" else "1 metric",
                eur((3 if a == "alb-5xx" else 1) * p["alarm_metric_month"]),
                None,
                "alarm_metric_month",
            )
            for a in monitoring.COMPUTE_ALARMS
            if tier.monitoring.enabled
        ],
    ]


def _default_office_hours(config: EnvConfig) -> float:
    """Office hours as configured (even when switched off), to show what switching them on would cost."""
    from infra.services.compute_settings import OfficeHours

    section = config.raw.get("compute", {})
    return OfficeHours(
        days=section.get("office_days", "MON-FRI"),
        start_hour=section.get("office_start_hour", 7),
        end_hour=section.get("office_end_hour", 19),
        timezone=section.get("timezone", "Europe/Berlin"),
    ).hours_per_month


def monitoring_lines(config: EnvConfig) -> list[Line]:
    env, p = config.env, PRICE_USD
    if not compute_tier(config).monitoring.enabled:
        return []
    lines = [_free("monitoring", f"sns-topic {monitoring.topic_name(env)}", "first 1,000 e-mails free")]
    functions = [naming.ingest_function(s) for s in config.ingestion_sources] + [naming.TRANSFORM_FUNCTION]
    for function in functions:  # one errors alarm per Chalice Lambda (monitoring.lambda_alarms)
        alarm = monitoring.alarm_name(env, f"{function.removesuffix('-function')}-errors")
        lines.append(
            _same(
                "monitoring", f"alarm {alarm}", "1 metric", eur(p["alarm_metric_month"]), "alarm_metric_month"
            )
        )
    lines.append(_free("monitoring", f"budget {monitoring.budget_name(env)}", "first 2 budgets free"))
    return lines


def estimate(config: EnvConfig, account_id: str = "123456789012") -> list[Line]:
    tier = compute_tier(config)
    lines = core_lines(config, account_id)
    if tier.dns is not None:  # the compute tier's lines (zero in the "off" column)
        lines += network_lines(config, tier) + compute_lines(config, tier, account_id)
    return lines + monitoring_lines(config)


# ---------------------------------------------------------------------------------------------------------
# Report


def current_mode(tier: ComputeTier) -> str:
    if not tier.compute.enabled:
        return "off"
    return "office" if tier.compute.office_hours else "on"


def totals(lines: Iterable[Line]) -> dict[str, float]:
    lines = list(lines)
    return {mode: round(sum(getattr(line, mode) for line in lines), 2) for mode in ("on", "office", "off")}


def render(config: EnvConfig, lines: list[Line]) -> str:
    tier = compute_tier(config)
    mode = current_mode(tier)
    label = {"on": "compute 24/7", "office": "office hours", "off": "compute off"}
    header = f"| service | resource | basis | {' | '.join(label[m] + (' *' if m == mode else '') for m in ('on', 'office', 'off'))} | list price |"
    out = [
        f"Monthly estimate for {config.env} in EUR (eu-central-1 list prices of {PRICES_CHECKED}, "
        f"1 USD = {EUR_PER_USD} EUR). * = this env's config.",
        "",
        header,
        "|---|---|---|---:|---:|---:|---|",
    ]
    for line in lines:
        out.append(
            f"| {line.service} | {line.resource} | {line.basis} | {line.on:.2f} | {line.office:.2f} | {line.off:.2f} "
            f"| {line.source} |"
        )
    total = totals(lines)
    out.append(
        f"| **total** | | | **{total['on']:.2f}** | **{total['office']:.2f}** | **{total['off']:.2f}** | |"
    )
    out += [
        "",
        f"This config ({label[mode]}): EUR {total[mode]:.2f} a month; budget alert at EUR "
        f"{tier.monitoring.budget_warning_eur} and EUR {tier.monitoring.budget_eur}.",
        "Assumptions: " + ", ".join(f"{k} = {v:g}" for k, v in USAGE.items()) + " (infra/cost.py USAGE).",
    ]
    return "\n".join(out)


def account_id_or_placeholder(region: str) -> str:
    """The caller's account id when credentials are at hand (bucket names contain it), else a placeholder:
    the estimate itself needs no AWS access."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        sts = boto3.client(
            "sts", region_name=region, config=Config(connect_timeout=2, retries={"max_attempts": 1})
        )
        return str(sts.get_caller_identity()["Account"])
    except (BotoCoreError, ClientError):
        return "<account-id>"


# ---------------------------------------------------------------------------------------------------------
# Accounts: envs that share one AWS account share its bill and its budget


@dataclass(frozen=True)
class EnvCost:
    env: str
    account: str
    mode: str  # "on", "office" or "off": the column this env's config selects
    total: float  # EUR a month as configured
    server_tier: float  # EUR a month the server tier adds (on), or would add when turned on (off)
    budget_eur: int


def _on_mode(tier: ComputeTier) -> str:
    return "office" if tier.compute.office_hours else "on"


def env_cost(config: EnvConfig, account_id: str = "<account-id>") -> EnvCost:
    tier = compute_tier(config)
    total = totals(estimate(config, account_id))
    mode = current_mode(tier)
    return EnvCost(
        env=config.env,
        account=config.project.account,
        mode=mode,
        total=total[mode],
        server_tier=round(total[_on_mode(tier)] - total["off"], 2),
        budget_eur=tier.monitoring.budget_eur,
    )


def account_budget(costs: Iterable[EnvCost]) -> int:
    """One AWS Budgets budget watches the whole account: the lowest any of its envs asks for."""
    return min(c.budget_eur for c in costs)


MODE_LABEL = {"on": "server tier 24/7", "office": "server tier office hours", "off": "server tier off"}


def render_accounts(costs: list[EnvCost]) -> tuple[str, bool]:
    """Per account: each env's line, the sum and the budget. Returns the text and whether any account is
    over its budget."""
    out = [
        f"Monthly estimate per account in EUR (eu-central-1 list prices of {PRICES_CHECKED}, "
        f"1 USD = {EUR_PER_USD} EUR; `python -m infra cost --env ENV` for each resource)."
    ]
    over = False
    for account in sorted({c.account for c in costs}):
        members = sorted((c for c in costs if c.account == account), key=lambda c: c.env)
        budget = account_budget(members)
        total = round(sum(c.total for c in members), 2)
        out += ["", f"account {account} (budget EUR {budget}):"]
        for c in members:
            if c.mode != "off":
                note = f"of which server tier {c.server_tier:.2f}"
            elif c.server_tier:
                note = f"turning the server tier on adds {c.server_tier:.2f}"
            else:
                note = "no server tier in this config"
            out.append(f"  {c.env:<10} {MODE_LABEL[c.mode]:<26} {c.total:>8.2f}   ({note})")
        if total > budget:
            over = True
            out.append(
                f"  {'total':<10} {'':<26} {total:>8.2f}   OVER the budget of EUR {budget} by "
                f"{total - budget:.2f}: turn a server tier off ([compute] enabled = false), keep office "
                "hours on, or lower cpu/memory/desired_count"
            )
        else:
            out.append(f"  {'total':<10} {'':<26} {total:>8.2f}   within the budget of EUR {budget}")
    return "\n".join(out), over


def render_server_tier(this: EnvCost, account: list[EnvCost]) -> str:
    """What the server tier costs this env, or what turning it on would add, with the new totals."""
    others = round(sum(c.total for c in account if c.env != this.env), 2)
    budget = account_budget(account)
    if this.mode == "off":
        new_total = round(this.total + this.server_tier, 2)
        return (
            f"Server tier off. Turning it on ([compute] enabled = true) adds EUR {this.server_tier:.2f} a month: "
            f"{this.env} EUR {new_total:.2f}, account {this.account} EUR {others + new_total:.2f} "
            f"(budget EUR {budget})."
        )
    return (
        f"Server tier on: EUR {this.server_tier:.2f} of {this.env}'s EUR {this.total:.2f}; account "
        f"{this.account} EUR {others + this.total:.2f} (budget EUR {budget})."
    )
