"""site: the private bucket holding the built gallery, served by CloudFront through Origin Access Control.

Pieces, in dependency order: bucket → origin access control → viewer-request function (`/path/` →
`/path/index.html`, see site_viewer_request.js) → response-headers policy (the site's header table from
src/mplat/gallery/site_headers.py: cross-origin isolation, CSP, security headers) → distribution → bucket policy allowing only
this distribution to read. With `[site] cdn = false` (the `local` env) only the bucket exists.

CloudFront ids are not known until created, so steps that need one look it up by name when they run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from infra import naming
from infra.aws import missing
from infra.engine import Action, Attribute, Call, Context, Kind, Resource, canonical
from infra.policy import deny_insecure_transport, document
from infra.services.outputs import contains
from infra.services.storage import (
    bucket_exists,
    bucket_policy_api,
    plan_bucket_removal,
    private_bucket,
    read_bucket_policy,
    write_bucket_policy,
)
from infra.tags import from_list, standard_tags, to_list
from mplat.gallery.site_headers import SitePolicy, response_headers

NAME = "site"
FUNCTION_CODE = (Path(__file__).parent / "site_viewer_request.js").read_bytes()
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # AWS managed cache policy: honours Cache-Control
ORIGIN_ID = "site-bucket"


@dataclass(frozen=True)
class SiteNames:
    bucket: str
    oac: str
    function: str
    headers: str
    distribution: str  # stored as the distribution's Comment and CallerReference

    @classmethod
    def of(cls, ctx: Context) -> SiteNames:
        env = ctx.env
        return cls(
            bucket=naming.site_bucket(env, ctx.account_id),
            oac=naming.name(env, NAME, "oac"),
            function=naming.name(env, NAME, "index-rewrite"),
            headers=naming.name(env, NAME, "headers"),
            distribution=naming.name(env, NAME, "distribution"),
        )


# ---------------------------------------------------------------------------------------------------------
# Desired documents (pure functions: unit-tested without CloudFront)


# Headers with a field of their own in CloudFront's SecurityHeadersConfig (it refuses them as custom
# headers); the rest of the site's header table goes in CustomHeadersConfig.
_SECURITY_FIELDS = {
    "Content-Security-Policy",
    "Referrer-Policy",
    "X-Content-Type-Options",
    "Strict-Transport-Security",
}
_HSTS = re.compile(r"^max-age=(\d+)(; includeSubDomains)?(; preload)?$")


def headers_policy_config(name: str, policy: SitePolicy) -> dict[str, Any]:
    """The response-headers policy sending the site's header table (mplat.gallery.site_headers), which
    `make preview`, the browser tests and the service worker send too."""
    table = response_headers(policy)
    custom = [(h, v) for h, v in table.items() if h not in _SECURITY_FIELDS]
    hsts = _HSTS.match(table["Strict-Transport-Security"])
    assert hsts, "site_headers: Strict-Transport-Security must read max-age=N[; includeSubDomains][; preload]"
    return {
        "Name": name,
        "Comment": "mplat gallery: the site's header table (src/mplat/gallery/site_headers.py)",
        "CustomHeadersConfig": {
            "Quantity": len(custom),
            "Items": [{"Header": h, "Value": v, "Override": True} for h, v in custom],
        },
        # Framing is decided by the CSP's frame-ancestors (the site and its embed origins): no FrameOptions.
        "SecurityHeadersConfig": {
            "ContentSecurityPolicy": {
                "ContentSecurityPolicy": table["Content-Security-Policy"],
                "Override": True,
            },
            "ReferrerPolicy": {"ReferrerPolicy": table["Referrer-Policy"], "Override": True},
            "ContentTypeOptions": {"Override": True},
            "StrictTransportSecurity": {
                "AccessControlMaxAgeSec": int(hsts.group(1)),
                "IncludeSubdomains": bool(hsts.group(2)),
                "Preload": bool(hsts.group(3)),
                "Override": True,
            },
        },
    }


def headers_sent(config: dict[str, Any]) -> dict[str, str]:
    """What CloudFront adds to every response under this policy config, as header name → value."""
    sent = {i["Header"]: i["Value"] for i in config.get("CustomHeadersConfig", {}).get("Items", [])}
    security = config.get("SecurityHeadersConfig", {})
    if "ContentSecurityPolicy" in security:
        sent["Content-Security-Policy"] = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    if "FrameOptions" in security:
        sent["X-Frame-Options"] = security["FrameOptions"]["FrameOption"]
    if "ReferrerPolicy" in security:
        sent["Referrer-Policy"] = security["ReferrerPolicy"]["ReferrerPolicy"]
    if "ContentTypeOptions" in security:
        sent["X-Content-Type-Options"] = "nosniff"
    if "StrictTransportSecurity" in security:
        hsts = security["StrictTransportSecurity"]
        sent["Strict-Transport-Security"] = (
            f"max-age={hsts['AccessControlMaxAgeSec']}"
            + ("; includeSubDomains" if hsts.get("IncludeSubdomains") else "")
            + ("; preload" if hsts.get("Preload") else "")
        )
    return sent


def oac_config(name: str) -> dict[str, Any]:
    return {
        "Name": name,
        "Description": "mplat gallery bucket, readable only through CloudFront",
        "SigningProtocol": "sigv4",
        "SigningBehavior": "always",
        "OriginAccessControlOriginType": "s3",
    }


def distribution_config(
    ctx: Context, names: SiteNames, *, oac_id: str, function_arn: str, headers_policy_id: str
) -> dict[str, Any]:
    site = ctx.config.site
    if site.domain and site.certificate_arn:
        aliases: dict[str, Any] = {"Quantity": 1, "Items": [site.domain]}
        certificate: dict[str, Any] = {
            "ACMCertificateArn": site.certificate_arn,
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        }
    else:
        aliases, certificate = {"Quantity": 0}, {"CloudFrontDefaultCertificate": True}
    get_head = {"Quantity": 2, "Items": ["GET", "HEAD"]}
    return {
        "CallerReference": names.distribution,
        "Comment": names.distribution,
        "Enabled": True,
        "DefaultRootObject": "index.html",
        "PriceClass": site.price_class,
        "HttpVersion": "http2and3",
        "IsIPV6Enabled": True,
        "Aliases": aliases,
        "ViewerCertificate": certificate,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": ORIGIN_ID,
                    "DomainName": f"{names.bucket}.s3.{ctx.aws.region}.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                    "OriginAccessControlId": oac_id,
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": ORIGIN_ID,
            "ViewerProtocolPolicy": "redirect-to-https",
            "Compress": True,
            "AllowedMethods": {**get_head, "CachedMethods": get_head},
            "CachePolicyId": CACHING_OPTIMIZED,
            "ResponseHeadersPolicyId": headers_policy_id,
            "FunctionAssociations": {
                "Quantity": 1,
                "Items": [{"FunctionARN": function_arn, "EventType": "viewer-request"}],
            },
        },
        # Without s3:ListBucket a missing key is a 403 from S3: show the gallery's 404 page instead.
        "CustomErrorResponses": {
            "Quantity": 1,
            "Items": [
                {
                    "ErrorCode": 403,
                    "ResponsePagePath": "/404.html",
                    "ResponseCode": "404",
                    "ErrorCachingMinTTL": 10,
                }
            ],
        },
    }


def bucket_policy(ctx: Context, names: SiteNames, distribution_arn: str | None) -> dict[str, Any] | None:
    if not ctx.config.site.cdn or distribution_arn is None:
        return document(ctx.config, deny_insecure_transport(names.bucket))
    return document(
        ctx.config,
        deny_insecure_transport(names.bucket),
        {
            "Sid": "CloudFrontReadsThroughOAC",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{names.bucket}/*",
            "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
        },
    )


# ---------------------------------------------------------------------------------------------------------
# Lookups by name (CloudFront ids are generated)


def find_oac(cf: Any, name: str) -> dict[str, Any] | None:
    for item in cf.list_origin_access_controls().get("OriginAccessControlList", {}).get("Items", []) or []:
        if item["Name"] == name:
            return item
    return None


def find_headers_policy(cf: Any, name: str) -> str | None:
    listing = cf.list_response_headers_policies(Type="custom").get("ResponseHeadersPolicyList", {})
    for item in listing.get("Items", []) or []:
        policy = item["ResponseHeadersPolicy"]
        if policy["ResponseHeadersPolicyConfig"]["Name"] == name:
            return str(policy["Id"])
    return None


def find_distribution(cf: Any, comment: str) -> dict[str, Any] | None:
    for page in cf.get_paginator("list_distributions").paginate():
        for item in page.get("DistributionList", {}).get("Items", []) or []:
            if item.get("Comment") == comment:
                return item
    return None


def function_arn(cf: Any, name: str) -> str:
    return str(
        cf.describe_function(Name=name, Stage="LIVE")["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
    )


def _function_exists(cf: Any, name: str) -> bool:
    try:
        cf.describe_function(Name=name)
        return True
    except ClientError as exc:
        if missing(exc, "NoSuchFunctionExists"):
            return False
        raise


# ---------------------------------------------------------------------------------------------------------
# Resources


def _oac(ctx: Context, cf: Any, names: SiteNames) -> Resource:
    desired = oac_config(names.oac)

    def read() -> dict[str, Any] | None:
        found = find_oac(cf, names.oac)
        if not found:
            return None
        return cf.get_origin_access_control_config(Id=found["Id"])["OriginAccessControlConfig"]

    def write(config: dict[str, Any]) -> None:
        oac_id = find_oac(cf, names.oac)["Id"]  # type: ignore[index]
        etag = cf.get_origin_access_control_config(Id=oac_id)["ETag"]
        cf.update_origin_access_control(Id=oac_id, IfMatch=etag, OriginAccessControlConfig=config)

    return Resource(
        NAME,
        f"cloudfront-oac {names.oac}",
        lambda: find_oac(cf, names.oac) is not None,
        lambda: cf.create_origin_access_control(OriginAccessControlConfig=desired),
        [
            Attribute(
                "config",
                desired,
                read,
                write,
                matches=lambda d, a: contains(a, d),
                api="cloudfront.update_origin_access_control",
            )
        ],
        "cloudfront.create_origin_access_control",
    )


def _function(ctx: Context, cf: Any, names: SiteNames) -> Resource:
    config = {"Comment": "mplat gallery: /path/ -> /path/index.html", "Runtime": "cloudfront-js-2.0"}

    def create() -> None:
        etag = cf.create_function(Name=names.function, FunctionConfig=config, FunctionCode=FUNCTION_CODE)[
            "ETag"
        ]
        cf.publish_function(Name=names.function, IfMatch=etag)

    def read_live_code() -> bytes | None:
        try:
            return bytes(cf.get_function(Name=names.function, Stage="LIVE")["FunctionCode"].read())
        except ClientError as exc:
            if missing(exc, "NoSuchFunctionExists"):
                return None
            raise

    def write_code(code: bytes) -> None:
        etag = cf.describe_function(Name=names.function, Stage="DEVELOPMENT")["ETag"]
        etag = cf.update_function(
            Name=names.function, IfMatch=etag, FunctionConfig=config, FunctionCode=code
        )["ETag"]
        cf.publish_function(Name=names.function, IfMatch=etag)

    return Resource(
        NAME,
        f"cloudfront-function {names.function}",
        lambda: _function_exists(cf, names.function),
        create,
        [
            Attribute(
                "code",
                FUNCTION_CODE,
                read_live_code,
                write_code,
                api="cloudfront.update_function+publish_function",
            )
        ],
        "cloudfront.create_function+publish_function",
    )


def _headers(ctx: Context, cf: Any, names: SiteNames) -> Resource:
    desired = headers_policy_config(names.headers, ctx.config.site.policy)

    def read() -> dict[str, Any] | None:
        policy_id = find_headers_policy(cf, names.headers)
        if not policy_id:
            return None
        return cf.get_response_headers_policy_config(Id=policy_id)["ResponseHeadersPolicyConfig"]

    def write(config: dict[str, Any]) -> None:
        policy_id = find_headers_policy(cf, names.headers)
        etag = cf.get_response_headers_policy_config(Id=policy_id)["ETag"]
        cf.update_response_headers_policy(Id=policy_id, IfMatch=etag, ResponseHeadersPolicyConfig=config)

    return Resource(
        NAME,
        f"cloudfront-response-headers-policy {names.headers}",
        lambda: find_headers_policy(cf, names.headers) is not None,
        lambda: cf.create_response_headers_policy(ResponseHeadersPolicyConfig=desired),
        # Compared as the headers sent: a header added by hand (an X-Frame-Options) is drift too.
        [
            Attribute(
                "config",
                desired,
                read,
                write,
                matches=lambda d, a: headers_sent(a) == headers_sent(d),
                api="cloudfront.update_response_headers_policy",
            )
        ],
        "cloudfront.create_response_headers_policy",
    )


def _distribution(ctx: Context, cf: Any, names: SiteNames) -> list[Action]:
    tags = standard_tags(ctx.config, NAME)

    def desired() -> dict[str, Any]:
        return distribution_config(
            ctx,
            names,
            oac_id=find_oac(cf, names.oac)["Id"],  # type: ignore[index]
            function_arn=function_arn(cf, names.function),
            headers_policy_id=find_headers_policy(cf, names.headers) or "",
        )

    found = find_distribution(cf, names.distribution)
    resource = f"cloudfront-distribution {names.distribution}"
    if found is None:
        create = lambda: cf.create_distribution_with_tags(  # noqa: E731
            DistributionConfigWithTags={"DistributionConfig": desired(), "Tags": {"Items": to_list(tags)}}
        )
        return [
            Action(NAME, "create", resource, (), (Call("cloudfront.create_distribution_with_tags", create),))
        ]

    dist_id, arn = found["Id"], found["ARN"]
    changes = []
    # The pieces may not exist yet (a half-finished apply): then the config certainly changes.
    try:
        want = desired()
    except (ClientError, TypeError):
        want = None
    current = cf.get_distribution_config(Id=dist_id)["DistributionConfig"]
    if want is None or canonical(_comparable(want)) != canonical(_comparable(current, like=want)):
        changes.append("config")
    current_tags = from_list(cf.list_tags_for_resource(Resource=arn)["Tags"].get("Items", []))
    if current_tags != tags:
        changes.append("tags")
    if not changes:
        return []

    def update() -> None:
        response = cf.get_distribution_config(Id=dist_id)
        merged = {**response["DistributionConfig"], **desired()}
        cf.update_distribution(Id=dist_id, IfMatch=response["ETag"], DistributionConfig=merged)

    def retag() -> None:
        stale = sorted(set(current_tags) - set(tags))
        if stale:
            cf.untag_resource(Resource=arn, TagKeys={"Items": stale})
        cf.tag_resource(Resource=arn, Tags={"Items": to_list(tags)})

    writes = {
        "config": Call("cloudfront.update_distribution", update),
        "tags": Call("cloudfront.untag_resource+tag_resource", retag),
    }
    steps = tuple(writes[name] for name in changes)
    return [Action(NAME, "update", resource, tuple(changes), steps)]


def _comparable(config: dict[str, Any], like: dict[str, Any] | None = None) -> dict[str, Any]:
    """Only the keys we set (CloudFront fills in dozens of defaults we do not manage)."""
    keys = set(like or config) - {"CallerReference"}
    return {k: config.get(k) for k in keys}


def _bucket_policy(ctx: Context, cf: Any | None, names: SiteNames, bucket_created: bool) -> list[Action]:
    s3 = ctx.aws.client("s3")
    found = find_distribution(cf, names.distribution) if cf is not None else None
    resource = f"s3-bucket-policy {names.bucket}"
    if cf is not None and found is None:  # the distribution is created in this same apply

        def write_after_distribution() -> None:
            created = find_distribution(cf, names.distribution)
            write_bucket_policy(
                s3, names.bucket, bucket_policy(ctx, names, created["ARN"] if created else None)
            )

        return [
            Action(NAME, "create", resource, (), (Call("s3.put_bucket_policy", write_after_distribution),))
        ]
    desired = bucket_policy(ctx, names, found["ARN"] if found else None)
    current = None if bucket_created else read_bucket_policy(s3, names.bucket)
    if canonical(desired) == canonical(current):
        return []
    kind: Kind = "create" if current is None else ("delete" if desired is None else "update")
    step = Call(bucket_policy_api(desired), lambda: write_bucket_policy(s3, names.bucket, desired))
    return [Action(NAME, kind, resource, (), (step,))]


# ---------------------------------------------------------------------------------------------------------
# Service interface


def _site_bucket(ctx: Context, names: SiteNames) -> Resource:
    noncurrent = ctx.config.site.noncurrent_expire_days
    lifecycle = [
        {
            # Versions replaced by a publish stay restorable (publish-site --rollback) this long.
            "ID": "expire-old-builds",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent},
            "AbortIncompleteMultipartUpload": {
                "DaysAfterInitiation": ctx.config.storage.abort_multipart_after_days
            },
        }
    ]
    return private_bucket(
        ctx, NAME, names.bucket, component=NAME, versioned=True, lifecycle=lifecycle, policy=None
    )


def plan(ctx: Context) -> list[Action]:
    names = SiteNames.of(ctx)
    bucket_actions = _site_bucket(ctx, names).plan()
    bucket_created = any(a.kind == "create" for a in bucket_actions)
    if not ctx.config.site.cdn:
        return bucket_actions + _bucket_policy(ctx, None, names, bucket_created)
    cf = ctx.aws.client("cloudfront")
    return (
        bucket_actions
        + _oac(ctx, cf, names).plan()
        + _function(ctx, cf, names).plan()
        + _headers(ctx, cf, names).plan()
        + _distribution(ctx, cf, names)
        + _bucket_policy(ctx, cf, names, bucket_created)
    )


def _wait_deployed(cf: Any, dist_id: str) -> None:
    cf.get_waiter("distribution_deployed").wait(Id=dist_id, WaiterConfig={"Delay": 30, "MaxAttempts": 60})


def plan_destroy(ctx: Context, *, force_data_loss: bool) -> list[Action]:
    names = SiteNames.of(ctx)
    actions: list[Action] = []
    if ctx.config.site.cdn:
        cf = ctx.aws.client("cloudfront")
        found = find_distribution(cf, names.distribution)
        if found:
            tags = from_list(cf.list_tags_for_resource(Resource=found["ARN"])["Tags"].get("Items", []))
            if tags.get("ManagedBy") == "mplat-infra":

                def disable_and_delete(dist_id: str = found["Id"]) -> None:
                    response = cf.get_distribution_config(Id=dist_id)
                    if response["DistributionConfig"]["Enabled"]:
                        config = {**response["DistributionConfig"], "Enabled": False}
                        cf.update_distribution(
                            Id=dist_id, IfMatch=response["ETag"], DistributionConfig=config
                        )
                        _wait_deployed(
                            cf, dist_id
                        )  # CloudFront deletes only disabled, deployed distributions
                    cf.delete_distribution(Id=dist_id, IfMatch=cf.get_distribution(Id=dist_id)["ETag"])

                actions.append(
                    Action(
                        NAME,
                        "delete",
                        f"cloudfront-distribution {names.distribution}",
                        (),
                        (Call("cloudfront.update_distribution+delete_distribution", disable_and_delete),),
                    )
                )
        # The function, headers policy and OAC carry no tags; their names are ours alone.
        if _function_exists(cf, names.function):

            def delete_function() -> None:
                etag = cf.describe_function(Name=names.function)["ETag"]
                cf.delete_function(Name=names.function, IfMatch=etag)

            actions.append(
                Action(
                    NAME,
                    "delete",
                    f"cloudfront-function {names.function}",
                    (),
                    (Call("cloudfront.delete_function", delete_function),),
                )
            )
        policy_id = find_headers_policy(cf, names.headers)
        if policy_id:

            def delete_headers(pid: str = policy_id) -> None:
                etag = cf.get_response_headers_policy(Id=pid)["ETag"]
                cf.delete_response_headers_policy(Id=pid, IfMatch=etag)

            actions.append(
                Action(
                    NAME,
                    "delete",
                    f"cloudfront-response-headers-policy {names.headers}",
                    (),
                    (Call("cloudfront.delete_response_headers_policy", delete_headers),),
                )
            )
        oac = find_oac(cf, names.oac)
        if oac:

            def delete_oac(oac_id: str = oac["Id"]) -> None:
                etag = cf.get_origin_access_control(Id=oac_id)["ETag"]
                cf.delete_origin_access_control(Id=oac_id, IfMatch=etag)

            step = Call("cloudfront.delete_origin_access_control", delete_oac)
            actions.append(Action(NAME, "delete", f"cloudfront-oac {names.oac}", (), (step,)))
    s3 = ctx.aws.client("s3")
    if bucket_exists(s3, names.bucket):
        actions += plan_bucket_removal(
            ctx, NAME, names.bucket, force_data_loss=force_data_loss, always_protected=False
        )
    return actions
