"""Sun-position tables shipped beside the weather files: up to date, faithful, used, and refused when broken."""

from __future__ import annotations

import array
import gzip
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from mplat.energy import controls, epw, io, pv, solar, sun_tables

DEMO_DATA = Path(__file__).parents[2] / "notebooks" / "demos" / "public"
SYSTEM = pv.PVSystem(dc_kw=5.0, tilt=35.0, azimuth=180.0)


@pytest.fixture(autouse=True)
def fresh_sun() -> Iterator[None]:
    """Each test starts with no position known or cached, and leaves none behind."""

    def forget() -> None:
        solar._KNOWN.clear()
        solar._positions_cached.cache_clear()
        pv._plane_cached.cache_clear()
        pv._sky_cached.cache_clear()

    forget()
    yield
    forget()


def amsterdam() -> epw.Epw:
    return epw.read_epw(DEMO_DATA / "amsterdam.epw.gz")


def notebook_at(folder: Path) -> SimpleNamespace:
    """What `controls` needs of marimo: `mo.notebook_location()` (the folder holding `public/`)."""
    return SimpleNamespace(notebook_location=lambda: folder)


def test_every_shipped_weather_year_has_an_up_to_date_sun_table() -> None:
    for shipped in controls.SHIPPED_WEATHER.values():
        table = DEMO_DATA / sun_tables.table_name(shipped.file)
        assert table.is_file(), f"{table} is missing: run `make sun-tables`"
        expected = gzip.decompress(sun_tables.encode(epw.read_epw(DEMO_DATA / shipped.file)))
        assert gzip.decompress(table.read_bytes()) == expected, f"{table} is stale: run `make sun-tables`"


def test_a_simulation_with_the_table_equals_one_computed_to_the_last_bit() -> None:
    computed = pv.simulate(amsterdam(), SYSTEM)
    solar._positions_cached.cache_clear()
    weather = controls.read_shipped_weather(notebook_at(DEMO_DATA.parent), "amsterdam")

    from_table = pv.simulate(weather, SYSTEM)

    assert from_table.ac_kwh == computed.ac_kwh
    assert from_table.annual_ac_kwh == pytest.approx(4653.47, abs=0.01)


def test_the_simulation_takes_its_sun_from_the_table() -> None:
    """A table that keeps the sun below the horizon all year makes a dark year: the table, not SPA, placed it."""
    weather = amsterdam()
    body = bytearray(gzip.decompress(sun_tables.encode(weather)))
    rows = len(weather.times)
    values = array.array("d", body[-8 * rows * (1 + len(sun_tables.FIELDS)) :])
    values[rows : 2 * rows] = array.array("d", [100.0] * rows)  # zenith
    body[-len(values) * 8 :] = values.tobytes()
    solar._positions_cached.cache_clear()  # encode() computed the real sun

    assert sun_tables.load(bytes(body), "overhead.sun.gz")

    dark = pv.simulate(weather, SYSTEM).annual_ac_kwh
    assert dark < 0.7 * 4653.47


def test_a_table_computed_with_other_constants_is_not_used() -> None:
    body = gzip.decompress(sun_tables.encode(amsterdam()))
    other = body.replace(b'"delta_t": 67.0', b'"delta_t": 69.0', 1)
    assert other != body

    assert sun_tables.load(other, "old.sun.gz") is False
    assert solar._KNOWN == {}


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"<html>Not Found</html>", "not a sun-position table"),
        (sun_tables.MAGIC + b"{not json\n", "unreadable header"),
        (sun_tables.MAGIC + b'{"rows": 3}\n', "unreadable header"),
    ],
)
def test_a_malformed_table_names_the_file_and_the_fix(data: bytes, problem: str) -> None:
    with pytest.raises(sun_tables.SunTableError, match=problem) as error:
        sun_tables.load(data, "public/amsterdam.sun.gz")
    assert "public/amsterdam.sun.gz" in str(error.value)
    assert "make sun-tables" in str(error.value)


def test_a_truncated_table_is_refused() -> None:
    data = gzip.decompress(sun_tables.encode(amsterdam()))[:-8]
    with pytest.raises(sun_tables.SunTableError, match="expected 8760 rows"):
        sun_tables.load(data, "amsterdam.sun.gz")


def test_a_weather_year_shipped_without_its_table_still_simulates(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    shutil.copy(DEMO_DATA / "piedmont.epw.gz", tmp_path / "public" / "piedmont.epw.gz")

    weather = controls.read_shipped_weather(notebook_at(tmp_path), "piedmont")

    assert solar._KNOWN == {}
    assert pv.simulate(weather, SYSTEM).annual_ac_kwh > 0


def test_the_command_writes_a_table_beside_each_weather_file_or_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "amsterdam.epw.gz"
    shutil.copy(DEMO_DATA / "amsterdam.epw.gz", good)
    assert sun_tables.main([str(good)]) == 0
    assert sun_tables.load(io.read_bytes(tmp_path / "amsterdam.sun.gz"), "amsterdam.sun.gz")

    broken = tmp_path / "broken.epw"
    broken.write_text("LOCATION,nowhere\n", encoding="utf-8")
    assert sun_tables.main([str(broken)]) == 1
    assert "broken.epw" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "amsterdam.epw.gz",
        "amsterdam.sun.gz",
        "broken.epw",
    ]
