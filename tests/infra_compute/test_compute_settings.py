"""Offline checks: compute-tier config validation, the cost model, and the request shapes moto accepts
without checking (validated here against botocore's own service models, as AWS would)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from infra import cost
from infra.config import ConfigError, parse_config
from infra.services import compute, compute_alb, monitoring, schedule
from infra.services.compute_settings import compute_tier

from .conftest import REPO_ROOT

ENVS = REPO_ROOT / "infra" / "envs"


def config_with(env: str = "dev", **sections: dict[str, Any]):  # noqa: ANN201
    """An env's shipped config with `sections` changed; dev with its (opt-in) server tier turned on."""
    raw = tomllib.loads((ENVS / f"{env}.toml").read_text(encoding="utf-8"))
    if env == "dev":
        raw["compute"] = {**raw["compute"], "enabled": True}
    for name, values in sections.items():
        raw[name] = {**raw.get(name, {}), **values}
    return parse_config(env, Path(f"infra/envs/{env}.toml"), raw)


def test_every_env_pins_its_image_to_a_commit() -> None:
    for env in ("dev", "staging", "prod"):
        settings = compute_tier(config_with(env)).compute
        assert settings.image is None and re.fullmatch(r"[0-9a-f]{12}", settings.image_tag or ""), env
    raw = tomllib.loads((ENVS / "dev.toml").read_text(encoding="utf-8"))
    raw["compute"]["enabled"] = True  # an env that runs the tier must say which image
    del raw["compute"]["image_tag"]
    with pytest.raises(
        ConfigError, match=r"\[compute\] image_tag is missing: set it to the tag `scripts/push-image"
    ):
        compute_tier(parse_config("dev", Path("infra/envs/dev.toml"), raw))


@pytest.mark.parametrize(
    ("section", "values", "message"),
    [
        (
            "compute",
            {"cpu": 1024, "memory": 512},
            r"\[compute\] cpu = 1024, memory = 512 is not a Fargate size",
        ),
        ("compute", {"log_retention_days": 31}, r"log_retention_days must be one of"),
        ("compute", {"office_start_hour": 19, "office_end_hour": 7}, r"office_start_hour must be before"),
        ("compute", {"office_days": "WEEKDAYS"}, r"\[compute\] office_days"),
        ("compute", {"colour": "gold"}, r"\[compute\] has unknown key\(s\) colour"),
        ("compute", {"secrets": {"lower": "x"}}, r"\[compute.secrets\] lower"),
        ("network", {"public_subnet_cidrs": ["10.99.0.0/24", "10.20.1.0/24"]}, r"not inside vpc_cidr"),
        ("network", {"private_subnet_cidrs": ["10.20.0.0/24", "10.20.11.0/24"]}, r"overlap"),
        (
            "network",
            {"vpc_cidr": "10.20.0.0/33"},
            r"\[network\] vpc_cidr: '10.20.0.0/33' is not an IPv4 CIDR",
        ),
        ("dns", {"domain": "marimo.other.org"}, r"must be a name inside zone"),
        ("okta", {"issuer": "http://insecure.example.com"}, r"\[okta\] issuer must be the https://"),
        ("monitoring", {"budget_warning_eur": 60}, r"budget_warning_eur must be below budget_eur"),
        ("compute", {"image_tag": "latest"}, r"\[compute\] image_tag = 'latest' is not a git commit"),
        (
            "compute",
            {"image_tag": "v2"},
            r"image_tag = 'v2' is not a git commit: each env pins the exact image",
        ),
    ],
)
def test_bad_compute_config_names_file_and_field(section: str, values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        compute_tier(config_with(**{section: values}))
    assert "infra/envs/dev.toml" in str(error.value)


def test_dns_is_required_only_when_compute_is_on() -> None:
    raw = tomllib.loads((ENVS / "dev.toml").read_text(encoding="utf-8"))
    del raw["dns"]
    raw["compute"]["enabled"] = True
    with pytest.raises(ConfigError, match=r"\[dns\] zone and domain are required"):
        compute_tier(parse_config("dev", Path("dev.toml"), raw))
    raw["compute"]["enabled"] = False
    assert compute_tier(parse_config("dev", Path("dev.toml"), raw)).dns is None


def test_every_env_file_parses() -> None:
    for path in ENVS.glob("*.toml"):
        tier = compute_tier(parse_config(path.stem, path, tomllib.loads(path.read_text(encoding="utf-8"))))
        # The server tier is opt-in: on in prod only (the server the gallery opens), docs/cost.md.
        assert tier.compute.enabled == (path.stem == "prod")


def test_office_hours_month() -> None:
    hours = compute_tier(config_with()).compute.office_hours
    assert hours is not None and hours.day_count == 5
    assert hours.hours_per_month == pytest.approx(5 * 12 * 52.1786 / 12, rel=1e-3)  # ~261 h
    weekend = compute_tier(config_with(compute={"office_days": "SAT-SUN"})).compute.office_hours
    assert weekend is not None and weekend.day_count == 2
    wrap = compute_tier(config_with(compute={"office_days": "FRI-MON"})).compute.office_hours
    assert wrap is not None and wrap.day_count == 4


def test_cost_dev_default_is_under_50_eur_on_office_hours() -> None:
    config = config_with()
    lines = cost.estimate(config, "123456789012")
    total = cost.totals(lines)
    assert total["office"] < 50 < total["on"]
    assert total["off"] < 5  # the WebAssembly tier alone costs almost nothing
    service = next(line for line in lines if line.resource == "ecs-service mplat-dev-compute-service")
    # 1 vCPU + 2 GB Fargate + one public IPv4, in EUR, 730 h vs ~261 office hours
    per_hour = (0.04656 + 2 * 0.00511 + 0.005) * cost.EUR_PER_USD
    assert service.on == pytest.approx(per_hour * 730)
    assert service.office == pytest.approx(per_hour * 260.89, rel=1e-3)
    assert service.off == 0


def test_cost_options_nat_and_endpoints_show_their_price() -> None:
    base = cost.totals(cost.estimate(config_with(), "1"))
    nat = cost.totals(cost.estimate(config_with(network={"nat_gateway": True}), "1"))
    # ~USD 38 for the gateway + its IPv4 address, minus the task's public IP it replaces
    assert 30 < nat["office"] - base["office"] < 40
    lines = cost.estimate(config_with(network={"interface_endpoints": True}), "1")
    endpoints = [line for line in lines if line.resource.endswith("-endpoint") and "s3" not in line.resource]
    assert len(endpoints) == 4
    assert all(line.on == pytest.approx(2 * 0.012 * 730 * cost.EUR_PER_USD) for line in endpoints)


def test_cost_render_marks_this_env_and_dates_the_prices() -> None:
    config = config_with(compute={"office_hours": False})
    text = cost.render(config, cost.estimate(config, "1"))
    assert "compute 24/7 *" in text and cost.PRICES_CHECKED in text
    assert re.search(r"This config \(compute 24/7\): EUR \d+\.\d\d", text)


def test_budget_limit_is_the_eur_budget_in_usd() -> None:
    class Ctx:
        env, account_id = "dev", "123456789012"

        class aws:  # noqa: N801
            region = "eu-central-1"

    tier = compute_tier(config_with())
    budget = monitoring.desired_budget(Ctx, tier)  # type: ignore[arg-type]
    assert float(budget["BudgetLimit"]["Amount"]) == pytest.approx(50 / cost.EUR_PER_USD, abs=0.01)
    thresholds = [n["Threshold"] for n in monitoring.desired_notifications(tier)]
    assert thresholds == [80.0, 100.0]  # EUR 40 and EUR 50


def test_okta_endpoints_for_custom_and_org_authorization_servers() -> None:
    custom = compute_alb.oidc_endpoints("https://acme.okta.com/oauth2/default/")
    assert custom["TokenEndpoint"] == "https://acme.okta.com/oauth2/default/v1/token"
    org = compute_alb.oidc_endpoints("https://acme.okta.com")
    assert org["AuthorizationEndpoint"] == "https://acme.okta.com/oauth2/v1/authorize"
    assert org["Issuer"] == "https://acme.okta.com"


def test_secret_is_sent_only_when_needed() -> None:
    actions = [{"Type": "authenticate-oidc", "Order": 1, "AuthenticateOidcConfig": {"ClientId": "c"}}]
    assert (
        compute_alb.with_secret(actions, None)[0]["AuthenticateOidcConfig"]["UseExistingClientSecret"] is True
    )
    sent = compute_alb.with_secret(actions, "s3cr3t")[0]["AuthenticateOidcConfig"]
    assert sent["ClientSecret"] == "s3cr3t" and "UseExistingClientSecret" not in sent
    echoed = [{**actions[0], "AuthenticateOidcConfig": {"ClientId": "c", "ClientSecret": "s3cr3t"}}]
    assert "ClientSecret" not in compute_alb.without_secret(echoed)[0]["AuthenticateOidcConfig"]


def _validate(service: str, operation: str, params: dict[str, Any]) -> None:
    """What AWS validates and moto lets through: the request against botocore's service model."""
    model = botocore.session.get_session().get_service_model(service)
    report = ParamValidator().validate(params, model.operation_model(operation).input_shape)
    assert not report.has_errors(), report.generate_report()


def test_deployment_settings_are_valid_ecs_requests() -> None:
    _validate(
        "ecs",
        "UpdateService",
        {
            "cluster": "c",
            "service": "s",
            "deploymentConfiguration": compute.DEPLOYMENT,
            "healthCheckGracePeriodSeconds": compute.HEALTH_GRACE_SECONDS,
        },
    )
    assert compute.DEPLOYMENT["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert (compute.DEPLOYMENT["minimumHealthyPercent"], compute.DEPLOYMENT["maximumPercent"]) == (100, 200)


def test_scale_schedules_are_valid_scheduler_requests() -> None:
    class Ctx:
        env, account_id = "dev", "123456789012"

    tier = compute_tier(config_with())
    for which in ("start", "stop"):
        desired = schedule.desired_schedule(Ctx, tier, which)  # type: ignore[arg-type]
        _validate("scheduler", "CreateSchedule", {"Name": f"n-{which}", **desired})
        assert desired["ScheduleExpressionTimezone"] == "Europe/Berlin"
    start = schedule.desired_schedule(Ctx, tier, "start")  # type: ignore[arg-type]
    assert start["ScheduleExpression"] == "cron(0 7 ? * MON-FRI *)"
    assert '"DesiredCount": 1' in start["Target"]["Input"]
    stop = schedule.desired_schedule(Ctx, tier, "stop")  # type: ignore[arg-type]
    assert (
        stop["ScheduleExpression"] == "cron(0 19 ? * MON-FRI *)"
        and '"DesiredCount": 0' in stop["Target"]["Input"]
    )


def test_cost_lists_the_site_resources_moto_cannot_create() -> None:
    """CloudFront pieces are not applied in the moto tests (moto lacks their APIs): check the names
    against the site service's own naming instead."""
    from infra.services.site import SiteNames

    class Ctx:
        env, account_id = "dev", "123456789012"

    names = SiteNames.of(Ctx)  # type: ignore[arg-type]
    resources = {line.resource for line in cost.estimate(config_with(), "123456789012")}
    assert {
        f"s3-bucket {names.bucket}",
        f"s3-bucket-policy {names.bucket}",
        f"cloudfront-oac {names.oac}",
        f"cloudfront-function {names.function}",
        f"cloudfront-response-headers-policy {names.headers}",
        f"cloudfront-distribution {names.distribution}",
    } <= resources
