"""Sun-position tables: a weather year's sun positions, computed once and shipped beside the weather file.

The sun's positions are most of a PV simulation's first run (8760 evaluations of NREL's SPA: ~0.15 s in
CPython, ~0.6 s in the browser's Python) and depend only on the site and the hours, never on a slider. So for
each weather year the project ships, `make sun-tables` (`python -m mplat.energy.sun_tables FILE.epw.gz ...`)
writes `<name>.sun.gz` beside it, and `controls.read_shipped_weather` reads it with the weather file and hands
the positions to `solar.remember_positions`. They are the values `solar` computes, bit for bit (float64), so no
result changes; a table that does not fit (another site, other hours, other SPA constants) is not used and the
positions are computed as before. `tests/energy/test_sun_tables.py` fails when a shipped table is stale.

File: gzip of the line `mplat-sun-table 1`, one line of JSON (site, SPA constants, rows), then float64
little-endian columns of `rows` values each: the instants (Unix seconds), then each `SolarPosition` field.
"""

from __future__ import annotations

import array
import dataclasses
import gzip
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from mplat.energy import epw, pv, solar

MAGIC = b"mplat-sun-table 1\n"
FIELDS = tuple(field.name for field in dataclasses.fields(solar.SolarPosition))
SUFFIX = ".sun.gz"
# The constants `solar_positions` uses: a table computed with others describes another sun.
_CONSTANTS = {
    "delta_t": solar.DELTA_T,
    "pressure": solar.STANDARD_PRESSURE,
    "temperature": solar.STANDARD_TEMPERATURE,
}


class SunTableError(ValueError):
    """A sun-position table that cannot be read; the message names the file and how to rebuild it."""


def table_name(weather_file: str) -> str:
    """`amsterdam.epw.gz` -> `amsterdam.sun.gz` (the table shipped beside a weather file)."""
    stem = weather_file.removesuffix(".gz").removesuffix(".epw")
    return stem + SUFFIX


def encode(weather: pv.WeatherLike) -> bytes:
    """The table of `weather`'s sun positions as `pv.simulate` places them (gzip, reproducible bytes)."""
    site = weather.location
    instants = solar.instants(weather.times, pv.SUN_OFFSET)
    positions = pv.sun_positions(weather)
    header = {
        "latitude": site.latitude,
        "longitude": site.longitude,
        "elevation": site.elevation,
        **_CONSTANTS,
        "rows": len(instants),
    }
    columns = array.array("d", instants)
    for name in FIELDS:
        columns.extend(getattr(position, name) for position in positions)
    if sys.byteorder != "little":
        columns.byteswap()
    body = MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n" + columns.tobytes()
    return gzip.compress(body, compresslevel=9, mtime=0)


def load(data: bytes, source: str) -> bool:
    """Hand the table's positions to `solar`; False (nothing done) when they were computed with other constants.

    `data` may be gzip-compressed or not (`io.read_bytes` already removes the gzip layer).
    Raises `SunTableError` naming `source` when the bytes are not a table.
    """
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    fix = f"rebuild it with `make sun-tables` (python -m mplat.energy.sun_tables {source})"
    if not data.startswith(MAGIC):
        raise SunTableError(f"{source}: not a sun-position table (no `{MAGIC.decode().strip()}` line); {fix}")
    end = data.find(b"\n", len(MAGIC))
    try:
        header = json.loads(data[len(MAGIC) : end])
        rows = int(header["rows"])
        site = (float(header["latitude"]), float(header["longitude"]), float(header["elevation"]))
        constants = {name: float(header[name]) for name in _CONSTANTS}
    except (ValueError, KeyError, TypeError) as error:
        raise SunTableError(f"{source}: unreadable header ({error}); {fix}") from None
    columns = array.array("d")
    body = data[end + 1 :]
    if end < 0 or rows < 0 or len(body) != 8 * rows * (1 + len(FIELDS)):
        raise SunTableError(
            f"{source}: {len(body)} bytes of values, expected {rows} rows of {1 + len(FIELDS)}; {fix}"
        )
    columns.frombytes(body)
    if sys.byteorder != "little":
        columns.byteswap()
    if constants != _CONSTANTS:
        return False
    instants = columns[:rows]
    values = [columns[rows * (i + 1) : rows * (i + 2)] for i in range(len(FIELDS))]
    positions = [solar.SolarPosition(*row) for row in zip(*values, strict=True)]
    solar.remember_positions(instants, *site, positions)
    return True


def write_tables(weather_files: Sequence[Path]) -> list[Path]:
    """Write `<name>.sun.gz` beside each weather file (each written whole, or not at all); the tables' paths."""
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
        print("usage: python -m mplat.energy.sun_tables WEATHER.epw[.gz] ...", file=sys.stderr)
        return 2
    try:
        written = write_tables(paths)
    except (OSError, epw.EpwError) as error:
        print(f"sun-tables: {error}", file=sys.stderr)
        return 1
    for target in written:
        print(f"wrote {target} ({target.stat().st_size / 1000:.0f} kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
