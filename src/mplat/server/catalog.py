"""Which weather files a notebook can use: EPW objects in the raw bucket, else the bundled sample data.

With an empty or unreachable raw bucket the catalog is in demo mode: it lists the sample EPW files shipped in
`data/examples/` (or `SAMPLE_DATA_DIR`) and says why, so the notebook can show "Using demo data".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mplat.server.notebook_env import NotebookEnv
from mplat.server.storage import BucketUnavailable, list_objects, read_object
from mplat.server.weather import is_epw_name

# On-prem devices upload under onprem/<device>/; the sample weather lives at onprem/sample/weather/.
EPW_PREFIX = "onprem/"


@dataclass(frozen=True)
class WeatherSource:
    kind: Literal["s3", "sample"]
    location: str  # the object key, or the sample file's path
    size: int

    @property
    def label(self) -> str:
        return self.location if self.kind == "s3" else f"demo: {Path(self.location).name}"


@dataclass(frozen=True)
class WeatherCatalog:
    sources: tuple[WeatherSource, ...]
    demo_reason: str | None  # None when the sources come from the raw bucket

    @property
    def is_demo(self) -> bool:
        return self.demo_reason is not None


def sample_sources(sample_dir: Path) -> tuple[WeatherSource, ...]:
    if not sample_dir.is_dir():
        return ()
    paths = sorted(path for path in sample_dir.iterdir() if path.is_file() and is_epw_name(path.name))
    return tuple(WeatherSource("sample", str(path), path.stat().st_size) for path in paths)


def weather_catalog(env: NotebookEnv, client: Any) -> WeatherCatalog:
    try:
        objects = [info for info in list_objects(client, env.raw_bucket, EPW_PREFIX) if is_epw_name(info.key)]
    except BucketUnavailable as error:
        return WeatherCatalog(sample_sources(env.sample_data_dir), f"raw bucket unavailable ({error})")
    if not objects:
        reason = f"no EPW file under {EPW_PREFIX} in s3://{env.raw_bucket}"
        return WeatherCatalog(sample_sources(env.sample_data_dir), reason)
    return WeatherCatalog(tuple(WeatherSource("s3", info.key, info.size) for info in objects), None)


def load_source(source: WeatherSource, env: NotebookEnv, client: Any) -> bytes:
    if source.kind == "sample":
        return Path(source.location).read_bytes()
    assert env.raw_bucket is not None, "an s3 source implies a configured raw bucket"
    return read_object(client, env.raw_bucket, source.location)
