"""publish-site: upload the built gallery to the site bucket and invalidate CloudFront.

- Only files whose sha256 changed are uploaded; the hash is kept in object metadata (`x-amz-meta-sha256`),
  because multipart ETags are not MD5s and cannot be compared with a local file.
- Content-Type from the extension (wasm, mjs, webmanifest, whl, ...); Cache-Control from the site's header
  table (mplat.gallery.site_headers.cache_control, which `make preview` sends too): one year `immutable`
  only for content-addressed files, `no-cache` (revalidated) for pages, `sw.js`, manifests and every file
  whose name stays while its content changes (the runtime's `pyodide-lock.json`, `pyodide.asm.wasm`…).
- Uploads go in tiers (`upload_tiers`): assets, notebook pages, other pages and manifests, `sw.js` last, so
  a page or worker never references a file that is not there yet.
- One publish-site at a time per bucket: `_mplat/publish.lock` is created with a conditional put
  (`If-None-Match: *`) and deleted at the end; a second run fails and says who holds it.
- Files the new build no longer has stay for a grace period (an open old page may still lazy-load its
  chunks), then are pruned by a later publish.
- Every publish is recorded in `_mplat/builds.json` with each file's S3 version id; `--rollback` copies the
  previous build's versions back (the bucket is versioned; old versions expire after
  `[site] noncurrent_expire_days`), after checking every version it needs still exists.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from infra import naming
from infra.aws import missing
from infra.engine import Context
from infra.services.site import SiteNames, find_distribution
from infra.services.storage import bucket_exists
from mplat.content_types import content_type
from mplat.files import sha256_file
from mplat.gallery.site_headers import (
    HEADERS_FILE,
    NO_CACHE,
    cache_control,
    is_entry,
    read_headers_file,
    response_headers,
)

STATE_KEY = "_mplat/builds.json"
LOCK_KEY = "_mplat/publish.lock"  # exists while a publish-site runs (created with If-None-Match: *)
STATE_PREFIX = "_mplat/"
WORKER_KEY = "sw.js"
APPS_PREFIX = "apps/"
KEEP_BUILDS = 10
WORKERS = 8


@dataclass(frozen=True)
class LocalFile:
    key: str
    path: Path
    sha256: str


def scan(site_dir: Path) -> dict[str, LocalFile]:
    files = sorted(p for p in site_dir.rglob("*") if p.is_file())
    with ThreadPoolExecutor(WORKERS) as pool:
        hashes = list(pool.map(sha256_file, files))
    found = {}
    for path, digest in zip(files, hashes, strict=True):
        key = path.relative_to(site_dir).as_posix()
        if key.startswith(STATE_PREFIX):
            raise ValueError(f"{path}: {STATE_PREFIX} is reserved for publish-site's own records")
        found[key] = LocalFile(key, path, digest)
    if not found:
        raise ValueError(f"{site_dir} is empty: build the site first")
    return found


@dataclass(frozen=True)
class PublishReport:
    build_id: str
    uploaded: int
    unchanged: int
    kept_for_grace: int
    pruned: int
    invalidation: str | None
    rollback_to: str | None = None

    def describe(self) -> str:
        action = f"Rolled back to build {self.rollback_to}" if self.rollback_to else "Published"
        verb = "restored" if self.rollback_to else "uploaded"
        cdn = f"; CloudFront invalidation {self.invalidation}" if self.invalidation else ""
        return (
            f"{action} as build {self.build_id}: {self.uploaded} {verb}, {self.unchanged} unchanged, "
            f"{self.kept_for_grace} old file(s) kept for the grace period, {self.pruned} pruned{cdn}."
        )


# ---------------------------------------------------------------------------------------------------------
# Bucket state


@dataclass(frozen=True)
class Remote:
    """What the bucket holds for one key: the sha256 from its metadata, its version and ETag."""

    sha256: str | None
    version_id: str | None
    etag: str | None = None

    def record(self) -> dict[str, str | None]:
        return {"sha256": self.sha256, "version_id": self.version_id, "etag": self.etag}


class Site:
    """The site bucket as publish-site sees it: objects with their sha256 and the build history."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.s3 = ctx.aws.client("s3")
        self.bucket = naming.site_bucket(ctx.env, ctx.account_id)
        if not bucket_exists(self.s3, self.bucket):
            raise ValueError(
                f"site bucket {self.bucket} does not exist: run `python -m infra apply --env {ctx.env}`"
            )

    def listing(self) -> dict[str, str]:
        """Every published key with its current ETag (publish-site's own records excluded)."""
        found: dict[str, str] = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for item in page.get("Contents", []):
                if not item["Key"].startswith(STATE_PREFIX):
                    found[item["Key"]] = item["ETag"]
        return found

    def head(self, key: str) -> Remote:
        try:
            found = self.s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if missing(exc, "NoSuchKey", "NotFound"):
                return Remote(None, None)
            raise
        return Remote(found.get("Metadata", {}).get("sha256"), found.get("VersionId"), found.get("ETag"))

    def state(self, listing: dict[str, str], keys: Iterable[str], last: dict[str, Any]) -> dict[str, Remote]:
        """sha256 and version of each existing key. The last build's record answers while the object's
        ETag is still the one recorded at upload (nobody replaced it since); otherwise the object's
        metadata is read — it is the source of truth."""
        known: dict[str, Remote] = {}
        unknown: list[str] = []
        for key in keys:
            record = last.get(key) or {}
            if record.get("etag") and record["etag"] == listing.get(key):
                known[key] = Remote(record["sha256"], record.get("version_id"), record["etag"])
            else:
                unknown.append(key)
        return known | dict(zip(unknown, _in_parallel(self.head, unknown), strict=True))

    def upload(self, file: LocalFile) -> Remote:
        with file.path.open("rb") as body:
            response = self.s3.put_object(
                Bucket=self.bucket,
                Key=file.key,
                Body=body,
                ContentType=content_type(file.key),
                CacheControl=cache_control(file.key),
                Metadata={"sha256": file.sha256},
            )
        return Remote(file.sha256, response.get("VersionId"), response.get("ETag"))

    def restore(self, key: str, version_id: str, sha256: str) -> Remote:
        """Make an old version current again (metadata, type and cache headers come with it)."""
        response = self.s3.copy_object(
            Bucket=self.bucket,
            Key=key,
            CopySource={"Bucket": self.bucket, "Key": key, "VersionId": version_id},
            MetadataDirective="COPY",
        )
        return Remote(sha256, response.get("VersionId"), response["CopyObjectResult"].get("ETag"))

    def has_version(self, key: str, version_id: str | None) -> bool:
        if not version_id:
            return False
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key, VersionId=version_id)
        except ClientError as exc:
            if missing(exc, "NoSuchKey", "NotFound", "NoSuchVersion", "404", "400"):
                return False
            raise
        return True

    def lock(self, operation: str, now: dt.datetime) -> None:
        """Take the bucket's publish lock: a conditional put fails while another publish-site holds it."""
        holder = {"operation": operation, "by": f"{getpass.getuser()}@{socket.gethostname()}",
                  "pid": os.getpid(), "started_at": now.isoformat()}  # fmt: skip
        try:
            self.s3.put_object(
                Bucket=self.bucket, Key=LOCK_KEY, Body=json.dumps(holder).encode(), IfNoneMatch="*",
                ContentType="application/json", CacheControl=NO_CACHE,
            )  # fmt: skip
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "412"):
                raise
            raise ValueError(
                f"another publish-site is running on {self.bucket} ({self._lock_holder()}); wait for it. "
                f"If it crashed, check nothing runs, then delete s3://{self.bucket}/{LOCK_KEY} and retry."
            ) from exc

    def _lock_holder(self) -> str:
        try:
            holder = json.loads(self.s3.get_object(Bucket=self.bucket, Key=LOCK_KEY)["Body"].read())
            return f"{holder['operation']} by {holder['by']} since {holder['started_at']}"
        except (ClientError, ValueError, KeyError, TypeError):
            return "holder unknown"

    def unlock(self) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=LOCK_KEY)

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    def history(self) -> list[dict[str, Any]]:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=STATE_KEY)["Body"].read()
        except ClientError as exc:
            if missing(exc, "NoSuchKey"):
                return []
            raise
        return list(json.loads(body)["builds"])

    def save_history(self, builds: list[dict[str, Any]]) -> None:
        self.s3.put_object(
            Bucket=self.bucket,
            Key=STATE_KEY,
            Body=json.dumps({"builds": builds[:KEEP_BUILDS]}, indent=1).encode(),
            ContentType="application/json",
            CacheControl=NO_CACHE,
        )


def _in_parallel(function: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(function, items))


def _stamp(now: dt.datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%S%fZ")


def _prune(
    site: Site, remote_keys: set[str], builds: list[dict[str, Any]], now: dt.datetime, grace_days: int
) -> tuple[int, int]:
    """Delete files no build needs any more; a build superseded within the grace period still needs its own."""
    current = set(builds[0]["files"])
    horizon = now - dt.timedelta(days=grace_days)
    protected: set[str] = set()
    for build in builds[1:]:
        superseded = build.get("superseded_at")
        if superseded and dt.datetime.fromisoformat(superseded) > horizon:
            protected |= set(build["files"])
    stale = sorted(remote_keys - current)
    doomed = [k for k in stale if k not in protected]
    site.delete(doomed)
    return len(stale) - len(doomed), len(doomed)


def _invalidate(ctx: Context, caller_reference: str) -> str | None:
    if not ctx.config.site.cdn:
        return None
    cf = ctx.aws.client("cloudfront")
    found = find_distribution(cf, SiteNames.of(ctx).distribution)
    if found is None:
        return None
    response = cf.create_invalidation(
        DistributionId=found["Id"],
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": caller_reference},
    )
    return str(response["Invalidation"]["Id"])


def _supersede(builds: list[dict[str, Any]], new: dict[str, Any], now: dt.datetime) -> list[dict[str, Any]]:
    if builds and not builds[0].get("superseded_at"):
        builds[0]["superseded_at"] = now.isoformat()
    return [new, *builds]


# ---------------------------------------------------------------------------------------------------------
# Commands


def upload_tiers(keys: Iterable[str]) -> list[list[str]]:
    """The order in which keys go up, in tiers (each tier in parallel, after the previous one is complete):
    what is referenced before what references it, so a visitor never gets a page or worker whose files are
    not there yet. Assets and chunks; the notebook pages (`apps/*.html`, framed by the gallery pages); the
    other pages and manifests; last `sw.js`, whose manifest names every file's content."""

    def tier(key: str) -> int:
        if key == WORKER_KEY:
            return 3
        if not is_entry(key):
            return 0
        return 1 if key.startswith(APPS_PREFIX) else 2

    tiers: list[list[str]] = [[], [], [], []]
    for key in sorted(keys):
        tiers[tier(key)].append(key)
    return [t for t in tiers if t]


def _in_tiers(keys: Iterable[str], work: Callable[[str], Remote]) -> dict[str, Remote]:
    done: dict[str, Remote] = {}
    for keys_of_tier in upload_tiers(keys):
        done |= dict(zip(keys_of_tier, _in_parallel(work, keys_of_tier), strict=True))
    return done


@contextlib.contextmanager
def _locked(site: Site, operation: str, now: dt.datetime) -> Iterator[None]:
    """Two publishes at once would interleave uploads and history: one waits for the other (it fails)."""
    site.lock(operation, now)
    try:
        yield
    finally:
        site.unlock()


def check_headers(ctx: Context, site_dir: Path) -> None:
    """The built site's header table (what its service worker sends) must be what CloudFront sends."""
    built = read_headers_file(site_dir)
    sent = response_headers(ctx.config.site.policy)
    if built is not None and built != sent:
        differ = sorted(h for h in set(built) | set(sent) if built.get(h) != sent.get(h))
        raise ValueError(
            f"{site_dir / HEADERS_FILE}: the site was built with other response headers than the {ctx.env} "
            f"CloudFront distribution sends ({', '.join(differ)}). Set the same embed_origins and "
            f"analytics endpoint in mkdocs.yml (mplat-gallery) and in [site] of infra/envs/{ctx.env}.toml, "
            "then rebuild (`make site`) or apply (`python -m infra apply`)."
        )


def publish(
    ctx: Context, site_dir: Path, *, grace_days: int, now: dt.datetime | None = None
) -> PublishReport:
    now = now or dt.datetime.now(dt.UTC)
    check_headers(ctx, site_dir)
    site = Site(ctx)
    local = scan(site_dir)
    with _locked(site, "publish", now):
        return _publish(ctx, site, local, grace_days=grace_days, now=now)


def _publish(
    ctx: Context, site: Site, local: dict[str, LocalFile], *, grace_days: int, now: dt.datetime
) -> PublishReport:
    listing = site.listing()
    builds = site.history()
    remote = site.state(listing, sorted(set(listing) & set(local)), builds[0]["files"] if builds else {})
    changed = [f for k, f in local.items() if k not in remote or remote[k].sha256 != f.sha256]
    uploaded = _in_tiers([f.key for f in changed], lambda key: site.upload(local[key]))

    files = {key: (uploaded.get(key) or remote[key]).record() for key in sorted(local)}
    if not changed and builds and builds[0]["files"] == files:
        kept, pruned = _prune(site, set(listing), builds, now, grace_days)
        return PublishReport(builds[0]["id"], 0, len(local), kept, pruned, None)
    build_id = _stamp(now)
    new = {"id": build_id, "source": build_id, "published_at": now.isoformat(), "superseded_at": None}
    builds = _supersede(builds, {**new, "files": files}, now)
    site.save_history(builds)
    kept, pruned = _prune(site, set(listing) | set(local), builds, now, grace_days)
    invalidation = _invalidate(ctx, build_id) if changed or pruned else None
    return PublishReport(build_id, len(changed), len(local) - len(changed), kept, pruned, invalidation)


def rollback(ctx: Context, *, grace_days: int, now: dt.datetime | None = None) -> PublishReport:
    now = now or dt.datetime.now(dt.UTC)
    site = Site(ctx)
    with _locked(site, "rollback", now):
        return _rollback(ctx, site, grace_days=grace_days, now=now)


def _rollback(ctx: Context, site: Site, *, grace_days: int, now: dt.datetime) -> PublishReport:
    builds = site.history()
    if not builds:
        raise ValueError("nothing to roll back: no build has been published to this env yet")
    current = builds[0]
    target = next(
        (b for b in builds[1:] if not b.get("rolled_back") and b["source"] != current["source"]),
        None,
    )
    if target is None:
        raise ValueError(f"no earlier build to roll back to (kept: {', '.join(b['id'] for b in builds)})")

    listing = site.listing()
    wanted = target["files"]
    remote = site.state(listing, sorted(set(wanted) & set(listing)), current["files"])
    todo = sorted(k for k, f in wanted.items() if k not in remote or remote[k].sha256 != f["sha256"])

    def restore(key: str) -> Remote:
        try:
            return site.restore(key, wanted[key]["version_id"], wanted[key]["sha256"])
        except ClientError as exc:
            raise ValueError(
                f"cannot restore {key} of build {target['id']}: its version is gone ({exc}); "
                "publish that build again from its sources instead"
            ) from exc

    # Every version needed must still exist before anything changes (old versions expire after
    # [site] noncurrent_expire_days): a rollback stopped half-way would leave a mix of two builds.
    gone = [
        k
        for k, present in zip(
            todo, _in_parallel(lambda k: site.has_version(k, wanted[k]["version_id"]), todo), strict=True
        )
        if not present
    ]
    if gone:
        raise ValueError(
            f"cannot roll back to build {target['id']}: {len(gone)} of its file versions are gone "
            f"(first: {', '.join(gone[:5])}); nothing was changed. Publish that build again from its "
            "sources instead (old versions expire after [site] noncurrent_expire_days)."
        )
    restored = _in_tiers(todo, restore)

    build_id = _stamp(now)
    files = {key: (restored.get(key) or remote[key]).record() for key in sorted(wanted)}
    current["rolled_back"] = True
    new = {
        "id": build_id,
        "source": target["source"],
        "rollback_of": current["id"],
        "published_at": now.isoformat(),
        "superseded_at": None,
        "files": files,
    }
    builds = _supersede(builds, new, now)
    site.save_history(builds)
    kept, pruned = _prune(site, set(site.listing()), builds, now, grace_days)
    invalidation = _invalidate(ctx, build_id)
    return PublishReport(
        build_id, len(todo), len(files) - len(todo), kept, pruned, invalidation, rollback_to=target["id"]
    )
