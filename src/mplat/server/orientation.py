"""Orientation sweep: annual plane-of-array irradiation for every tilt × azimuth on a grid (a long analysis).

Isotropic-sky transposition (Liu-Jordan): POA = DNI·max(cos AOI, 0) + DHI·(1 + cos β)/2 + GHI·ρ·(1 − cos β)/2,
with the sun's position at mid-hour from the day of year (Spencer's declination and equation of time). Good to a
few per cent for comparing orientations; use pvlib (Perez) for yield figures. The sweep yields one tilt at a time
so the notebook can report progress and tell the user when it takes long.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from mplat.server.weather import WeatherFile

ALBEDO = 0.2
# Cumulative days before each month in a non-leap year (EPW typical years have no 29 February).
_DAYS_BEFORE_MONTH = np.array([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334])


@dataclass(frozen=True)
class SunPosition:
    cos_zenith: np.ndarray  # per hour; <= 0 when the sun is down
    sin_zenith: np.ndarray
    azimuth_rad: np.ndarray  # from north, clockwise


@dataclass(frozen=True)
class SweepResult:
    tilts_deg: np.ndarray
    azimuths_deg: np.ndarray
    annual_kwh_m2: np.ndarray  # shape (tilts, azimuths)

    @property
    def best(self) -> tuple[float, float, float]:
        """(tilt, azimuth, kWh/m²) of the orientation with the most irradiation."""
        row, column = np.unravel_index(int(np.argmax(self.annual_kwh_m2)), self.annual_kwh_m2.shape)
        return (
            float(self.tilts_deg[row]),
            float(self.azimuths_deg[column]),
            float(self.annual_kwh_m2[row, column]),
        )


def sun_position(weather: WeatherFile) -> SunPosition:
    hourly = weather.hourly
    location = weather.location
    day_of_year = _DAYS_BEFORE_MONTH[hourly["month"].to_numpy() - 1] + hourly["day"].to_numpy()
    gamma = 2 * np.pi * (day_of_year - 1) / 365
    declination = (
        0.006918 - 0.399912 * np.cos(gamma) + 0.070257 * np.sin(gamma) - 0.006758 * np.cos(2 * gamma)
        + 0.000907 * np.sin(2 * gamma) - 0.002697 * np.cos(3 * gamma) + 0.00148 * np.sin(3 * gamma)
    )  # fmt: skip
    equation_of_time_min = 229.18 * (
        0.000075 + 0.001868 * np.cos(gamma) - 0.032077 * np.sin(gamma)
        - 0.014615 * np.cos(2 * gamma) - 0.040849 * np.sin(2 * gamma)
    )  # fmt: skip
    # EPW hour h covers (h-1):00 to h:00 local standard time: use its middle.
    clock_hours = hourly["hour"].to_numpy() - 0.5
    solar_hours = (
        clock_hours + (4 * (location.longitude - 15 * location.timezone_hours) + equation_of_time_min) / 60
    )
    hour_angle = np.radians(15 * (solar_hours - 12))
    latitude = np.radians(location.latitude)
    cos_zenith = np.sin(latitude) * np.sin(declination) + np.cos(latitude) * np.cos(declination) * np.cos(
        hour_angle
    )
    cos_zenith = np.clip(cos_zenith, -1, 1)
    sin_zenith = np.sqrt(1 - cos_zenith**2)
    azimuth = np.arctan2(
        np.sin(hour_angle),
        np.cos(hour_angle) * np.sin(latitude) - np.tan(declination) * np.cos(latitude),
    ) + np.pi  # fmt: skip
    return SunPosition(cos_zenith, sin_zenith, azimuth)


def grid(step_deg: float) -> tuple[np.ndarray, np.ndarray]:
    if not 0 < step_deg <= 90:
        raise ValueError(f"grid step {step_deg}° must be in (0, 90]")
    return np.arange(0, 90 + 1e-9, step_deg), np.arange(0, 360, step_deg)


def sweep(weather: WeatherFile, step_deg: float) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (tilt, annual kWh/m² for every azimuth of the grid), one tilt at a time."""
    tilts, azimuths = grid(step_deg)
    sun = sun_position(weather)
    hourly = weather.hourly
    dni = np.nan_to_num(hourly["dni_wh_m2"].to_numpy(dtype=float))
    dhi = np.nan_to_num(hourly["dhi_wh_m2"].to_numpy(dtype=float))
    ghi = np.nan_to_num(hourly["ghi_wh_m2"].to_numpy(dtype=float))
    up = sun.cos_zenith > 0
    beam = np.where(up, dni, 0.0)
    relative_azimuth = sun.azimuth_rad[None, :] - np.radians(azimuths)[:, None]  # (azimuths, hours)
    cos_relative = np.cos(relative_azimuth)
    for tilt in tilts:
        beta = np.radians(tilt)
        cos_aoi = sun.cos_zenith * np.cos(beta) + sun.sin_zenith * np.sin(beta) * cos_relative
        direct = (beam * np.clip(cos_aoi, 0, None)).sum(axis=1)
        diffuse = dhi.sum() * (1 + np.cos(beta)) / 2
        ground = ghi.sum() * ALBEDO * (1 - np.cos(beta)) / 2
        yield float(tilt), (direct + diffuse + ground) / 1000.0


def assemble(rows: list[tuple[float, np.ndarray]], step_deg: float) -> SweepResult:
    _, azimuths = grid(step_deg)
    return SweepResult(
        tilts_deg=np.array([tilt for tilt, _ in rows]),
        azimuths_deg=azimuths,
        annual_kwh_m2=np.vstack([row for _, row in rows]),
    )
