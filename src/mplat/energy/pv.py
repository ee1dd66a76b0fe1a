"""Photovoltaic system performance as NREL's PVWatts v5 models it, in pure Python.

Reference: A. P. Dobos, "PVWatts Version 5 Manual", NREL/TP-6A20-62641 (2014). Each step has the name and
arguments of its pvlib-python counterpart so results can be checked against pvlib:

  sun position at mid-hour (SPA)            -> `mplat.energy.solar`
  plane-of-array irradiance, Perez 1990     -> `perez`, `get_ground_diffuse`, `aoi_projection`
  incidence-angle loss (glass cover)        -> `iam_physical`   (pvlib.iam.physical)
  cell temperature, Fuentes (1987)          -> `fuentes`        (pvlib.temperature.fuentes)
  DC output                                 -> `pvwatts_dc`     (pvlib.pvsystem.pvwatts_dc)
  inverter                                  -> `pvwatts_inverter` (pvlib.inverter.pvwatts)

`simulate` chains them for a year of hourly weather. It caches the parts that do not depend on the slider-like
inputs: sun geometry per weather object, and irradiance plus cell temperature per (weather, tilt, azimuth,
mounting, albedo). Changing only size, losses or inverter settings then costs a few milliseconds.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import weakref
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, cast

from mplat.energy import solar

Mounting = Literal["open_rack", "roof"]
# PVWatts v5 installed nominal operating cell temperature (INOCT) by mounting, °C (Dobos 2014, §6).
INOCT: dict[str, float] = {"open_rack": 45.0, "roof": 49.0}
_COS_85 = math.cos(math.radians(85.0))
_HALF_HOUR = dt.timedelta(minutes=-30)
SUN_OFFSET = _HALF_HOUR  # the sun is taken at mid-hour of hour-ending weather rows
_FUENTES_TOLERANCE = 1e-4  # K; a cell temperature error of 1e-4 K changes power by < 1e-6 (relative)

# Perez et al. (1990) "allsitescomposite1990" coefficients per sky-clearness bin: (f11, f12, f13), (f21, f22, f23).
_PEREZ_EPSILON_BINS = (1.065, 1.23, 1.5, 1.95, 2.8, 4.5, 6.2)
_PEREZ_F1 = (
    (-0.008, 0.588, -0.062),
    (0.13, 0.683, -0.151),
    (0.33, 0.487, -0.221),
    (0.568, 0.187, -0.295),
    (0.873, -0.392, -0.362),
    (1.132, -1.237, -0.412),
    (1.06, -1.6, -0.359),
    (0.678, -0.327, -0.25),
)
_PEREZ_F2 = (
    (-0.06, 0.072, -0.022),
    (-0.019, 0.066, -0.029),
    (0.055, -0.064, -0.026),
    (0.109, -0.152, -0.014),
    (0.226, -0.462, 0.001),
    (0.288, -0.823, 0.056),
    (0.264, -1.127, 0.131),
    (0.156, -1.377, 0.251),
)


class SiteLike(Protocol):
    # Read-only members (properties), so frozen dataclasses such as `epw.Location` match.
    @property
    def latitude(self) -> float: ...
    @property
    def longitude(self) -> float: ...
    @property
    def elevation(self) -> float: ...
    @property
    def tz(self) -> float: ...


class WeatherLike(Protocol):
    """What `simulate` needs: an `Epw`, or any object with these attributes (hour-ending, tz-aware times)."""

    @property
    def location(self) -> SiteLike: ...
    @property
    def times(self) -> Sequence[dt.datetime]: ...
    @property
    def ghi(self) -> Sequence[float | None]: ...
    @property
    def dni(self) -> Sequence[float | None]: ...
    @property
    def dhi(self) -> Sequence[float | None]: ...
    @property
    def temp_air(self) -> Sequence[float | None]: ...
    @property
    def wind_speed(self) -> Sequence[float | None]: ...


@dataclass(frozen=True)
class PVSystem:
    """A fixed PV array with its inverter, described by PVWatts' inputs.

    `losses` are the system losses applied to DC (soiling, shading, wiring, mismatch…; PVWatts' default 14 %),
    `gamma` the power temperature coefficient per °C, `azimuth` degrees clockwise from north (south = 180).
    """

    dc_kw: float
    tilt: float
    azimuth: float
    losses: float = 0.14
    inverter_efficiency: float = 0.96
    dc_ac_ratio: float = 1.2
    gamma: float = -0.0047
    mounting: Mounting = "open_rack"
    albedo: float = 0.2

    def __post_init__(self) -> None:
        checks = (
            ("dc_kw", self.dc_kw > 0, "a positive size in kW"),
            ("tilt", 0 <= self.tilt <= 90, "0-90 degrees"),
            ("azimuth", 0 <= self.azimuth <= 360, "0-360 degrees clockwise from north"),
            ("losses", 0 <= self.losses < 1, "a fraction in [0, 1), e.g. 0.14"),
            ("inverter_efficiency", 0 < self.inverter_efficiency <= 1, "a fraction in (0, 1], e.g. 0.96"),
            ("dc_ac_ratio", self.dc_ac_ratio > 0, "a positive ratio, e.g. 1.2"),
            ("gamma", -0.02 <= self.gamma <= 0.0, "per °C, e.g. -0.0047"),
            ("mounting", self.mounting in INOCT, f"one of {sorted(INOCT)}"),
            ("albedo", 0 <= self.albedo <= 1, "a fraction in [0, 1]"),
        )
        for name, ok, expected in checks:
            if not ok:
                raise ValueError(f"PVSystem.{name} = {getattr(self, name)!r}: expected {expected}")

    @property
    def ac_kw(self) -> float:
        """Inverter AC rating."""
        return self.dc_kw / self.dc_ac_ratio


@dataclass(frozen=True)
class Simulation:
    """Hourly results of `simulate` (one value per weather hour; energies in kWh per hour)."""

    system: PVSystem
    times: tuple[dt.datetime, ...]  # hour-ending, as the weather's
    poa_global: tuple[float, ...]  # W/m² on the array
    cell_temperature: tuple[float, ...]  # °C
    dc_kwh: tuple[float, ...]
    ac_kwh: tuple[float, ...]

    @property
    def annual_ac_kwh(self) -> float:
        return math.fsum(self.ac_kwh)

    @property
    def specific_yield(self) -> float:
        """kWh of AC per kW of DC (kWh/kWp)."""
        return self.annual_ac_kwh / self.system.dc_kw

    @property
    def monthly_ac_kwh(self) -> tuple[float, ...]:
        """Twelve monthly sums, January first (each hour counted in the month where it starts)."""
        sums = [0.0] * 12
        for when, energy in zip(self.times, self.ac_kwh, strict=True):
            sums[(when + _HALF_HOUR).month - 1] += energy
        return tuple(sums)


# --- single-hour models (pvlib names and argument order) ------------------------------------------------


def aoi_projection(
    surface_tilt: float, surface_azimuth: float, solar_zenith: float, solar_azimuth: float
) -> float:
    """Cosine of the angle of incidence of the sun's beam on the surface (may be negative: sun behind)."""
    tilt = math.radians(surface_tilt)
    zenith = math.radians(solar_zenith)
    return math.cos(tilt) * math.cos(zenith) + math.sin(tilt) * math.sin(zenith) * math.cos(
        math.radians(solar_azimuth - surface_azimuth)
    )


def aoi(surface_tilt: float, surface_azimuth: float, solar_zenith: float, solar_azimuth: float) -> float:
    """Angle of incidence, degrees."""
    projection = aoi_projection(surface_tilt, surface_azimuth, solar_zenith, solar_azimuth)
    return math.degrees(math.acos(max(-1.0, min(1.0, projection))))


def _perez_brightening(
    dhi: float, dni: float, dni_extra: float, solar_zenith: float, airmass: float
) -> tuple[float, float]:
    """Perez's circumsolar (F1) and horizon (F2) brightening coefficients; they do not depend on the surface."""
    z = math.radians(solar_zenith)
    kappa_z3 = 1.041 * z**3
    clearness = ((dhi + dni) / dhi + kappa_z3) / (1.0 + kappa_z3)
    brightness = dhi * airmass / dni_extra
    bin_index = 0
    while bin_index < len(_PEREZ_EPSILON_BINS) and clearness >= _PEREZ_EPSILON_BINS[bin_index]:
        bin_index += 1
    f11, f12, f13 = _PEREZ_F1[bin_index]
    f21, f22, f23 = _PEREZ_F2[bin_index]
    return max(0.0, f11 + f12 * brightness + f13 * z), f21 + f22 * brightness + f23 * z


def perez(
    surface_tilt: float,
    surface_azimuth: float,
    dhi: float,
    dni: float,
    dni_extra: float,
    solar_zenith: float,
    solar_azimuth: float,
    airmass: float | None,
) -> float:
    """Sky diffuse irradiance on a tilted surface, Perez et al. (1990), W/m²; 0 when the sun is down."""
    if airmass is None or dhi <= 0.0:
        return 0.0
    f1, f2 = _perez_brightening(dhi, dni, dni_extra, solar_zenith, airmass)
    a = max(0.0, aoi_projection(surface_tilt, surface_azimuth, solar_zenith, solar_azimuth))
    b = max(math.cos(math.radians(solar_zenith)), _COS_85)
    tilt = math.radians(surface_tilt)
    sky = dhi * (0.5 * (1.0 - f1) * (1.0 + math.cos(tilt)) + f1 * a / b + f2 * math.sin(tilt))
    return max(sky, 0.0)


def get_ground_diffuse(surface_tilt: float, ghi: float, albedo: float = 0.2) -> float:
    """Irradiance reflected by the ground onto the surface (isotropic), W/m²."""
    return ghi * albedo * (1.0 - math.cos(math.radians(surface_tilt))) * 0.5


def iam_physical(aoi: float, n: float = 1.526, K: float = 4.0, L: float = 0.002) -> float:  # noqa: N803 (pvlib)
    """Transmittance of the module's glass cover relative to normal incidence (Fresnel + Bouguer's law).

    De Soto et al. (2006) eq. 14-15 with PVWatts v5's glass: n = 1.526, K = 4 /m, L = 2 mm.
    """
    if aoi >= 90.0:
        return 0.0

    def transmittance(theta: float) -> float:
        theta_r = math.asin(math.sin(theta) / n)  # refraction angle
        absorbed = math.exp(-K * L / math.cos(theta_r))
        if theta == 0.0:
            reflectance = ((n - 1.0) / (n + 1.0)) ** 2
        else:
            reflectance = 0.5 * (
                math.sin(theta_r - theta) ** 2 / math.sin(theta_r + theta) ** 2
                + math.tan(theta_r - theta) ** 2 / math.tan(theta_r + theta) ** 2
            )
        return absorbed * (1.0 - reflectance)

    return transmittance(math.radians(aoi)) / transmittance(0.0)


def _fuentes_hconv(
    tave: float, windmod: float, temp_delta: float, xlen: float, sin_tilt: float, check_reynold: bool
) -> float:
    """Convective heat-transfer coefficient of a module, mixed free/forced convection (Fuentes 1987)."""
    densair = 0.003484 * 101325.0 / tave
    visair = 0.24237e-6 * tave**0.76 / densair
    condair = 2.1695e-4 * tave**0.84
    reynold = windmod * xlen / visair
    if check_reynold and reynold > 1.2e5:  # turbulent
        hforce = 0.0282 / reynold**0.2 * densair * windmod * 1007 / 0.71**0.4
    else:  # laminar
        hforce = 0.8600 / reynold**0.5 * densair * windmod * 1007 / 0.71**0.67
    grashof = 9.8 / tave * temp_delta * xlen**3 / visair**2 * sin_tilt
    hfree = 0.21 * (grashof * 0.71) ** 0.32 * condair / xlen
    return (hfree**3 + hforce**3) ** (1.0 / 3.0)


def fuentes(
    poa_global: Sequence[float],
    temp_air: Sequence[float],
    wind_speed: Sequence[float],
    noct_installed: float,
    module_height: float = 5.0,
    wind_height: float = 9.144,
    emissivity: float = 0.84,
    absorption: float = 0.83,
    surface_tilt: float = 30.0,
    module_width: float = 0.31579,
    module_length: float = 1.2,
    timestep_hours: float = 1.0,
) -> list[float]:
    """Cell temperature (°C) by Fuentes' transient heat-balance model, as PVWatts v5 uses it.

    Port of pvlib.temperature.fuentes (itself from Fuentes 1987, SAND85-0330, appendix A). PVWatts passes
    its INOCT (45 °C open rack, 49 °C roof) and keeps the default 30° tilt in the convection term. The inner
    fixed-point iteration stops once the temperature changes by < 1e-4 K instead of always running 10 rounds.
    """
    boltz = 5.669e-8
    xlen = 2 * (module_width * module_length) / (module_width + module_length)  # hydraulic diameter
    sin_tilt = math.sin(math.radians(surface_tilt))
    tinoct = noct_installed + 273.15

    # Ratios fixed by the INOCT condition (800 W/m², 20 °C, 1 m/s).
    hconv = _fuentes_hconv((tinoct + 293.15) / 2, 1.0, tinoct - 293.15, xlen, sin_tilt, False)
    hground = emissivity * boltz * (tinoct**2 + 293.15**2) * (tinoct + 293.15)
    backrat = (
        absorption * 800.0 - emissivity * boltz * (tinoct**4 - 282.21**4) - hconv * (tinoct - 293.15)
    ) / ((hground + hconv) * (tinoct - 293.15))
    tground = (tinoct**4 - backrat * (tinoct**4 - 293.15**4)) ** 0.25
    tground = min(max(tground, 293.15), tinoct)
    tgrat = (tground - 293.15) / (tinoct - 293.15)
    convrat = (absorption * 800 - emissivity * boltz * (2 * tinoct**4 - 282.21**4 - tground**4)) / (
        hconv * (tinoct - 293.15)
    )
    cap = 11000.0
    if tinoct > 321.15:  # high INOCT means coupling to the roof: more thermal mass
        cap *= 1 + (tinoct - 321.15) / 12
    seconds = timestep_hours * 3600.0
    wind_factor = (module_height / wind_height) ** 0.2
    emiss_boltz = emissivity * boltz
    # _fuentes_hconv inlined for speed (this loop is the hot spot of a simulation): with T the mean film
    # temperature, air density = RHO_T / T, kinematic viscosity = NU_T · T^1.76, conductivity = K_T · T^0.84.
    rho_t = 0.003484 * 101325.0
    nu_t = 0.24237e-6 / rho_t
    laminar = 0.8600 * 1007 / 0.71**0.67
    turbulent = 0.0282 * 1007 / 0.71**0.4
    free = 9.8 * xlen**3 * sin_tilt * 0.71
    free_k = 0.21 * 2.1695e-4 / xlen

    result: list[float] = []
    tmod0 = 293.15
    sun0 = 0.0
    for poa, t_air, wind in zip(poa_global, temp_air, wind_speed, strict=True):
        tamb = t_air + 273.15
        sun = poa * absorption
        windmod = wind * wind_factor + 1e-4
        tsky = 0.68 * (0.0552 * tamb**1.5) + 0.32 * tamb
        tsky_rad = tsky * tsky
        tmod = tmod0
        for _ in range(10):
            tave = (tmod + tamb) * 0.5
            density = rho_t / tave
            viscosity = nu_t * tave**1.76
            reynold = windmod * xlen / viscosity
            if reynold > 1.2e5:
                hforce = turbulent / reynold**0.2 * density * windmod
            else:
                hforce = laminar / reynold**0.5 * density * windmod
            grashof = free / tave * abs(tmod - tamb) / (viscosity * viscosity)
            hfree = grashof**0.32 * free_k * tave**0.84
            h_conv = convrat * (hfree**3 + hforce**3) ** (1.0 / 3.0)
            h_sky = emiss_boltz * (tmod * tmod + tsky_rad) * (tmod + tsky)
            t_ground = tamb + tgrat * (tmod - tamb)
            h_ground = emiss_boltz * (tmod * tmod + t_ground * t_ground) * (tmod + t_ground)
            h_total = h_conv + h_sky + h_ground
            eigen = -h_total / cap * seconds
            ex = math.exp(eigen) if eigen > -10 else 0.0
            new = (
                tmod0 * ex
                + (
                    (1 - ex)
                    * (h_conv * tamb + h_sky * tsky + h_ground * t_ground + sun0 + (sun - sun0) / eigen)
                    + sun
                    - sun0
                )
                / h_total
            )
            converged = abs(new - tmod) < _FUENTES_TOLERANCE
            tmod = new
            if converged:
                break
        result.append(tmod - 273.15)
        tmod0 = tmod
        sun0 = sun
    return result


def pvwatts_dc(
    effective_irradiance: float, temp_cell: float, pdc0: float, gamma_pdc: float, temp_ref: float = 25.0
) -> float:
    """DC power of an array rated `pdc0` (at 1000 W/m², 25 °C), linear temperature correction."""
    return effective_irradiance * 0.001 * pdc0 * (1.0 + gamma_pdc * (temp_cell - temp_ref))


def pvwatts_inverter(
    pdc: float, pdc0: float, eta_inv_nom: float = 0.96, eta_inv_ref: float = 0.9637
) -> float:
    """AC power from DC power `pdc` for an inverter whose DC input limit is `pdc0` (PVWatts v5 efficiency curve)."""
    if pdc <= 0.0:
        return 0.0
    zeta = pdc / pdc0
    eta = eta_inv_nom / eta_inv_ref * (-0.0162 * zeta - 0.0059 / zeta + 0.9858)
    return max(0.0, min(eta_inv_nom * pdc0, eta * pdc))


# --- year simulation with caching --------------------------------------------------------------------


@dataclass(frozen=True)
class Sky:
    """Per-hour sun geometry and sky terms of one weather object: everything that does not depend on the array
    (`sky(weather)`; shipped ahead of time for the demos' weather years by `mplat.energy.weather_tables`).

    The sun vector is stored as components so the incidence angle on any plane is plain arithmetic:
    cos(aoi) = cos(tilt)·cos_zenith + sin(tilt)·(cos(surface azimuth)·sun_north + sin(surface azimuth)·sun_east).
    """

    sun_up: tuple[bool, ...]
    cos_zenith: tuple[float, ...]
    sun_north: tuple[float, ...]  # sin(zenith)·cos(solar azimuth)
    sun_east: tuple[float, ...]  # sin(zenith)·sin(solar azimuth)
    perez_f1: tuple[float, ...]
    perez_f2: tuple[float, ...]
    ghi: tuple[float, ...]  # recomputed as DNI·cos(zenith) + DHI, as PVWatts does
    dni: tuple[float, ...]
    dhi: tuple[float, ...]
    temp_air: tuple[float, ...]
    wind_speed: tuple[float, ...]


@dataclass(frozen=True)
class _Plane:
    """Per-hour irradiance on the array and cell temperature (independent of size and electrical inputs)."""

    poa_global: tuple[float, ...]
    effective: tuple[float, ...]  # beam after incidence-angle loss + diffuse, W/m²
    cell_temperature: tuple[float, ...]


def _filled(values: Sequence[float | None], name: str, fallback: float | None = None) -> tuple[float, ...]:
    """Replace missing hours: irradiance by 0, temperature/wind by the previous hour (or `fallback`)."""
    out: list[float] = []
    previous = fallback
    for i, value in enumerate(values):
        if value is None:
            if previous is None:
                previous = next((v for v in values if v is not None), None)
                if previous is None:
                    raise ValueError(f"weather.{name} has no values (hour {i + 1} onwards all missing)")
            value = previous
        out.append(float(value))
        previous = value
    return tuple(out)


def sun_positions(weather: WeatherLike) -> tuple[solar.SolarPosition, ...]:
    """The sun at the middle of each weather hour (PVWatts' convention for hour-ending data)."""
    site = weather.location
    return solar.solar_positions(
        weather.times, site.latitude, site.longitude, site.elevation, offset=SUN_OFFSET
    )


def _sky(weather: WeatherLike) -> Sky:
    n = len(weather.times)
    if n == 0:
        raise ValueError("weather.times is empty: nothing to simulate")
    for name in ("ghi", "dni", "dhi", "temp_air", "wind_speed"):
        if len(getattr(weather, name)) != n:
            raise ValueError(
                f"weather.{name} has {len(getattr(weather, name))} values, weather.times has {n}"
            )
    positions = sun_positions(weather)
    dni = tuple(max(0.0, v) for v in _filled(weather.dni, "dni", 0.0))
    dhi = tuple(max(0.0, v) for v in _filled(weather.dhi, "dhi", 0.0))
    sun_up, cos_z, north, east, f1s, f2s, ghis = [], [], [], [], [], [], []
    for when, position, b, d in zip(weather.times, positions, dni, dhi, strict=True):
        zenith = position.zenith
        up = zenith < 90.0
        cz = math.cos(math.radians(zenith))
        sz = math.sin(math.radians(zenith))
        az = math.radians(position.azimuth)
        f1 = f2 = 0.0
        if up and d > 0.0:
            extra = solar.extraterrestrial_dni((when + _HALF_HOUR).timetuple().tm_yday)
            airmass = solar.relative_airmass(zenith)
            assert airmass is not None  # the sun is up
            f1, f2 = _perez_brightening(d, b, extra, zenith, airmass)
        sun_up.append(up)
        cos_z.append(cz)
        north.append(sz * math.cos(az))
        east.append(sz * math.sin(az))
        f1s.append(f1)
        f2s.append(f2)
        ghis.append((b * cz if up else 0.0) + d)
    return Sky(
        sun_up=tuple(sun_up),
        cos_zenith=tuple(cos_z),
        sun_north=tuple(north),
        sun_east=tuple(east),
        perez_f1=tuple(f1s),
        perez_f2=tuple(f2s),
        ghi=tuple(ghis),
        dni=dni,
        dhi=dhi,
        temp_air=_filled(weather.temp_air, "temp_air"),
        wind_speed=_filled(weather.wind_speed, "wind_speed", 0.0),
    )


def _plane(sky: Sky, tilt: float, azimuth: float, mounting: str, albedo: float) -> _Plane:
    cos_t = math.cos(math.radians(tilt))
    sin_t = math.sin(math.radians(tilt))
    north_t = sin_t * math.cos(math.radians(azimuth))
    east_t = sin_t * math.sin(math.radians(azimuth))
    ground_factor = albedo * (1.0 - cos_t) * 0.5
    isotropic = 0.5 * (1.0 + cos_t)
    poa_global: list[float] = []
    effective: list[float] = []
    for up, cz, sn, se, f1, f2, ghi, dni, dhi in zip(
        sky.sun_up,
        sky.cos_zenith,
        sky.sun_north,
        sky.sun_east,
        sky.perez_f1,
        sky.perez_f2,
        sky.ghi,
        sky.dni,
        sky.dhi,
        strict=True,
    ):
        ground = ghi * ground_factor
        if not up or (dni <= 0.0 and dhi <= 0.0):
            poa_global.append(ground)
            effective.append(ground)
            continue
        cos_aoi = cos_t * cz + north_t * sn + east_t * se
        beam = dni * cos_aoi if cos_aoi > 0.0 else 0.0
        sky_diffuse = 0.0
        if dhi > 0.0:  # Perez (see `perez`), with the surface-independent F1, F2 precomputed
            circumsolar = cos_aoi if cos_aoi > 0.0 else 0.0
            sky_diffuse = dhi * (
                (1.0 - f1) * isotropic + f1 * circumsolar / (cz if cz > _COS_85 else _COS_85) + f2 * sin_t
            )
            if sky_diffuse < 0.0:
                sky_diffuse = 0.0
        diffuse = sky_diffuse + ground
        poa_global.append(beam + diffuse)
        transmitted = beam * iam_physical(math.degrees(math.acos(min(1.0, cos_aoi)))) if beam > 0.0 else 0.0
        effective.append(transmitted + diffuse)
    cell = fuentes(poa_global, sky.temp_air, sky.wind_speed, INOCT[mounting])
    return _Plane(tuple(poa_global), tuple(effective), tuple(cell))


# Skies computed ahead of time (a shipped weather table), by weather object; weak: they go with their weather.
_REMEMBERED: weakref.WeakKeyDictionary[object, Sky] = weakref.WeakKeyDictionary()


def remember_sky(weather: WeatherLike, terms: Sky) -> None:
    """Let simulations of `weather` use `terms` instead of computing them: they were computed by `sky` before,
    e.g. when the site was built. `weather` must be an object that can be weakly referenced (an `Epw`)."""
    if len(terms.cos_zenith) != len(weather.times):
        raise ValueError(f"{len(terms.cos_zenith)} hours of sky for {len(weather.times)} hours of weather")
    _REMEMBERED[weather] = terms


def sky(weather: WeatherLike) -> Sky:
    """The per-hour sun geometry and sky terms `simulate` uses for `weather` (cached per weather object)."""
    return _sky_cached(cast(Hashable, weather)) if _is_hashable(weather) else _sky(weather)


@functools.lru_cache(maxsize=8)
def _sky_cached(weather: Hashable) -> Sky:
    try:
        remembered = _REMEMBERED.get(weather)
    except TypeError:  # not weakly referenceable: never remembered
        remembered = None
    return remembered if remembered is not None else _sky(cast(WeatherLike, weather))


@functools.lru_cache(maxsize=32)
def _plane_cached(weather: Hashable, tilt: float, azimuth: float, mounting: str, albedo: float) -> _Plane:
    return _plane(_sky_cached(weather), tilt, azimuth, mounting, albedo)


def _is_hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def simulate(weather: WeatherLike, system: PVSystem) -> Simulation:
    """Hourly PVWatts v5 simulation of `system` under `weather` (hour-ending times, sun taken at mid-hour)."""
    key = (float(system.tilt), float(system.azimuth), system.mounting, float(system.albedo))
    # An Epw is hashed by identity: cache so slider moves skip the geometry. Other weather objects: no cache.
    plane = (
        _plane_cached(cast(Hashable, weather), *key) if _is_hashable(weather) else _plane(_sky(weather), *key)
    )
    pdc0 = system.dc_kw  # kW, so DC and AC come out in kW = kWh per hour
    inverter_pdc0 = system.ac_kw / system.inverter_efficiency
    derate = 1.0 - system.losses
    dc = tuple(
        pvwatts_dc(g, t, pdc0, system.gamma) * derate
        for g, t in zip(plane.effective, plane.cell_temperature, strict=True)
    )
    ac = tuple(pvwatts_inverter(p, inverter_pdc0, system.inverter_efficiency) for p in dc)
    return Simulation(
        system=system,
        times=tuple(weather.times),
        poa_global=plane.poa_global,
        cell_temperature=plane.cell_temperature,
        dc_kwh=dc,
        ac_kwh=ac,
    )
