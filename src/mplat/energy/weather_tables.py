"""Weather tables: a shipped weather year as the browser's first simulation needs it, prepared ahead of time.

A notebook's first run spent most of its time on work that depends only on the weather year, never on a
slider: parsing the EPW text (~0.1 s in the browser's Python), placing the sun at each of its 8760 hours
(NREL's SPA: ~0.6 s there) and the sky's per-hour Perez terms (`pv.Sky`, ~0.07 s). So for each weather year
the project ships, `make weather-tables` (`python -m mplat.energy.weather_tables FILE.epw.gz ...`) writes
`<name>.table.gz` beside it with the parsed columns, the sun's positions and the sky terms, and
`controls.read_shipped_weather` reads that table instead of the EPW file. Every value is the one the
modules compute, bit for bit (float64), so no result changes; `tests/energy/test_weather_tables.py` fails
when a shipped table is stale. A table computed with other SPA constants gives the weather only (the sun
and sky are computed again); a weather year shipped without a table is read from its EPW file.

File: gzip of the line `mplat-weather-table 1`, one line of JSON (site, SPA constants, rows, column names),
then float64 little-endian columns of `rows` values each, in the header's order: the EPW's columns (NaN where
missing), the instants the sun is placed at (Unix seconds), each `SolarPosition` field, each `pv.Sky` field.
"""

from __future__ import annotations

import array
import dataclasses
import gzip
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from mplat.energy import epw, pv, solar

MAGIC = b"mplat-weather-table 1\n"
SUFFIX = ".table.gz"
WEATHER_COLUMNS = ("years", *(name for name, _, _ in epw.COLUMNS))
SUN_FIELDS = tuple(field.name for field in dataclasses.fields(solar.SolarPosition))
SKY_FIELDS = tuple(field.name for field in dataclasses.fields(pv.Sky))
COLUMNS = (
    *WEATHER_COLUMNS,
    "instants",
    *(f"sun.{name}" for name in SUN_FIELDS),
    *(f"sky.{name}" for name in SKY_FIELDS),
)
_LOCATION = tuple(field.name for field in dataclasses.fields(epw.Location))
# The constants `solar_positions` uses: a table computed with others describes another sun.
_CONSTANTS = {
    "delta_t": solar.DELTA_T,
    "pressure": solar.STANDARD_PRESSURE,
    "temperature": solar.STANDARD_TEMPERATURE,
}


class WeatherTableError(ValueError):
    """A weather table that cannot be read; the message names the file and how to rebuild it."""


def table_name(weather_file: str) -> str:
    """`amsterdam.epw.gz` -> `amsterdam.table.gz` (the table shipped beside a weather file)."""
    stem = weather_file.removesuffix(".gz").removesuffix(".epw")
    return stem + SUFFIX


def encode(weather: epw.Epw) -> bytes:
    """The table of `weather` (its columns, sun and sky as `pv.simulate` computes them; reproducible bytes)."""
    site = weather.location
    sky = pv.sky(weather)
    header = {
        "location": {name: getattr(site, name) for name in _LOCATION},
        "source": Path(weather.source).name,
        **_CONSTANTS,
        "rows": len(weather.times),
        "columns": list(COLUMNS),
    }
    columns = array.array("d", (float(year) for year in weather.years))
    for name, _, _ in epw.COLUMNS:
        columns.extend(math.nan if value is None else value for value in getattr(weather, name))
    columns.extend(solar.instants(weather.times, pv.SUN_OFFSET))
    positions = pv.sun_positions(weather)
    for name in SUN_FIELDS:
        columns.extend(getattr(position, name) for position in positions)
    for name in SKY_FIELDS:
        columns.extend(float(value) for value in getattr(sky, name))
    if sys.byteorder != "little":
        columns.byteswap()
    body = MAGIC + json.dumps(header, sort_keys=True, ensure_ascii=False).encode() + b"\n" + columns.tobytes()
    return gzip.compress(body, compresslevel=9, mtime=0)


def load(data: bytes, source: str) -> epw.Epw:
    """The weather year in the table; its sun and sky are handed to `solar` and `pv` when they were computed
    with this module's SPA constants (otherwise they are computed again when needed).

    `data` may be gzip-compressed or not (`io.read_bytes` already removes the gzip layer).
    Raises `WeatherTableError` naming `source` when the bytes are not a table of this format.
    """
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    fix = f"rebuild it with `make weather-tables` (python -m mplat.energy.weather_tables {source})"
    if not data.startswith(MAGIC):
        raise WeatherTableError(f"{source}: not a weather table (no `{MAGIC.decode().strip()}` line); {fix}")
    end = data.find(b"\n", len(MAGIC))
    try:
        header = json.loads(data[len(MAGIC) : end])
        rows = int(header["rows"])
        location = epw.Location(**{name: header["location"][name] for name in _LOCATION})
        constants = {name: float(header[name]) for name in _CONSTANTS}
        if tuple(header["columns"]) != COLUMNS:
            raise ValueError("other columns than this version of mplat reads")
    except (ValueError, KeyError, TypeError) as error:
        raise WeatherTableError(f"{source}: unreadable header ({error}); {fix}") from None
    body = data[end + 1 :]
    if end < 0 or rows != epw.HOURS_PER_YEAR or len(body) != 8 * rows * len(COLUMNS):
        raise WeatherTableError(
            f"{source}: {len(body)} bytes of values, expected {epw.HOURS_PER_YEAR} rows of {len(COLUMNS)}; {fix}"
        )
    values = array.array("d")
    values.frombytes(body)
    if sys.byteorder != "little":
        values.byteswap()
    column = {name: values[rows * i : rows * (i + 1)] for i, name in enumerate(COLUMNS)}
    weather = epw.Epw(
        location=location,
        times=epw.nominal_times(location.tz),
        years=tuple(map(int, column["years"])),
        source=str(header.get("source", source)),
        **{name: _with_missing(column[name]) for name, _, _ in epw.COLUMNS},
    )
    if constants == _CONSTANTS:
        sun = (column[f"sun.{name}"] for name in SUN_FIELDS)
        positions = list(map(solar.SolarPosition, *sun))
        solar.remember_positions(
            column["instants"], location.latitude, location.longitude, location.elevation, positions
        )
        terms: dict[str, tuple[float, ...] | tuple[bool, ...]] = {
            name: tuple(column[f"sky.{name}"]) for name in SKY_FIELDS
        }
        terms["sun_up"] = tuple(map(bool, column["sky.sun_up"]))
        pv.remember_sky(weather, pv.Sky(**terms))  # type: ignore[arg-type]  # each field's type, by name
    return weather


def _with_missing(values: array.array[float]) -> tuple[float | None, ...]:
    """The column's values, None where the table has NaN (missing in the EPW file)."""
    if not math.isnan(sum(values)):  # one pass in C for the usual column without a gap
        return tuple(values)
    return tuple(None if math.isnan(v) else v for v in values)


def write_tables(weather_files: Sequence[Path]) -> list[Path]:
    """Write `<name>.table.gz` beside each weather file (each written whole, or not at all); their paths."""
    written = []
    for path in weather_files:
        weather = epw.read_epw(path)
        target = path.with_name(table_name(path.name))
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(encode(weather))
        partial.replace(target)
        written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    paths = [Path(arg) for arg in (sys.argv[1:] if argv is None else argv)]
    if not paths:
        print("usage: python -m mplat.energy.weather_tables WEATHER.epw[.gz] ...", file=sys.stderr)
        return 2
    try:
        written = write_tables(paths)
    except (OSError, epw.EpwError) as error:
        print(f"weather-tables: {error}", file=sys.stderr)
        return 1
    for target in written:
        print(f"wrote {target} ({target.stat().st_size / 1000:.0f} kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
