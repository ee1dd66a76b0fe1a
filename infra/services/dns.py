"""dns: the HTTPS name of the marimo server.

The Route53 hosted zone `[dns] zone` is imported: it must exist already (usually delegated by whoever owns
the parent domain) and is never created or deleted here. In it this service requests an ACM certificate for
`[dns] domain` with DNS validation and writes the validation record; apply waits until the certificate is
issued (the ALB listener needs an issued one). The alias record `domain → ALB` is written by the compute
service once the ALB exists (`alias_record_action`).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from infra.config import ConfigError
from infra.engine import Action, Attribute, Call, Context, Resource
from infra.lookup import remember
from infra.services.compute_settings import DnsSettings, compute_tier
from infra.tags import from_list, is_managed, standard_tags, to_list

NAME = "dns"
CERTIFICATE_WAIT_SECONDS = 900


def settings(ctx: Context) -> DnsSettings:
    found = compute_tier(ctx.config).dns
    assert found is not None  # compute_tier() requires [dns] whenever compute is enabled
    return found


def hosted_zone_id(ctx: Context, zone: str) -> str:
    return remember(ctx.aws, ("zone", zone), lambda: _hosted_zone_id(ctx, zone))  # type: ignore[return-value]


def _hosted_zone_id(ctx: Context, zone: str) -> str:
    route53 = ctx.aws.client("route53")
    found = route53.list_hosted_zones_by_name(DNSName=zone, MaxItems="10")["HostedZones"]
    public = [
        z for z in found if z["Name"].rstrip(".") == zone and not z.get("Config", {}).get("PrivateZone")
    ]
    if not public:
        raise ConfigError(
            f"Route53 hosted zone {zone} not found in this account: create or delegate it first "
            f"(it is imported, never created, by python -m infra), or fix [dns] zone in {ctx.config.path}"
        )
    return str(public[0]["Id"]).rsplit("/", 1)[-1]


def find_certificate(ctx: Context, domain: str) -> dict[str, Any] | None:
    """Our certificate for the domain (tagged for this env); expired/failed ones are ignored."""
    arn = remember(ctx.aws, ("certificate", domain), lambda: _certificate_arn(ctx, domain))
    if not arn:
        return None
    return dict(ctx.aws.client("acm").describe_certificate(CertificateArn=arn)["Certificate"])


def _certificate_arn(ctx: Context, domain: str) -> str | None:
    acm = ctx.aws.client("acm")
    statuses = ["PENDING_VALIDATION", "ISSUED"]
    for page in acm.get_paginator("list_certificates").paginate(CertificateStatuses=statuses):
        for summary in page["CertificateSummaryList"]:
            if summary["DomainName"] != domain:
                continue
            tags = from_list(
                acm.list_tags_for_certificate(CertificateArn=summary["CertificateArn"]).get("Tags", [])
            )
            if is_managed(tags, ctx.env):
                return str(summary["CertificateArn"])
    return None


def certificate_arn(ctx: Context) -> str:
    found = find_certificate(ctx, settings(ctx).domain)
    if not found:
        raise RuntimeError(
            f"ACM certificate for {settings(ctx).domain} not found: apply the dns service first"
        )
    return str(found["CertificateArn"])


def _validation_records(certificate: dict[str, Any]) -> list[dict[str, str]]:
    records = []
    for option in certificate.get("DomainValidationOptions", []):
        record = option.get("ResourceRecord")
        if record:
            records.append({"Name": record["Name"], "Type": record["Type"], "Value": record["Value"]})
    return records


def _certificate(ctx: Context, dns: DnsSettings) -> Resource:
    acm = ctx.aws.client("acm")
    route53 = ctx.aws.client("route53")
    tags = standard_tags(ctx.config, NAME)

    def wait_for(predicate_name: str, check: Any, seconds: int) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while True:
            cert = find_certificate(ctx, dns.domain)
            if cert and check(cert):
                return cert
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"ACM certificate for {dns.domain} is not {predicate_name} after {seconds} s: check that "
                    f"zone {dns.zone} is delegated (public NS records) and run apply again"
                )
            time.sleep(5)

    def create() -> None:
        acm.request_certificate(
            DomainName=dns.domain,
            ValidationMethod="DNS",
            IdempotencyToken=f"mplat{ctx.env}dns",
            Tags=to_list(tags),
        )

    def read_validation() -> str | None:
        cert = find_certificate(ctx, dns.domain)
        if not cert:
            return None
        zone_id = hosted_zone_id(ctx, dns.zone)
        present = []
        for record in _validation_records(cert):
            found = route53.list_resource_record_sets(
                HostedZoneId=zone_id,
                StartRecordName=record["Name"],
                StartRecordType=record["Type"],
                MaxItems="1",
            )["ResourceRecordSets"]
            values = [
                r["Value"] for s in found if s["Name"] == record["Name"] for r in s.get("ResourceRecords", [])
            ]
            present.append(record["Value"] in values)
        return "present" if present and all(present) else "missing"

    def write_validation(_: Any) -> None:
        # ACM publishes the validation record a few seconds after the request.
        cert = wait_for("showing its validation record", _validation_records, 120)
        changes = [
            {
                "Action": "UPSERT",
                "ResourceRecordSet": {
                    "Name": r["Name"],
                    "Type": r["Type"],
                    "TTL": 300,
                    "ResourceRecords": [{"Value": r["Value"]}],
                },
            }
            for r in _validation_records(cert)
        ]
        route53.change_resource_record_sets(
            HostedZoneId=hosted_zone_id(ctx, dns.zone),
            ChangeBatch={"Comment": f"ACM validation for {dns.domain}", "Changes": changes},
        )
        wait_for("issued", lambda c: c["Status"] == "ISSUED", CERTIFICATE_WAIT_SECONDS)

    return Resource(
        NAME,
        f"acm-certificate {dns.domain}",
        exists=lambda: find_certificate(ctx, dns.domain) is not None,
        create=create,
        create_api="acm.request_certificate",
        attributes=[
            Attribute(
                "validation-record",
                "present",
                read_validation,
                write_validation,
                api="route53.change_resource_record_sets",
            ),
            Attribute(
                "tags",
                tags,
                lambda: from_list(
                    acm.list_tags_for_certificate(CertificateArn=certificate_arn(ctx)).get("Tags", [])
                ),
                lambda v: acm.add_tags_to_certificate(CertificateArn=certificate_arn(ctx), Tags=to_list(v)),
                matches=lambda want, have: want.items() <= (have or {}).items(),
                api="acm.add_tags_to_certificate",
            ),
        ],
    )


# ---------------------------------------------------------------------------------------------------------
# Alias record domain → ALB (planned by the compute service, after the ALB)


def alias_record(ctx: Context, load_balancer: dict[str, Any]) -> dict[str, Any]:
    return {
        "Name": settings(ctx).domain + ".",
        "Type": "A",
        "AliasTarget": {
            "HostedZoneId": load_balancer["CanonicalHostedZoneId"],
            "DNSName": load_balancer["DNSName"] + ".",
            "EvaluateTargetHealth": False,
        },
    }


def read_alias(ctx: Context) -> dict[str, Any] | None:
    dns = settings(ctx)
    found = ctx.aws.client("route53").list_resource_record_sets(
        HostedZoneId=hosted_zone_id(ctx, dns.zone),
        StartRecordName=dns.domain,
        StartRecordType="A",
        MaxItems="1",
    )["ResourceRecordSets"]
    for record in found:
        if record["Name"].rstrip(".") == dns.domain and record["Type"] == "A" and "AliasTarget" in record:
            target = record["AliasTarget"]
            return {
                "Name": dns.domain + ".",
                "Type": "A",
                "AliasTarget": {
                    "HostedZoneId": target["HostedZoneId"],
                    "DNSName": target["DNSName"].rstrip(".").lower() + ".",
                    "EvaluateTargetHealth": target.get("EvaluateTargetHealth", False),
                },
            }
    return None


ALIAS_API = "route53.change_resource_record_sets"  # what `write_alias` calls


def write_alias(ctx: Context, record: dict[str, Any] | None, action: str = "UPSERT") -> None:
    dns = settings(ctx)
    if record is None:
        return
    ctx.aws.client("route53").change_resource_record_sets(
        HostedZoneId=hosted_zone_id(ctx, dns.zone),
        ChangeBatch={"Changes": [{"Action": action, "ResourceRecordSet": record}]},
    )


# ---------------------------------------------------------------------------------------------------------
# Service interface


def destroy_actions(ctx: Context) -> list[Action]:
    tier = compute_tier(ctx.config)
    if tier.dns is None:
        return []
    cert = find_certificate(ctx, tier.dns.domain)
    if not cert:
        return []
    acm = ctx.aws.client("acm")
    route53 = ctx.aws.client("route53")

    zone = tier.dns.zone

    def delete() -> None:
        zone_id = hosted_zone_id(ctx, zone)
        for record in _validation_records(cert):
            with contextlib.suppress(route53.exceptions.InvalidChangeBatch):  # already gone
                route53.change_resource_record_sets(
                    HostedZoneId=zone_id,
                    ChangeBatch={
                        "Changes": [
                            {
                                "Action": "DELETE",
                                "ResourceRecordSet": {
                                    "Name": record["Name"],
                                    "Type": record["Type"],
                                    "TTL": 300,
                                    "ResourceRecords": [{"Value": record["Value"]}],
                                },
                            }
                        ]
                    },
                )
        acm.delete_certificate(CertificateArn=cert["CertificateArn"])

    step = Call("route53.change_resource_record_sets+acm.delete_certificate", delete)
    return [Action(NAME, "delete", f"acm-certificate {tier.dns.domain}", (), (step,))]


def plan(ctx: Context) -> list[Action]:
    tier = compute_tier(ctx.config)
    if not tier.compute.enabled:
        return destroy_actions(ctx)
    assert tier.dns is not None
    hosted_zone_id(ctx, tier.dns.zone)  # fail at plan time, with the fix, when the zone is missing
    return _certificate(ctx, tier.dns).plan()


def plan_destroy(ctx: Context, *, force_data_loss: bool) -> list[Action]:
    return destroy_actions(ctx)
