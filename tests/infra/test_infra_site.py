"""site + publish-site: the private bucket (moto), the CloudFront documents and viewer function (pure /
node), and publishing: headers, change detection, grace period, pruning and rollback."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import boto3
import pytest

from infra.publish import cache_control, upload_tiers
from infra.services import site as site_service
from mplat.content_types import content_type
from mplat.gallery.site_headers import (
    IMMUTABLE,
    NO_CACHE,
    SitePolicy,
    response_headers,
    write_headers_file,
)

ACCOUNT = "123456789012"
BUCKET = f"mplat-local-site-bucket-{ACCOUNT}"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def site_bucket(infra):
    result = infra("apply", "--env", "local", "--only", "site", "--yes")
    assert result.code == 0, result.err
    return BUCKET


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    """A tiny built gallery with the file kinds the real one has."""
    root = tmp_path / "site"
    files = {
        "index.html": "<h1>Gallery v1</h1>",
        "gallery/solar/index.html": "<h1>Solar</h1>",
        "apps/solar.html": "<marimo-wasm></marimo-wasm>",
        "apps/assets/index-BxYz12Ab.js": "export const v = 1;",
        "apps/assets/lazy-plot-Q9w8E7r6.js": "export const plot = 1;",
        "runtime/pyodide.asm.wasm": "\0asm",
        "runtime/pyodide.mjs": "export {}",
        "runtime/packages/0123456789abcdef/mplat_energy-0.1.0-py3-none-any.whl": "PK",
        "sw.js": "self.addEventListener('fetch', () => {});",
        "manifest.webmanifest": '{"name": "mplat"}',
        "gallery.json": "[]",
        "assets/brand.css": "body{background:#000}",
        "404.html": "<h1>Not found</h1>",
    }
    for key, text in files.items():
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def objects(bucket: str) -> dict[str, dict]:
    s3 = boto3.client("s3")
    found = {}
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        if not item["Key"].startswith("_mplat/"):
            found[item["Key"]] = s3.head_object(Bucket=bucket, Key=item["Key"])
    return found


def body(bucket: str, key: str) -> str:
    return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def test_site_bucket_is_private_versioned_and_tagged(site_bucket, infra, s3):
    bpa = s3.get_public_access_block(Bucket=site_bucket)["PublicAccessBlockConfiguration"]
    assert all(bpa.values()) and len(bpa) == 4
    assert s3.get_bucket_versioning(Bucket=site_bucket)["Status"] == "Enabled"
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=site_bucket)["TagSet"]}
    assert tags["Component"] == "site" and tags["ManagedBy"] == "mplat-infra"
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=site_bucket)["Rules"]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert infra("plan", "--env", "local", "--only", "site").code == 0


def test_publish_sets_types_cache_headers_and_sha256(site_bucket, infra, site_dir):
    result = infra("publish-site", "--env", "local", "--site-dir", str(site_dir))
    assert result.code == 0, result.err
    assert "13 uploaded, 0 unchanged" in result.out
    found = objects(site_bucket)
    assert set(found) == {p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*") if p.is_file()}
    expect = {
        "index.html": ("text/html; charset=utf-8", NO_CACHE),
        "apps/solar.html": ("text/html; charset=utf-8", NO_CACHE),
        "apps/assets/index-BxYz12Ab.js": ("text/javascript; charset=utf-8", IMMUTABLE),
        # Fixed names whose content changes between builds: revalidated, never mixed from the HTTP cache.
        "runtime/pyodide.asm.wasm": ("application/wasm", NO_CACHE),
        "runtime/pyodide.mjs": ("text/javascript; charset=utf-8", NO_CACHE),
        "runtime/packages/0123456789abcdef/mplat_energy-0.1.0-py3-none-any.whl": (
            "application/zip",
            IMMUTABLE,
        ),
        "sw.js": ("text/javascript; charset=utf-8", NO_CACHE),
        "manifest.webmanifest": ("application/manifest+json", NO_CACHE),
        "gallery.json": ("application/json", NO_CACHE),
        "assets/brand.css": ("text/css; charset=utf-8", NO_CACHE),
    }
    for key, (ctype, cache) in expect.items():
        assert (found[key]["ContentType"], found[key]["CacheControl"]) == (ctype, cache), key
    import hashlib

    digest = hashlib.sha256((site_dir / "index.html").read_bytes()).hexdigest()
    assert found["index.html"]["Metadata"]["sha256"] == digest


def test_publishing_again_uploads_nothing_and_a_change_uploads_only_that_file(site_bucket, infra, site_dir):
    assert infra("publish-site", "--env", "local", "--site-dir", str(site_dir)).code == 0
    before = {k: v["VersionId"] for k, v in objects(site_bucket).items()}
    again = infra("publish-site", "--env", "local", "--site-dir", str(site_dir))
    assert again.code == 0 and "0 uploaded, 13 unchanged" in again.out
    assert {k: v["VersionId"] for k, v in objects(site_bucket).items()} == before

    (site_dir / "index.html").write_text("<h1>Gallery v2</h1>")
    changed = infra("publish-site", "--env", "local", "--site-dir", str(site_dir))
    assert "1 uploaded, 12 unchanged" in changed.out
    after = {k: v["VersionId"] for k, v in objects(site_bucket).items()}
    assert [k for k in after if after[k] != before[k]] == ["index.html"]


def test_an_object_replaced_behind_publishs_back_is_uploaded_again(site_bucket, infra, site_dir, s3):
    assert infra("publish-site", "--env", "local", "--site-dir", str(site_dir)).code == 0
    s3.put_object(Bucket=site_bucket, Key="gallery.json", Body=b"[tampered]", ContentType="text/plain")
    repaired = infra("publish-site", "--env", "local", "--site-dir", str(site_dir))
    assert "1 uploaded, 12 unchanged" in repaired.out
    assert body(site_bucket, "gallery.json") == "[]"
    assert objects(site_bucket)["gallery.json"]["ContentType"] == "application/json"


def test_removed_files_survive_the_grace_period_then_are_pruned(site_bucket, infra, site_dir):
    assert infra("publish-site", "--env", "local", "--site-dir", str(site_dir)).code == 0
    (site_dir / "apps/assets/lazy-plot-Q9w8E7r6.js").unlink()
    kept = infra("publish-site", "--env", "local", "--site-dir", str(site_dir))
    assert "1 old file(s) kept for the grace period, 0 pruned" in kept.out
    assert "apps/assets/lazy-plot-Q9w8E7r6.js" in objects(site_bucket)

    pruned = infra("publish-site", "--env", "local", "--site-dir", str(site_dir), "--grace-days", "0")
    assert pruned.code == 0 and "0 old file(s) kept for the grace period, 1 pruned" in pruned.out
    assert "apps/assets/lazy-plot-Q9w8E7r6.js" not in objects(site_bucket)


def test_rollback_restores_the_previous_build(site_bucket, infra, site_dir):
    assert infra("publish-site", "--env", "local", "--site-dir", str(site_dir)).code == 0
    (site_dir / "index.html").write_text("<h1>Gallery v2 (broken)</h1>")
    (site_dir / "apps/assets/lazy-plot-Q9w8E7r6.js").unlink()
    (site_dir / "apps/assets/new-Zz99Yy88.js").write_text("new")
    assert infra("publish-site", "--env", "local", "--site-dir", str(site_dir), "--grace-days", "0").code == 0
    assert body(site_bucket, "index.html") == "<h1>Gallery v2 (broken)</h1>"
    assert "apps/assets/lazy-plot-Q9w8E7r6.js" not in objects(site_bucket)  # pruned at once (grace 0)

    back = infra("publish-site", "--env", "local", "--rollback")
    assert back.code == 0, back.err
    assert "Rolled back to build" in back.out
    assert body(site_bucket, "index.html") == "<h1>Gallery v1</h1>"
    # A pruned file comes back from its old version, with its metadata and headers.
    restored = objects(site_bucket)["apps/assets/lazy-plot-Q9w8E7r6.js"]
    assert restored["CacheControl"] == IMMUTABLE and "sha256" in restored["Metadata"]
    assert body(site_bucket, "apps/assets/lazy-plot-Q9w8E7r6.js") == "export const plot = 1;"
    # The rolled-back build's new file stays for the grace period (an open page may still need it).
    assert "apps/assets/new-Zz99Yy88.js" in objects(site_bucket)

    # Nothing earlier than the first build: a second rollback says so and changes nothing.
    again = infra("publish-site", "--env", "local", "--rollback")
    assert again.code == 1 and "no earlier build" in again.err
    assert body(site_bucket, "index.html") == "<h1>Gallery v1</h1>"


def test_publish_refuses_a_site_built_with_other_headers_than_cloudfront_sends(site_bucket, infra, site_dir):
    """The service worker re-sends the built table: it must be the env's CloudFront table."""
    write_headers_file(site_dir, response_headers(SitePolicy.of(["https://portfolio.example"])))
    refused = infra("publish-site", "--env", "local", "--site-dir", str(site_dir))
    assert refused.code == 1 and "Content-Security-Policy" in refused.err and "embed_origins" in refused.err
    assert objects(site_bucket) == {}
    write_headers_file(site_dir, response_headers(SitePolicy()))
    assert infra("publish-site", "--env", "local", "--site-dir", str(site_dir)).code == 0


def test_upload_tiers_put_sw_js_and_pages_after_what_they_reference():
    keys = ["sw.js", "index.html", "apps/solar.html", "apps/assets/a-BxYz12Ab.js", "runtime/pyodide.mjs",
            "manifest.webmanifest", "gallery/solar/index.html", "assets/mplat/offline.js"]  # fmt: skip
    assert upload_tiers(keys) == [
        ["apps/assets/a-BxYz12Ab.js", "assets/mplat/offline.js", "runtime/pyodide.mjs"],
        ["apps/solar.html"],  # framed by the gallery pages
        ["gallery/solar/index.html", "index.html", "manifest.webmanifest"],
        ["sw.js"],  # its manifest names every file: the very last
    ]


def test_publish_puts_sw_js_after_every_page_and_asset(site_bucket, site_dir, s3):
    """Observed on the S3 calls themselves (botocore's event hooks), against the moto server."""
    from infra.aws import Aws
    from infra.config import load_config
    from infra.engine import Context
    from infra.publish import publish

    ctx = Context(config=load_config("local"), aws=Aws("eu-central-1"), chalice_config=site_dir / "c.json")
    puts: list[str] = []
    ctx.aws.client("s3").meta.events.register(
        "before-parameter-build.s3.PutObject", lambda params, **_: puts.append(params["Key"])
    )
    publish(ctx, site_dir, grace_days=7)
    site_puts = [k for k in puts if not k.startswith("_mplat/")]
    assert site_puts[-1] == "sw.js"
    pages = [i for i, k in enumerate(site_puts) if k.endswith(".html")]
    assets = [
        i for i, k in enumerate(site_puts) if not k.endswith((".html", "sw.js", ".webmanifest", ".json"))
    ]
    assert max(assets) < min(pages)
    assert site_puts.index("apps/solar.html") < site_puts.index("gallery/solar/index.html")


def test_two_publishes_cannot_run_at_once(site_bucket, infra, site_dir, s3):
    """The lock is an object created with If-None-Match: * (moto 5.2.5 honours the condition)."""
    holder = {"operation": "publish", "by": "ci@runner-7", "pid": 1, "started_at": "2026-12-06T10:00:00"}
    s3.put_object(Bucket=site_bucket, Key="_mplat/publish.lock", Body=json.dumps(holder).encode())
    blocked = infra("publish-site", "--env", "local", "--site-dir", str(site_dir))
    assert blocked.code == 1 and "another publish-site is running" in blocked.err
    assert "ci@runner-7" in blocked.err and "_mplat/publish.lock" in blocked.err
    assert objects(site_bucket) == {}
    assert infra("publish-site", "--env", "local", "--rollback").code == 1  # rollback waits its turn too

    s3.delete_object(Bucket=site_bucket, Key="_mplat/publish.lock")  # the holder finished
    done = infra("publish-site", "--env", "local", "--site-dir", str(site_dir))
    assert done.code == 0, done.err
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=site_bucket)["Contents"]]
    assert "_mplat/publish.lock" not in keys  # released, so the next publish can run
    again = infra("publish-site", "--env", "local", "--site-dir", str(site_dir))
    assert again.code == 0, again.err


def test_rollback_checks_every_version_it_needs_before_changing_anything(site_bucket, infra, site_dir, s3):
    assert infra("publish-site", "--env", "local", "--site-dir", str(site_dir)).code == 0
    first = {k: v["VersionId"] for k, v in objects(site_bucket).items()}
    (site_dir / "index.html").write_text("<h1>Gallery v2</h1>")
    (site_dir / "apps/assets/lazy-plot-Q9w8E7r6.js").unlink()
    assert infra("publish-site", "--env", "local", "--site-dir", str(site_dir), "--grace-days", "0").code == 0
    before = {k: v["VersionId"] for k, v in objects(site_bucket).items()}
    # Build 1's page version expired (noncurrent versions expire): the rollback cannot be complete.
    s3.delete_object(Bucket=site_bucket, Key="index.html", VersionId=first["index.html"])

    refused = infra("publish-site", "--env", "local", "--rollback")
    assert refused.code == 1 and "index.html" in refused.err and "nothing was changed" in refused.err
    assert {k: v["VersionId"] for k, v in objects(site_bucket).items()} == before
    assert "apps/assets/lazy-plot-Q9w8E7r6.js" not in before  # not restored half-way either


def test_publish_refuses_a_missing_bucket_or_site_dir(aws_env, infra, tmp_path):
    missing_dir = infra("publish-site", "--env", "local", "--site-dir", str(tmp_path / "nope"))
    assert missing_dir.code == 1 and "does not exist" in missing_dir.err
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("x")
    no_bucket = infra("publish-site", "--env", "local", "--site-dir", str(tmp_path / "site"))
    assert no_bucket.code == 1 and "run `python -m infra apply --env local`" in no_bucket.err


@pytest.mark.parametrize(
    ("key", "ctype", "cache"),
    [
        ("apps/assets/index-3f9a2c1d.js", "text/javascript; charset=utf-8", IMMUTABLE),
        ("assets/app.3f9a2c1de0.css", "text/css; charset=utf-8", IMMUTABLE),
        ("assets/overview.css", "text/css; charset=utf-8", NO_CACHE),  # 8 letters, no digit: not a hash
        ("gallery-overview/index.html", "text/html; charset=utf-8", NO_CACHE),
        ("runtime/pyodide-lock.json", "application/json", NO_CACHE),  # same name, new content each build
        ("runtime/python_stdlib.zip", "application/zip", NO_CACHE),
        ("runtime/packages/0123456789abcdef/numpy-2.0-py3-none-any.whl", "application/zip", IMMUTABLE),
        ("runtime/packages/numpy-2.0-py3-none-any.whl", "application/zip", NO_CACHE),
        ("apps/assets/index-BxYz_2-b.js", "text/javascript; charset=utf-8", IMMUTABLE),  # Vite's hash
        ("apps/vendor/mathjax/tex-mml-svg.js", "text/javascript; charset=utf-8", NO_CACHE),
        (
            "apps/assets/worker-DTQ7oH2A.js",
            "text/javascript; charset=utf-8",
            NO_CACHE,
        ),  # rewritten by the build
        ("apps/mplat-controller.js", "text/javascript; charset=utf-8", NO_CACHE),
        ("assets/mplat/offline.js", "text/javascript; charset=utf-8", NO_CACHE),
        ("assets/javascripts/bundle.f1ef0d2f.min.js", "text/javascript; charset=utf-8", IMMUTABLE),
        ("runtime/index.html", "text/html; charset=utf-8", NO_CACHE),  # pages are never immutable
        ("sw.js", "text/javascript; charset=utf-8", NO_CACHE),
        ("data/examples/site.csv", "text/csv; charset=utf-8", NO_CACHE),
        ("fonts/x.woff2", "font/woff2", NO_CACHE),
        ("blob.unknown", "application/octet-stream", NO_CACHE),
    ],
)
def test_content_type_and_cache_control_rules(key, ctype, cache):
    assert (content_type(key), cache_control(key)) == (ctype, cache)


# ---------------------------------------------------------------------------------------------------------
# CloudFront pieces. moto 5.2.5 implements neither response-headers policies nor publishing CloudFront
# functions, so these documents are checked directly and the function runs under Node.js.


@pytest.fixture
def dev_ctx(tmp_path):
    from infra.aws import Aws
    from infra.config import load_config
    from infra.engine import Context

    class FixedAccount(Aws):
        account_id = ACCOUNT  # no AWS call: these tests only build documents

    config = load_config("dev")
    return Context(config=config, aws=FixedAccount("eu-central-1"), chalice_config=tmp_path / "c.json")


def test_response_headers_policy_sends_exactly_the_sites_header_table():
    """CloudFront sends the table `make preview`, the browser tests and the service worker send."""
    policy = SitePolicy.of(["https://portfolio.example"], "https://stats.example/api/event")
    config = site_service.headers_policy_config("mplat-dev-site-headers", policy)
    assert site_service.headers_sent(config) == response_headers(policy)
    sent = site_service.headers_sent(config)
    assert sent["Cross-Origin-Opener-Policy"] == "same-origin"
    assert sent["Cross-Origin-Embedder-Policy"] == "require-corp"
    # Framing is the CSP's business: the site itself and the configured embed origins, nobody else.
    assert "X-Frame-Options" not in sent and "FrameOptions" not in config["SecurityHeadersConfig"]
    csp = dict(d.split(" ", 1) for d in sent["Content-Security-Policy"].split("; "))
    assert csp["frame-ancestors"] == "'self' https://portfolio.example"
    assert csp["connect-src"] == "'self' https://stats.example"
    assert config["CustomHeadersConfig"]["Quantity"] == len(config["CustomHeadersConfig"]["Items"])
    assert config["SecurityHeadersConfig"]["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000


def test_env_config_feeds_the_header_table_and_refuses_a_bad_origin(tmp_path):
    from infra.config import ConfigError, load_config

    assert load_config("dev").site.policy == SitePolicy()
    base = (REPO / "infra" / "envs" / "dev.toml").read_text()
    (tmp_path / "dev.toml").write_text(
        base.replace("[site]", '[site]\nembed_origins = ["https://portfolio.example/some/page"]', 1)
    )
    assert load_config("dev", tmp_path).site.policy.embed_origins == ("https://portfolio.example",)
    (tmp_path / "dev.toml").write_text(
        base.replace("[site]", '[site]\nembed_origins = ["http://portfolio.example"]', 1)
    )
    with pytest.raises(ConfigError, match=r"dev.toml: \[site\] embed_origins: .* must use https"):
        load_config("dev", tmp_path)


def test_distribution_reads_the_private_bucket_through_oac_with_function_and_headers(dev_ctx):
    names = site_service.SiteNames.of(dev_ctx)
    config = site_service.distribution_config(
        dev_ctx, names, oac_id="OAC1", function_arn="arn:fn", headers_policy_id="HP1"
    )
    (origin,) = config["Origins"]["Items"]
    assert origin["DomainName"] == f"mplat-dev-site-bucket-{ACCOUNT}.s3.eu-central-1.amazonaws.com"
    assert origin["OriginAccessControlId"] == "OAC1"
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy OAI
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["ResponseHeadersPolicyId"] == "HP1"
    assert behavior["FunctionAssociations"]["Items"] == [
        {"FunctionARN": "arn:fn", "EventType": "viewer-request"}
    ]
    assert config["Comment"] == "mplat-dev-site-distribution"

    policy = site_service.bucket_policy(dev_ctx, names, "arn:aws:cloudfront::123456789012:distribution/E1")
    statements = {s["Sid"]: s for s in policy["Statement"]}
    read = statements["CloudFrontReadsThroughOAC"]
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert read["Condition"] == {
        "StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::123456789012:distribution/E1"}
    }
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def run_viewer_function(tmp_path: Path, uris: list[str]) -> list[dict]:
    """The function's code under Node.js, called with CloudFront's viewer-request event shape."""
    code = (REPO / "infra" / "services" / "site_viewer_request.js").read_text()
    harness = tmp_path / "run.js"
    harness.write_text(
        code
        + "\nconst uris = JSON.parse(process.argv[2]);\n"
        + "const event = (uri) => ({version: '1.0', context: {eventType: 'viewer-request'}, viewer: {ip: '1.2.3.4'},"
        + " request: {method: 'GET', uri: uri, querystring: {}, headers: {host: {value: 'demos.example'}},"
        + " cookies: {}}});\n"
        + "console.log(JSON.stringify(uris.map(u => handler(event(u)))));\n"
    )
    out = subprocess.run(["node", str(harness), json.dumps(uris)], capture_output=True, text=True, check=True)
    return list(json.loads(out.stdout))


def test_viewer_function_maps_directories_to_index_html(tmp_path):
    uris = ["/", "/gallery/solar/", "/gallery/solar", "/apps/solar.html", "/apps/assets/x-1a2b3c4d.js"]
    results = run_viewer_function(tmp_path, uris)
    assert results[0]["uri"] == "/index.html"
    assert results[1]["uri"] == "/gallery/solar/index.html"
    assert results[2]["statusCode"] == 301 and results[2]["headers"]["location"]["value"] == "/gallery/solar/"
    assert results[3]["uri"] == "/apps/solar.html"
    assert results[4]["uri"] == "/apps/assets/x-1a2b3c4d.js"


def test_viewer_function_never_redirects_to_another_host(tmp_path):
    """A path starting with `//` would make `Location: //host/` (protocol-relative: another host)."""
    uris = ["//134744072", "//evil%2ecom", "///evil.com", "/\\evil.com", "//evil.com/x", "//gallery/solar/"]
    results = run_viewer_function(tmp_path, uris)
    for uri, result in zip(uris, results, strict=True):
        target = result["headers"]["location"]["value"] if "statusCode" in result else result["uri"]
        assert target.startswith("/") and target[1:2] not in ("/", "\\"), (uri, result)
    assert results[0]["headers"]["location"]["value"] == "/134744072/"
    assert results[5]["uri"] == "/gallery/solar/index.html"


def test_cloudfront_requests_match_the_api_model(dev_ctx):
    """botocore validates every request shape against the real CloudFront API model (names, types,
    required fields) before sending: the documents moto cannot store are at least well-formed."""
    from botocore.validate import validate_parameters

    cf = boto3.client("cloudfront", region_name="us-east-1")
    names = site_service.SiteNames.of(dev_ctx)
    distribution = site_service.distribution_config(
        dev_ctx, names, oac_id="E2QWRUHAPOMQZL", function_arn="arn:fn", headers_policy_id="HP1"
    )
    requests = {
        "CreateResponseHeadersPolicy": {
            "ResponseHeadersPolicyConfig": site_service.headers_policy_config(
                names.headers, SitePolicy.of(["https://portfolio.example"])
            )
        },
        "CreateOriginAccessControl": {"OriginAccessControlConfig": site_service.oac_config(names.oac)},
        "CreateFunction": {
            "Name": names.function,
            "FunctionConfig": {"Comment": "x", "Runtime": "cloudfront-js-2.0"},
            "FunctionCode": site_service.FUNCTION_CODE,
        },
        "CreateDistributionWithTags": {
            "DistributionConfigWithTags": {"DistributionConfig": distribution, "Tags": {"Items": []}}
        },
        "UpdateDistribution": {"Id": "E1", "IfMatch": "x", "DistributionConfig": distribution},
    }
    for operation, params in requests.items():
        shape = cf.meta.service_model.operation_model(operation).input_shape
        validate_parameters(params, shape)  # raises ParamValidationError on any mistake


def test_site_lookups_find_what_cloudfront_returns(aws_env, dev_ctx):
    """OAC and distribution are found by name/comment in real list responses (moto stores both)."""
    cf = boto3.client("cloudfront", region_name="us-east-1")
    names = site_service.SiteNames.of(dev_ctx)
    oac = cf.create_origin_access_control(OriginAccessControlConfig=site_service.oac_config(names.oac))
    config = site_service.distribution_config(
        dev_ctx,
        names,
        oac_id=oac["OriginAccessControl"]["Id"],
        function_arn="arn:aws:cloudfront::123456789012:function/x",
        headers_policy_id="HP1",
    )
    created = cf.create_distribution_with_tags(
        DistributionConfigWithTags={
            "DistributionConfig": config,
            "Tags": {"Items": [{"Key": "k", "Value": "v"}]},
        }
    )["Distribution"]
    assert site_service.find_oac(cf, names.oac)["Id"] == oac["OriginAccessControl"]["Id"]
    assert site_service.find_oac(cf, "mplat-dev-site-other") is None
    found = site_service.find_distribution(cf, names.distribution)
    assert found["Id"] == created["Id"] and found["ARN"] == created["ARN"]
    stored = cf.get_distribution_config(Id=created["Id"])["DistributionConfig"]
    assert stored["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == "HP1"
    assert stored["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
