"""Weather tables shipped beside the weather files: up to date, faithful, used, and refused when broken."""

from __future__ import annotations

import array
import dataclasses
import gzip
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from mplat.energy import controls, epw, io, pv, solar, weather_tables

DEMO_DATA = Path(__file__).parents[2] / "notebooks" / "demos" / "public"
SYSTEM = pv.PVSystem(dc_kw=5.0, tilt=35.0, azimuth=180.0)


@pytest.fixture(autouse=True)
def fresh_sun() -> Iterator[None]:
    """Each test starts with no position or sky known or cached, and leaves none behind."""

    def forget() -> None:
        solar._KNOWN.clear()
        solar._positions_cached.cache_clear()
        pv._REMEMBERED.clear()
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


def shipped(key: str = "amsterdam") -> epw.Epw:
    return controls.read_shipped_weather(notebook_at(DEMO_DATA.parent), key)


def test_every_shipped_weather_year_has_an_up_to_date_table() -> None:
    for weather in controls.SHIPPED_WEATHER.values():
        table = DEMO_DATA / weather_tables.table_name(weather.file)
        assert table.is_file(), f"{table} is missing: run `make weather-tables`"
        expected = gzip.decompress(weather_tables.encode(epw.read_epw(DEMO_DATA / weather.file)))
        assert gzip.decompress(table.read_bytes()) == expected, f"{table} is stale: run `make weather-tables`"


@pytest.mark.parametrize("key", sorted(controls.SHIPPED_WEATHER))
def test_the_table_holds_the_weather_file_value_for_value(key: str) -> None:
    from_file = epw.read_epw(DEMO_DATA / controls.SHIPPED_WEATHER[key].file)

    from_table = shipped(key)

    assert from_table.location == from_file.location
    assert from_table.source == controls.SHIPPED_WEATHER[key].file
    for field in dataclasses.fields(epw.Epw):
        if field.name != "source":
            assert getattr(from_table, field.name) == getattr(from_file, field.name), field.name


def test_a_simulation_with_the_table_equals_one_computed_to_the_last_bit() -> None:
    computed = pv.simulate(amsterdam(), SYSTEM)
    solar._positions_cached.cache_clear()
    pv._sky_cached.cache_clear()

    from_table = pv.simulate(shipped(), SYSTEM)

    assert from_table.ac_kwh == computed.ac_kwh
    assert from_table.cell_temperature == computed.cell_temperature
    assert from_table.annual_ac_kwh == pytest.approx(4653.47, abs=0.01)


def _with_column(weather: epw.Epw, name: str, value: float) -> bytes:
    """The table of `weather` with every value of one column replaced."""
    body = bytearray(gzip.decompress(weather_tables.encode(weather)))
    rows = len(weather.times)
    index = weather_tables.COLUMNS.index(name)
    values_start = len(body) - 8 * rows * len(weather_tables.COLUMNS)
    start = values_start + 8 * rows * index
    body[start : start + 8 * rows] = array.array("d", [value] * rows).tobytes()
    return bytes(body)


def test_the_simulation_takes_its_sun_and_sky_from_the_table() -> None:
    """A table whose sky keeps the sun below the horizon all year makes a dark year: the table placed it."""
    dark_table = _with_column(amsterdam(), "sky.sun_up", 0.0)
    solar._positions_cached.cache_clear()  # encode() computed the real sun and sky
    pv._sky_cached.cache_clear()

    dark = pv.simulate(weather_tables.load(dark_table, "dark.table.gz"), SYSTEM).annual_ac_kwh

    assert dark < 0.7 * 4653.47


def test_a_table_computed_with_other_constants_gives_the_weather_but_not_its_sun() -> None:
    body = gzip.decompress(weather_tables.encode(amsterdam()))
    other = body.replace(b'"delta_t": 67.0', b'"delta_t": 69.0', 1)
    assert other != body

    weather = weather_tables.load(other, "old.table.gz")

    assert solar._KNOWN == {} and len(pv._REMEMBERED) == 0
    assert pv.simulate(weather, SYSTEM).annual_ac_kwh == pytest.approx(4653.47, abs=0.01)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"<html>Not Found</html>", "not a weather table"),
        (weather_tables.MAGIC + b"{not json\n", "unreadable header"),
        (weather_tables.MAGIC + b'{"rows": 3}\n', "unreadable header"),
    ],
)
def test_a_malformed_table_names_the_file_and_the_fix(data: bytes, problem: str) -> None:
    with pytest.raises(weather_tables.WeatherTableError, match=problem) as error:
        weather_tables.load(data, "public/amsterdam.table.gz")
    assert "public/amsterdam.table.gz" in str(error.value)
    assert "make weather-tables" in str(error.value)


def test_a_table_of_other_columns_is_refused() -> None:
    body = gzip.decompress(weather_tables.encode(amsterdam()))
    renamed = body.replace(b'"sky.perez_f1"', b'"sky.perez_g1"', 1)
    with pytest.raises(weather_tables.WeatherTableError, match="other columns"):
        weather_tables.load(renamed, "amsterdam.table.gz")


def test_a_truncated_table_is_refused() -> None:
    data = gzip.decompress(weather_tables.encode(amsterdam()))[:-8]
    with pytest.raises(weather_tables.WeatherTableError, match="expected 8760 rows"):
        weather_tables.load(data, "amsterdam.table.gz")


def test_a_weather_year_shipped_without_its_table_is_read_from_its_file(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    shutil.copy(DEMO_DATA / "piedmont.epw.gz", tmp_path / "public" / "piedmont.epw.gz")

    weather = controls.read_shipped_weather(notebook_at(tmp_path), "piedmont")

    assert solar._KNOWN == {} and len(pv._REMEMBERED) == 0
    assert weather.location.latitude == 45.0
    assert pv.simulate(weather, SYSTEM).annual_ac_kwh > 0


def test_a_damaged_table_is_an_error_that_names_it(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    shutil.copy(DEMO_DATA / "piedmont.epw.gz", tmp_path / "public" / "piedmont.epw.gz")
    table = weather_tables.table_name("piedmont.epw.gz")
    (tmp_path / "public" / table).write_bytes(weather_tables.encode(amsterdam())[:5000])  # cut short

    with pytest.raises(io.DamagedGzipError, match=f"{table}: not a readable gzip file"):
        controls.read_shipped_weather(notebook_at(tmp_path), "piedmont")


def test_the_command_writes_a_table_beside_each_weather_file_or_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "amsterdam.epw.gz"
    shutil.copy(DEMO_DATA / "amsterdam.epw.gz", good)
    assert weather_tables.main([str(good)]) == 0
    weather = weather_tables.load(io.read_bytes(tmp_path / "amsterdam.table.gz"), "amsterdam.table.gz")
    assert len(weather) == 8760

    broken = tmp_path / "broken.epw"
    broken.write_text("LOCATION,nowhere\n", encoding="utf-8")
    assert weather_tables.main([str(broken)]) == 1
    assert "broken.epw" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "amsterdam.epw.gz",
        "amsterdam.table.gz",
        "broken.epw",
    ]
