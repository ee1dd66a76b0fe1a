"""Fixtures for the energy library tests: reference weather files and the PVWatts hourly reference."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from mplat.energy import epw

EPW_FILES = {
    "amsterdam": "NLD_Amsterdam062400_IWEC.epw",
    "piedmont": "tmy_45.000_8.000_2005_2023.epw",
}


@pytest.fixture(scope="session")
def weather_dir(shared_data: Path) -> Path:
    return shared_data / "weather"


@pytest.fixture(scope="session", params=sorted(EPW_FILES))
def epw_path(request: pytest.FixtureRequest, weather_dir: Path) -> Path:
    return weather_dir / EPW_FILES[request.param]


@pytest.fixture(scope="session")
def amsterdam(weather_dir: Path) -> epw.Epw:
    return epw.read_epw(weather_dir / EPW_FILES["amsterdam"])


@dataclass(frozen=True)
class Site:
    latitude: float
    longitude: float
    elevation: float
    tz: float


@dataclass
class PVWattsReference:
    """The PVWatts hourly file as a weather object for `pv.simulate`, plus its outputs."""

    location: Site
    times: list[dt.datetime]
    dni: list[float]
    dhi: list[float]
    ghi: list[float]
    temp_air: list[float]
    wind_speed: list[float]
    poa: list[float]
    cell_temperature: list[float]
    ac_w: list[float]
    months: list[int]

    __hash__ = None  # type: ignore[assignment]  # like any plain weather object: not cacheable


@pytest.fixture(scope="session")
def pvwatts(shared_data: Path) -> PVWattsReference:
    path = shared_data / "reference" / "pvwatts_8760_rackmount.csv"
    with path.open(newline="") as handle:
        rows = [r for r in csv.reader(handle) if r and r[0].strip().isdigit()]
    assert len(rows) == 8760, f"{path}: expected 8760 hourly rows"
    tz = dt.timezone(dt.timedelta(hours=-7))
    # The file's hour h covers h:00-h:59 (hour-beginning); the library takes hour-ending times like an EPW.
    times = [
        dt.datetime(2019, int(r[0]), int(r[1]), int(r[2]), tzinfo=tz) + dt.timedelta(hours=1) for r in rows
    ]

    def column(i: int) -> list[float]:
        return [float(r[i]) for r in rows]

    return PVWattsReference(
        location=Site(latitude=39.73, longitude=-105.18, elevation=1819.599976, tz=-7.0),
        times=times,
        dni=column(3),
        dhi=column(4),
        ghi=[0.0] * 8760,  # not in the file; PVWatts recomputes GHI from DNI and DHI
        temp_air=column(5),
        wind_speed=column(6),
        poa=column(7),
        cell_temperature=column(8),
        ac_w=column(10),
        months=[int(r[0]) for r in rows],
    )
