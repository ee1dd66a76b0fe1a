"""EnergyPlus weather files (EPW): parse with pandas, aggregate to daily and monthly statistics.

EPW: 8 header lines (the first, LOCATION, names the site), then one comma-separated row per hour. Only the
fields the statistics use are read; missing values (EPW sentinels such as 99.9 °C or 9999 W/m²) become NaN.
Files may be gzip-compressed (`.epw.gz`); the magic bytes decide, not the name.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from pathlib import PurePosixPath

import pandas as pd

HEADER_LINES = 8
# 0-based EPW field index → column name; sentinel at or above which the value means "missing".
FIELDS: dict[int, tuple[str, float]] = {
    1: ("month", float("inf")),
    2: ("day", float("inf")),
    3: ("hour", float("inf")),
    6: ("temp_c", 99.9),
    8: ("rel_humidity_pct", 999),
    13: ("ghi_wh_m2", 9999),
    14: ("dni_wh_m2", 9999),
    15: ("dhi_wh_m2", 9999),
    21: ("wind_m_s", 999),
}
MIN_FIELDS = max(FIELDS) + 1
DERIVED_PREFIX = "analysis/weather"


class EpwError(ValueError):
    """The file is not a readable EPW; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Location:
    city: str
    country: str
    latitude: float
    longitude: float
    timezone_hours: float
    elevation_m: float


@dataclass(frozen=True)
class WeatherFile:
    name: str
    location: Location
    hourly: pd.DataFrame  # one row per hour: month, day, hour (1-24) and the FIELDS values


def _text(data: bytes) -> str:
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def _location(line: str, name: str) -> Location:
    parts = line.split(",")
    if parts[0] != "LOCATION" or len(parts) < 10:
        raise EpwError(f"{name}: first line is not an EPW LOCATION header (got {line[:60]!r})")
    try:
        return Location(
            city=parts[1].strip(),
            country=parts[3].strip(),
            latitude=float(parts[6]),
            longitude=float(parts[7]),
            timezone_hours=float(parts[8]),
            elevation_m=float(parts[9]),
        )
    except ValueError as error:
        raise EpwError(f"{name}: LOCATION header has a non-numeric coordinate ({error})") from None


def _header_end(text: str) -> int:
    """Offset just past the 8 header lines, or -1 if the text has fewer lines."""
    offset = 0
    for _ in range(HEADER_LINES):
        offset = text.find("\n", offset) + 1
        if offset == 0:
            return -1
    return offset


def parse_epw(data: bytes, name: str) -> WeatherFile:
    """Parse EPW bytes (plain or gzip); raises EpwError naming `name` if the content is not an EPW."""
    try:
        text = _text(data)
    except (OSError, EOFError) as error:
        raise EpwError(f"{name}: looks gzip-compressed but cannot be decompressed ({error})") from None
    body_start = _header_end(text)
    if body_start < 0 or not text[body_start:].strip():
        raise EpwError(f"{name}: has no hourly rows after the {HEADER_LINES} header lines of an EPW file")
    location = _location(text[: text.find("\n")].rstrip("\r"), name)
    try:
        raw = pd.read_csv(io.StringIO(text[body_start:]), header=None, usecols=list(FIELDS))
    except (ValueError, pd.errors.ParserError) as error:
        raise EpwError(
            f"{name}: hourly rows are malformed, an EPW row has {MIN_FIELDS}+ fields ({error})"
        ) from None
    hourly = raw.apply(pd.to_numeric, errors="coerce").rename(
        columns={index: column for index, (column, _) in FIELDS.items()}
    )
    # EPW marks missing values with sentinels, never with empty fields: an empty or non-numeric field (or a
    # row cut short) means a broken file.
    broken = hourly.isna().any(axis=1).to_numpy().nonzero()[0]
    if len(broken):
        raise EpwError(
            f"{name}: hourly row {broken[0] + 1} (line {HEADER_LINES + 1 + broken[0]}) is cut short or has a "
            f"non-numeric value; an EPW row has {MIN_FIELDS}+ numeric fields"
        )
    for column, sentinel in FIELDS.values():
        hourly[column] = hourly[column].where(hourly[column] < sentinel)
    hourly[["month", "day", "hour"]] = hourly[["month", "day", "hour"]].astype(int)
    return WeatherFile(name=name, location=location, hourly=hourly)


def _aggregate(hourly: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = hourly.groupby(keys, sort=True)
    stats = pd.DataFrame(
        {
            "hours": grouped.size(),
            "temp_mean_c": grouped["temp_c"].mean(),
            "temp_min_c": grouped["temp_c"].min(),
            "temp_max_c": grouped["temp_c"].max(),
            "rel_humidity_mean_pct": grouped["rel_humidity_pct"].mean(),
            # Hourly Wh/m² summed over the period → kWh/m².
            "ghi_kwh_m2": grouped["ghi_wh_m2"].sum() / 1000.0,
            "dni_kwh_m2": grouped["dni_wh_m2"].sum() / 1000.0,
            "dhi_kwh_m2": grouped["dhi_wh_m2"].sum() / 1000.0,
            "wind_mean_m_s": grouped["wind_m_s"].mean(),
            "wind_max_m_s": grouped["wind_m_s"].max(),
        }
    )
    return stats.round(3).reset_index()


def daily_stats(weather: WeatherFile) -> pd.DataFrame:
    """One row per calendar day (month, day): temperature, humidity, irradiation and wind statistics."""
    return _aggregate(weather.hourly, ["month", "day"])


def monthly_stats(weather: WeatherFile) -> pd.DataFrame:
    """One row per month, same statistics as `daily_stats`."""
    return _aggregate(weather.hourly, ["month"])


def file_stem(key_or_name: str) -> str:
    """`onprem/sample/weather/AMS.epw.gz` → `AMS`."""
    name = PurePosixPath(key_or_name).name
    for suffix in (".gz", ".epw"):
        name = name.removesuffix(suffix)
    return name


def derived_keys(key_or_name: str) -> dict[str, str]:
    """Where the statistics of one weather file go in the derived bucket."""
    stem = file_stem(key_or_name)
    return {period: f"{DERIVED_PREFIX}/{stem}/{period}.csv" for period in ("daily", "monthly")}


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def is_epw_name(key_or_name: str) -> bool:
    return key_or_name.lower().endswith((".epw", ".epw.gz"))
