"""Settings of the compute tier (`[network]`, `[dns]`, `[compute]`, `[monitoring]` in `infra/envs/<env>.toml`).

Parsed with the engine's `SectionReader`, so every error names the file and field. One function per section;
`compute_settings(config)` is what the services call. `[compute] enabled = false` switches the whole tier off
(network, efs, dns, compute, schedule and the compute alarms): the WebAssembly gallery alone costs almost nothing.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from infra.config import ConfigError, EnvConfig

# Fargate accepts only these cpu → memory (MiB) combinations.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
}
# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_DAYS = re.compile(
    r"^(MON|TUE|WED|THU|FRI|SAT|SUN)(-(MON|TUE|WED|THU|FRI|SAT|SUN))?(,(MON|TUE|WED|THU|FRI|SAT|SUN))*$"
)
_TZ = re.compile(r"^[A-Za-z_]+(/[A-Za-z_+-]+)*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
_ENV_VAR = re.compile(r"^[A-Z][A-Z0-9_]*$")
# A git commit (what scripts/push-image tags), optionally marked as built from uncommitted changes (--allow-dirty).
# ECR tags are immutable, so a tag names one image for good; `latest` or `v2` would name whatever was pushed last.
IMAGE_TAG = re.compile(r"^[0-9a-f]{7,40}(-dirty-[0-9]{8}T[0-9]{6}Z)?$")


@dataclass(frozen=True, kw_only=True)
class NetworkSettings:
    vpc_cidr: str
    public_subnet_cidrs: tuple[str, str]
    private_subnet_cidrs: tuple[str, str]
    # A NAT gateway costs ~EUR 35/month on its own: off by default, tasks then run in public subnets with a
    # public IP behind a security group that admits only the ALB.
    nat_gateway: bool
    # Secrets Manager, ECR (api, dkr) and Logs endpoints in the private subnets (~EUR 15/month each, two AZs).
    interface_endpoints: bool

    @property
    def tasks_in_private_subnets(self) -> bool:
        return self.nat_gateway or self.interface_endpoints


@dataclass(frozen=True, kw_only=True)
class DnsSettings:
    zone: str  # an existing public hosted zone (imported, never created or deleted here)
    domain: str  # the marimo server's name inside the zone, e.g. marimo.dev.example.com


@dataclass(frozen=True, kw_only=True)
class OfficeHours:
    days: str  # EventBridge cron day-of-week field, e.g. MON-FRI
    start_hour: int
    end_hour: int
    timezone: str

    @property
    def hours_per_month(self) -> float:
        return self.day_count * (self.end_hour - self.start_hour) * 365.25 / 12 / 7

    @property
    def day_count(self) -> int:
        names = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
        days: set[str] = set()
        for part in self.days.split(","):
            first, _, last = part.partition("-")
            lo, hi = names.index(first), names.index(last or first)
            days.update(names[lo : hi + 1] if lo <= hi else names[lo:] + names[: hi + 1])
        return len(days)


@dataclass(frozen=True, kw_only=True)
class ComputeSettings:
    enabled: bool
    desired_count: int
    image: str | None  # full image URI; None = our ECR repository with image_tag
    image_tag: str | None  # a commit (IMAGE_TAG); required unless `image` is given
    cpu: int
    memory: int
    log_retention_days: int
    office_hours: OfficeHours | None  # None = the service runs around the clock
    secrets: tuple[tuple[str, str], ...]  # (ENV_VAR, "secret-name" or "secret-name:json-key")


@dataclass(frozen=True, kw_only=True)
class MonitoringSettings:
    enabled: bool
    alarm_emails: tuple[str, ...]
    budget_eur: int
    budget_warning_eur: int


@dataclass(frozen=True, kw_only=True)
class ComputeTier:
    compute: ComputeSettings
    network: NetworkSettings
    dns: DnsSettings | None  # None only when compute is disabled
    monitoring: MonitoringSettings
    okta_issuer: str | None


def _cidr(config: EnvConfig, section: str, key: str, value: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(value)
    except ValueError as exc:
        raise ConfigError(f"{config.path}: [{section}] {key}: {value!r} is not an IPv4 CIDR ({exc})") from exc


def network_settings(config: EnvConfig) -> NetworkSettings:
    r = config.section("network")
    vpc_cidr = r.str("vpc_cidr", "10.20.0.0/16")
    public = r.str_list("public_subnet_cidrs", ("10.20.0.0/24", "10.20.1.0/24"))
    private = r.str_list("private_subnet_cidrs", ("10.20.10.0/24", "10.20.11.0/24"))
    nat = r.bool("nat_gateway", False)
    endpoints = r.bool("interface_endpoints", False)
    r.done()
    vpc = _cidr(config, "network", "vpc_cidr", vpc_cidr)
    subnets = []
    for key, cidrs in (("public_subnet_cidrs", public), ("private_subnet_cidrs", private)):
        if len(cidrs) != 2:
            raise ConfigError(f"{config.path}: [network] {key} must list 2 CIDRs (one per availability zone)")
        for cidr in cidrs:
            net = _cidr(config, "network", key, cidr)
            if not net.subnet_of(vpc):
                raise ConfigError(f"{config.path}: [network] {key}: {cidr} is not inside vpc_cidr {vpc_cidr}")
            subnets.append(net)
    for i, a in enumerate(subnets):
        for b in subnets[i + 1 :]:
            if a.overlaps(b):
                raise ConfigError(f"{config.path}: [network] subnets {a} and {b} overlap")
    return NetworkSettings(
        vpc_cidr=vpc_cidr,
        public_subnet_cidrs=(public[0], public[1]),
        private_subnet_cidrs=(private[0], private[1]),
        nat_gateway=nat,
        interface_endpoints=endpoints,
    )


def dns_settings(config: EnvConfig, *, required: bool) -> DnsSettings | None:
    r = config.section("dns")
    zone = r.str("zone", pattern=_DOMAIN)
    domain = r.str("domain", pattern=_DOMAIN)
    r.done()
    if zone is None or domain is None:
        if required:
            raise ConfigError(
                f"{config.path}: [dns] zone and domain are required when [compute] enabled = true "
                '(e.g. zone = "dev.example.com", domain = "marimo.dev.example.com"): the ALB needs an '
                "HTTPS certificate for a name in an existing Route53 hosted zone"
            )
        return None
    if not domain.endswith("." + zone):
        raise ConfigError(f"{config.path}: [dns] domain {domain!r} must be a name inside zone {zone!r}")
    return DnsSettings(zone=zone, domain=domain)


def _office_hours(config: EnvConfig, r) -> OfficeHours | None:  # type: ignore[no-untyped-def]
    on = r.bool("office_hours", False)
    hours = OfficeHours(
        days=r.str("office_days", "MON-FRI", pattern=_DAYS),
        start_hour=r.int("office_start_hour", 7),
        end_hour=r.int("office_end_hour", 19),
        timezone=r.str("timezone", "Europe/Berlin", pattern=_TZ),
    )
    if not 0 <= hours.start_hour < hours.end_hour <= 24:
        raise ConfigError(
            f"{config.path}: [compute] office_start_hour must be before office_end_hour (0-24), "
            f"got {hours.start_hour} and {hours.end_hour}"
        )
    return hours if on else None


def _check_image_pin(config: EnvConfig, settings: ComputeSettings) -> None:
    fix = (
        "set it to the tag `scripts/push-image --env ENV` printed (the git commit the image was built from); "
        "see docs/deploying.md, image pinning"
    )
    if settings.image_tag is None:
        if settings.enabled and settings.image is None:
            raise ConfigError(f"{config.path}: [compute] image_tag is missing: {fix}")
        return
    if not IMAGE_TAG.match(settings.image_tag):
        raise ConfigError(
            f"{config.path}: [compute] image_tag = {settings.image_tag!r} is not a git commit: each env pins the "
            f"exact image it runs (ECR tags are immutable, so `latest` cannot be re-pushed); {fix}"
        )


def compute_section(config: EnvConfig) -> ComputeSettings:
    r = config.section("compute")
    raw_secrets = r.data.get("secrets", {})
    r._seen.add("secrets")
    if not isinstance(raw_secrets, dict):
        raise ConfigError(
            f'{config.path}: [compute.secrets] must be a table of ENV_VAR = "secret-name[:json-key]"'
        )
    for var, ref in raw_secrets.items():
        if not _ENV_VAR.match(var) or not isinstance(ref, str) or not ref:
            raise ConfigError(
                f'{config.path}: [compute.secrets] {var} = {ref!r}: use UPPER_CASE = "secret-name[:json-key]"'
            )
    settings = ComputeSettings(
        enabled=r.bool("enabled", False),
        desired_count=r.int("desired_count", 1),
        image=r.str("image"),
        image_tag=r.str("image_tag"),
        cpu=r.int("cpu", 1024, minimum=256),
        memory=r.int("memory", 2048, minimum=512),
        log_retention_days=r.int("log_retention_days", 30, minimum=1),
        office_hours=_office_hours(config, r),
        secrets=tuple(sorted(raw_secrets.items())),
    )
    r.done()
    _check_image_pin(config, settings)
    if settings.memory not in FARGATE_SIZES.get(settings.cpu, ()):
        sizes = "; ".join(f"cpu {c}: memory {m[0]}-{m[-1]}" for c, m in FARGATE_SIZES.items())
        raise ConfigError(
            f"{config.path}: [compute] cpu = {settings.cpu}, memory = {settings.memory} is not a Fargate size ({sizes})"
        )
    if settings.log_retention_days not in LOG_RETENTION_DAYS:
        raise ConfigError(
            f"{config.path}: [compute] log_retention_days must be one of {LOG_RETENTION_DAYS}, "
            f"got {settings.log_retention_days}"
        )
    return settings


def monitoring_settings(config: EnvConfig) -> MonitoringSettings:
    r = config.section("monitoring")
    settings = MonitoringSettings(
        enabled=r.bool("enabled", True),
        alarm_emails=r.str_list("alarm_emails", (), pattern=_EMAIL),
        budget_eur=r.int("budget_eur", 50, minimum=1),
        budget_warning_eur=r.int("budget_warning_eur", 40, minimum=1),
    )
    r.done()
    if settings.budget_warning_eur >= settings.budget_eur:
        raise ConfigError(f"{config.path}: [monitoring] budget_warning_eur must be below budget_eur")
    return settings


def compute_tier(config: EnvConfig) -> ComputeTier:
    compute = compute_section(config)
    issuer = config.okta_issuer
    if compute.enabled and not (issuer and issuer.startswith("https://")):
        raise ConfigError(
            f"{config.path}: [okta] issuer must be the https:// URL of the Okta authorization server "
            "(e.g. https://example.okta.com/oauth2/default) when [compute] enabled = true"
        )
    return ComputeTier(
        compute=compute,
        network=network_settings(config),
        dns=dns_settings(config, required=compute.enabled),
        monitoring=monitoring_settings(config),
        okta_issuer=issuer,
    )
