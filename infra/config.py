"""Per-environment settings from `infra/envs/<env>.toml`, validated into frozen dataclasses.

Every error names the file, the `[section] key` and what a valid value looks like, and nothing is provisioned
before the whole file has been read. Services added later parse their own section with `SectionReader`
(see `EnvConfig.section`), so this module does not grow with every service.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mplat.gallery.errors import GalleryError
from mplat.gallery.site_headers import SitePolicy

ENVS_DIR = Path(__file__).resolve().parent / "envs"
_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
_DEVICE = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")
ARCHIVE_CLASSES = ("GLACIER_IR", "GLACIER")


# SectionReader's methods are named after the types they read (`.str`, `.int`, `.bool`); these aliases keep
# the annotations after those definitions pointing at the builtins.
Text = str
Integer = int


class ConfigError(Exception):
    """A problem in an env file, phrased for the person who edits it."""


class SectionReader:
    """Typed access to one `[section]` of an env file; errors say `file: [section] key ...`."""

    def __init__(self, path: Path, section: str, data: Mapping[str, Any]) -> None:
        self.path, self.section, self.data = path, section, data
        self._seen: set[str] = set()

    def _where(self, key: str) -> str:
        return f"{self.path}: [{self.section}] {key}"

    def _get(self, key: str, default: Any, kind: type | tuple[type, ...], what: str) -> Any:
        self._seen.add(key)
        if key not in self.data:
            if default is _REQUIRED:
                raise ConfigError(f"{self._where(key)} is missing: add {key} = <{what}>")
            return default
        value = self.data[key]
        # bool is an int subclass in Python; `days = true` must not pass as 1.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(f"{self._where(key)} must be {what}, got {value!r}")
        return value

    def str(self, key: str, default: Any = None, *, pattern: re.Pattern[str] | None = None) -> Any:
        value = self._get(key, default, str, "a string")
        if value is not None and pattern is not None and not pattern.match(value):
            raise ConfigError(f"{self._where(key)} = {value!r} does not match {pattern.pattern}")
        return value

    def int(self, key: Text, default: Any = None, *, minimum: Integer = 0) -> Any:
        value = self._get(key, default, int, "an integer")
        if value is not None and value < minimum:
            raise ConfigError(f"{self._where(key)} must be >= {minimum}, got {value}")
        return value

    def bool(self, key: Text, default: Any = None) -> Any:
        return self._get(key, default, bool, "true or false")

    def str_list(self, key: Text, default: Any = None, *, pattern: re.Pattern[Text] | None = None) -> Any:
        value = self._get(key, default, list, "a list of strings")
        if value is None:
            return None
        for item in value:
            if not isinstance(item, str) or (pattern is not None and not pattern.match(item)):
                rule = f"match {pattern.pattern}" if pattern else "be strings"
                raise ConfigError(f"{self._where(key)}: every item must {rule}, got {item!r}")
        if len(set(value)) != len(value):
            raise ConfigError(f"{self._where(key)} lists a value twice: {value}")
        return tuple(value)

    def choice(self, key: Text, default: Any, choices: tuple[Text, ...]) -> Any:
        value = self.str(key, default)
        if value not in choices:
            raise ConfigError(f"{self._where(key)} must be one of {', '.join(choices)}, got {value!r}")
        return value

    def done(self) -> None:
        """Reject unknown keys: a typo must not silently fall back to a default."""
        unknown = sorted(set(self.data) - self._seen)
        if unknown:
            raise ConfigError(
                f"{self.path}: [{self.section}] has unknown key(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(self._seen))}"
            )


_REQUIRED = object()


@dataclass(frozen=True, kw_only=True)
class ProjectSettings:
    region: str
    owner: str
    cost_center: str
    repository: str
    # Which AWS account the env lives in (a label): `python -m infra cost --all` adds up the envs sharing one
    # and checks the sum against the account's budget.
    account: str
    # Policy statements with Conditions (TLS-only, break-glass exceptions) are left out when false: moto's
    # plain-HTTP endpoint treats every condition as matched, which would deny every request (NOTES §4).
    policy_conditions: bool


@dataclass(frozen=True, kw_only=True)
class StorageSettings:
    raw_archive_after_days: int
    raw_archive_storage_class: str
    raw_deep_archive_after_days: int
    raw_noncurrent_expire_days: int
    abort_multipart_after_days: int
    derived_tmp_expire_days: int
    derived_ia_after_days: int
    break_glass_role: str
    deploy_role: str  # the role `python -m infra apply` runs as: the only other one that may reconfigure raw


@dataclass(frozen=True, kw_only=True)
class SiteSettings:
    domain: str | None
    cdn: bool
    price_class: str
    certificate_arn: str | None
    publish_grace_days: int
    noncurrent_expire_days: int
    # The site's header table (src/mplat/gallery/site_headers.py) is built from these two; they must say
    # what the site was built with (mkdocs.yml's embed_origins / analytics_endpoint): publish-site checks.
    embed_origins: tuple[str, ...] = ()
    analytics_endpoint: str = ""

    @property
    def policy(self) -> SitePolicy:
        return SitePolicy.of(self.embed_origins, self.analytics_endpoint)


@dataclass(frozen=True, kw_only=True)
class EnvConfig:
    env: str
    path: Path
    project: ProjectSettings
    storage: StorageSettings
    site: SiteSettings
    okta_issuer: str | None
    onprem_devices: tuple[str, ...]
    ingestion_sources: tuple[str, ...]
    raw: Mapping[str, Any]

    def section(self, name: str) -> SectionReader:
        """A reader for a section this module does not model (services added later parse their own)."""
        data = self.raw.get(name, {})
        if not isinstance(data, dict):
            raise ConfigError(f"{self.path}: [{name}] must be a table")
        return SectionReader(self.path, name, data)


def load_config(env: str, envs_dir: Path = ENVS_DIR) -> EnvConfig:
    if not re.match(r"^[a-z][a-z0-9]*$", env):
        raise ConfigError(f"env {env!r} must be lower-case letters and digits (e.g. dev)")
    path = envs_dir / f"{env}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in envs_dir.glob("*.toml"))) or "none"
        raise ConfigError(f"{path} not found: create it or pick one of the existing envs ({known})")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return parse_config(env, path, raw)


def _table(path: Path, raw: Mapping[str, Any], name: str) -> SectionReader:
    data = raw.get(name, {})
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [{name}] must be a table, got {data!r}")
    return SectionReader(path, name, data)


def parse_config(env: str, path: Path, raw: Mapping[str, Any]) -> EnvConfig:
    p = _table(path, raw, "project")
    project = ProjectSettings(
        region=p.str("region", "eu-central-1", pattern=re.compile(r"^[a-z]{2}-[a-z]+-\d$")),
        owner=p.str("owner", _REQUIRED),
        cost_center=p.str("cost_center", _REQUIRED),
        repository=p.str("repository", _REQUIRED),
        account=p.str("account", "main", pattern=_SLUG),
        policy_conditions=p.bool("policy_conditions", True),
    )
    p.done()

    s = _table(path, raw, "storage")
    storage = StorageSettings(
        raw_archive_after_days=s.int("raw_archive_after_days", 180, minimum=1),
        raw_archive_storage_class=s.choice("raw_archive_storage_class", "GLACIER_IR", ARCHIVE_CLASSES),
        raw_deep_archive_after_days=s.int("raw_deep_archive_after_days", 365, minimum=1),
        raw_noncurrent_expire_days=s.int("raw_noncurrent_expire_days", 90, minimum=1),
        abort_multipart_after_days=s.int("abort_multipart_after_days", 7, minimum=1),
        derived_tmp_expire_days=s.int("derived_tmp_expire_days", 7, minimum=1),
        derived_ia_after_days=s.int("derived_ia_after_days", 30, minimum=30),
        break_glass_role=s.str("break_glass_role", "mplat-break-glass"),
        deploy_role=s.str("deploy_role", "mplat-deploy"),
    )
    s.done()
    # DEEP_ARCHIVE must come after the first archive tier, and S3 wants >= 90 days in GLACIER(_IR) first.
    if storage.raw_deep_archive_after_days < storage.raw_archive_after_days + 90:
        raise ConfigError(
            f"{path}: [storage] raw_deep_archive_after_days must be at least raw_archive_after_days + 90 "
            f"(= {storage.raw_archive_after_days + 90}), got {storage.raw_deep_archive_after_days}"
        )

    w = _table(path, raw, "site")
    site = SiteSettings(
        domain=w.str("domain"),
        cdn=w.bool("cdn", True),
        price_class=w.choice(
            "price_class", "PriceClass_100", ("PriceClass_100", "PriceClass_200", "PriceClass_All")
        ),
        certificate_arn=w.str("certificate_arn"),
        publish_grace_days=w.int("publish_grace_days", 7),
        noncurrent_expire_days=w.int("noncurrent_expire_days", 30, minimum=1),
        embed_origins=w.str_list("embed_origins", ()),
        analytics_endpoint=w.str("analytics_endpoint") or "",
    )
    w.done()
    try:
        site.policy  # noqa: B018 - validates the origins
    except GalleryError as exc:
        raise ConfigError(f"{path}: [site] {exc}") from exc
    if site.domain and site.cdn and not site.certificate_arn:
        raise ConfigError(
            f"{path}: [site] domain is set but certificate_arn is not: CloudFront needs an ACM certificate "
            "in us-east-1 for a custom domain (or remove domain to use the *.cloudfront.net name)"
        )

    o = _table(path, raw, "okta")
    okta_issuer = o.str("issuer")
    o.done()

    d = _table(path, raw, "onprem")
    devices = d.str_list("devices", ("sample",), pattern=_DEVICE)
    d.done()

    i = _table(path, raw, "ingestion")
    sources = i.str_list("sources", (), pattern=_SLUG)
    i.done()

    return EnvConfig(
        env=env,
        path=path,
        project=project,
        storage=storage,
        site=site,
        okta_issuer=okta_issuer,
        onprem_devices=devices,
        ingestion_sources=sources,
        raw=raw,
    )
