"""EnergyPlus weather (EPW) files: strict reader and CSV writer.

Format: EnergyPlus "Auxiliary Programs" guide, chapter "Weather Converter Program" (EPW data dictionary).
Eight header lines (the first is LOCATION), then one row of 35 comma-separated fields per hour. Hours are
numbered 1-24 and label the END of the hour ("hour 1" covers 00:00-01:00 local standard time).

A typical meteorological year mixes months from different source years, so `Epw.times` place every row in
one nominal non-leap year (`NOMINAL_YEAR`) while `Epw.years` keeps each row's original year. Times are
hour-ending as in the file (pvlib's `read_epw` index is hour-beginning). Missing-value sentinels become None.
Any malformed input raises `EpwError` naming the line and field; nothing else escapes `read_epw`.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import io
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

NOMINAL_YEAR = 2019  # a non-leap year; only month/day/hour of each row matter for a typical year
HOURS_PER_YEAR = 8760
FIELDS_PER_ROW = 35
HEADER_LINES = 8

# Data columns read from each row: (attribute, 0-based field index, missing when value >= sentinel).
# Sentinels are the EPW data dictionary's "missing" values.
COLUMNS: tuple[tuple[str, int, float], ...] = (
    ("temp_air", 6, 99.9),
    ("temp_dew", 7, 99.9),
    ("relative_humidity", 8, 999.0),
    ("atmospheric_pressure", 9, 999999.0),
    ("ghi", 13, 9999.0),
    ("dni", 14, 9999.0),
    ("dhi", 15, 9999.0),
    ("wind_direction", 20, 999.0),
    ("wind_speed", 21, 999.0),
)
UNITS = {
    "temp_air": "°C",
    "temp_dew": "°C",
    "relative_humidity": "%",
    "atmospheric_pressure": "Pa",
    "ghi": "W/m²",
    "dni": "W/m²",
    "dhi": "W/m²",
    "wind_direction": "°",
    "wind_speed": "m/s",
}


class EpwError(ValueError):
    """The input is not a well-formed EPW file; the message names the source, line and field."""


@dataclass(frozen=True, slots=True)
class Location:
    city: str
    country: str
    latitude: float  # degrees north
    longitude: float  # degrees east
    tz: float  # hours from UTC (local standard time)
    elevation: float  # metres above sea level
    state_province: str = ""
    source: str = ""
    wmo: str = ""

    @property
    def name(self) -> str:
        """Human label, e.g. "AMSTERDAM, NLD" or "45.00° N, 8.00° E" when the file names no city."""
        unknown = {"", "-", "unknown"}
        parts = [p for p in (self.city, self.country) if p.strip().lower() not in unknown]
        if parts:
            return ", ".join(parts)
        ns = "N" if self.latitude >= 0 else "S"
        ew = "E" if self.longitude >= 0 else "W"
        return f"{abs(self.latitude):.2f}° {ns}, {abs(self.longitude):.2f}° {ew}"


@dataclass(frozen=True, eq=False)
class Epw:
    """One EPW file: site and hourly series (tuples, one value per hour, None where missing).

    Compared and hashed by identity (eq=False) so simulations can cache per weather object cheaply.
    """

    location: Location
    times: tuple[dt.datetime, ...]
    years: tuple[int, ...]
    temp_air: tuple[float | None, ...]
    temp_dew: tuple[float | None, ...]
    relative_humidity: tuple[float | None, ...]
    atmospheric_pressure: tuple[float | None, ...]
    ghi: tuple[float | None, ...]
    dni: tuple[float | None, ...]
    dhi: tuple[float | None, ...]
    wind_direction: tuple[float | None, ...]
    wind_speed: tuple[float | None, ...]
    source: str = "<text>"

    def __len__(self) -> int:
        return len(self.times)


def _decode(data: bytes, source: str) -> str:
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise EpwError(f"{source}: corrupt gzip data ({exc})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # IWEC and older files carry Latin-1 (e.g. ©) in comments


def _load(path_or_text: str | Path | bytes) -> tuple[str, str]:
    """(text, source name) from a path, raw bytes (optionally gzipped) or the file's text itself."""
    if isinstance(path_or_text, bytes | bytearray):
        return _decode(bytes(path_or_text), "<bytes>"), "<bytes>"
    if isinstance(path_or_text, str) and (
        not path_or_text or "\n" in path_or_text or path_or_text.startswith("LOCATION")
    ):
        return path_or_text, "<text>"
    path = Path(path_or_text)
    try:
        data = path.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise EpwError(f"{path}: cannot read EPW file ({getattr(exc, 'strerror', None) or exc})") from None
    return _decode(data, str(path)), str(path)


def _number(text: str, where: str, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise EpwError(f"{where}: field {field} is {text.strip()!r}, expected a number") from None
    if not math.isfinite(value):
        raise EpwError(f"{where}: field {field} is {text.strip()!r}, expected a finite number")
    return value


def _integer(text: str, where: str, field: str, low: int, high: int) -> int:
    value = _number(text, where, field)
    if value != int(value) or not low <= value <= high:
        raise EpwError(f"{where}: field {field} is {text.strip()!r}, expected an integer {low}-{high}")
    return int(value)


def _parse_location(line: str, source: str) -> Location:
    where = f"{source} line 1 (LOCATION)"
    fields = [f.strip() for f in line.split(",")]
    if fields[0].upper() != "LOCATION":
        raise EpwError(f"{source} line 1: expected the EPW header 'LOCATION,...', found {line[:40]!r}")
    if len(fields) < 10:
        raise EpwError(f"{where}: has {len(fields)} fields, expected 10 (city … elevation)")

    def ranged(index: int, name: str, low: float, high: float) -> float:
        value = _number(fields[index], where, f"{index + 1} ({name})")
        if not low <= value <= high:
            raise EpwError(f"{where}: field {index + 1} ({name}) is {value}, expected {low} to {high}")
        return value

    return Location(
        city=fields[1],
        state_province=fields[2],
        country=fields[3],
        source=fields[4],
        wmo=fields[5],
        latitude=ranged(6, "latitude", -90, 90),
        longitude=ranged(7, "longitude", -180, 180),
        tz=ranged(8, "time zone", -12, 14),
        elevation=ranged(9, "elevation", -1000, 9000),
    )


@functools.lru_cache(maxsize=32)
def _nominal_year(tz: float) -> tuple[tuple[tuple[int, int, int], ...], tuple[dt.datetime, ...]]:
    """(month, day, hour 1-24) of each hour of the nominal year and the matching hour-ending times."""
    start = dt.datetime(NOMINAL_YEAR, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=tz)))
    begins = [start + dt.timedelta(hours=h) for h in range(HOURS_PER_YEAR)]
    calendar = tuple((b.month, b.day, b.hour + 1) for b in begins)
    return calendar, nominal_times(tz)


@functools.lru_cache(maxsize=32)
def nominal_times(tz: float) -> tuple[dt.datetime, ...]:
    """The hour-ending times of the nominal year at UTC offset `tz` hours, as `Epw.times` holds them."""
    start = dt.datetime(NOMINAL_YEAR, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=tz)))
    hour = dt.timedelta(hours=1)
    return tuple(start + hour * h for h in range(1, HOURS_PER_YEAR + 1))


def _check_row(
    fields: list[str], where: str, indices: list[int]
) -> tuple[int, tuple[int, int, int], list[float]]:
    """Parse a row field by field, raising EpwError that names the first bad field."""
    year = _integer(fields[0], where, "1 (year)", 1, 9999)
    stamp = (
        _integer(fields[1], where, "2 (month)", 1, 12),
        _integer(fields[2], where, "3 (day)", 1, 31),
        _integer(fields[3], where, "4 (hour)", 1, 24),
    )
    names = {index: name for name, index, _ in COLUMNS}
    values = [_number(fields[i], where, f"{i + 1} ({names[i]})") for i in indices]
    return year, stamp, values


def read_epw(path_or_text: str | Path | bytes) -> Epw:
    """Read an EPW file given as a path, its bytes (gzip allowed) or its text.

    Requires one row per hour of a year (8760; a leap year's 8784 rows lose 29 February so every file fits
    the nominal year), each with 35 fields and numeric values in the columns read.
    """
    text, source = _load(path_or_text)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise EpwError(f"{source}: file is empty, expected an EPW weather file")
    location = _parse_location(lines[0], source)
    if len(lines) <= HEADER_LINES:
        raise EpwError(
            f"{source}: truncated after {len(lines)} lines, expected 8 header lines then hourly rows"
        )

    calendar, times_all = _nominal_year(location.tz)
    indices = [index for _, index, _ in COLUMNS]
    sentinels = [sentinel for _, _, sentinel in COLUMNS]
    years: list[int] = []
    rows: list[list[float | None]] = []
    for number, line in enumerate(lines[HEADER_LINES:], start=HEADER_LINES + 1):
        if not line.strip():
            continue
        fields = line.split(",")
        if len(fields) != FIELDS_PER_ROW:
            raise EpwError(f"{source} line {number}: has {len(fields)} fields, expected {FIELDS_PER_ROW}")
        try:  # fast path; any doubt falls back to the field-by-field check that names the culprit
            stamp = (int(fields[1]), int(fields[2]), int(fields[3]))
            year = int(fields[0])
            values = [float(fields[i]) for i in indices]
            ok = (
                1 <= year <= 9999
                and 1 <= stamp[0] <= 12
                and 1 <= stamp[1] <= 31
                and 1 <= stamp[2] <= 24
                and math.isfinite(math.fsum(values))
            )
        except (ValueError, OverflowError):
            ok = False
        if not ok:
            year, stamp, values = _check_row(fields, f"{source} line {number}", indices)
        if stamp[0] == 2 and stamp[1] == 29:
            continue  # leap day: outside the nominal year
        if len(rows) >= HOURS_PER_YEAR or stamp != calendar[len(rows)]:
            month, day, hour = calendar[len(rows)] if len(rows) < HOURS_PER_YEAR else (12, 31, 24)
            raise EpwError(
                f"{source} line {number}: fields 2-4 give {stamp[0]}/{stamp[1]} hour {stamp[2]}, expected "
                + (f"{month}/{day} hour {hour}" if len(rows) < HOURS_PER_YEAR else "the end of the file")
                + " (rows must cover every hour of the year in order)"
            )
        years.append(year)
        rows.append([None if v >= limit else v for v, limit in zip(values, sentinels, strict=True)])
    times = times_all[: len(rows)]
    if len(times) != HOURS_PER_YEAR:
        raise EpwError(
            f"{source}: truncated: {len(times)} hourly rows, expected {HOURS_PER_YEAR} (one per hour of a year)"
        )
    return Epw(
        location=location,
        times=tuple(times),
        years=tuple(years),
        source=source,
        **{
            name: tuple(column) for (name, _, _), column in zip(COLUMNS, zip(*rows, strict=True), strict=True)
        },
    )


def to_csv(epw: Epw, *, fmt: Callable[[float | None], str] | None = None) -> str:
    """The hourly data as CSV (hour-ending local time, source year, one column per series; empty = missing)."""

    def cell(value: float | None) -> str:
        if fmt is not None:
            return fmt(value)
        return "" if value is None else f"{value:g}"

    names = [name for name, _, _ in COLUMNS]
    out = io.StringIO()
    out.write(",".join(["time", "source_year", *[f"{n} [{UNITS[n]}]" for n in names]]) + "\n")
    series = [getattr(epw, n) for n in names]
    for i, when in enumerate(epw.times):
        row = [when.isoformat(), str(epw.years[i]), *[cell(s[i]) for s in series]]
        out.write(",".join(row) + "\n")
    return out.getvalue()
