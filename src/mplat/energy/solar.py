"""Sun position: NREL's Solar Position Algorithm (SPA), pure Python.

Reference: I. Reda and A. Andreas, "Solar position algorithm for solar radiation applications",
NREL/TP-560-34302 (2003, revised 2008); Solar Energy 76(5), 577-589 (2004). The implementation follows the
report step by step (the same steps as `pvlib.solarposition.spa_python`, whose defaults it shares:
delta_t = 67 s, pressure 101325 Pa, temperature 12 °C), so results agree with pvlib to ~1e-6 degree.

The Earth-orbit part of SPA (≈300 trigonometric terms) depends only on the instant, not on the site: it is
evaluated exactly every 6 hours (UTC), cached, and interpolated in between (error < 1e-6 degree); the rest of
the algorithm runs exactly for every instant. `solar_positions` caches
whole series per site, so a notebook recomputing a simulation after a slider move never redoes the astronomy, and
returns series computed ahead of time (`remember_positions`, fed by `mplat.energy.weather_tables`) without computing.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from mplat.energy import _spa_tables as tables

DELTA_T = 67.0  # TT - UT in seconds (pvlib's default; ~69 s in 2020s, effect < 0.001 degree)
STANDARD_PRESSURE = 101325.0  # Pa
STANDARD_TEMPERATURE = 12.0  # °C, annual mean used for refraction
# Refraction is applied only when the true sun is above -(sun radius + standard refraction) degrees.
_SUN_RADIUS = 0.26667
_ATMOS_REFRACT = 0.5667
_UNIX_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_KNOT_SECONDS = 6 * 3600.0  # spacing of exact orbit evaluations (see `_orbit_at`)

_rad = math.radians
_deg = math.degrees


@dataclass(frozen=True, slots=True)
class SolarPosition:
    """Where the sun is, seen from a site, in degrees.

    `zenith` and `elevation` are apparent (corrected for atmospheric refraction); `true_zenith` is the geometric
    one. `azimuth` is measured clockwise from north (east = 90, south = 180).
    """

    zenith: float
    elevation: float
    azimuth: float
    true_zenith: float
    earth_sun_distance: float  # astronomical units


@dataclass(frozen=True, slots=True)
class _Geocentric:
    """Site-independent SPA quantities for one instant."""

    sidereal_time: float  # apparent sidereal time at Greenwich, degrees
    right_ascension: float  # degrees
    declination: float  # degrees
    radius: float  # Earth-sun distance, AU


def _series(terms: tuple[tuple[float, float, float], ...], jme: float) -> float:
    return sum(a * math.cos(b + c * jme) for a, b, c in terms)


def _polynomial(groups: tuple[tuple[tuple[float, float, float], ...], ...], jme: float) -> float:
    """Σ_i series_i(jme) · jme^i / 1e8, the SPA form of heliocentric L, B and R."""
    total = 0.0
    power = 1.0
    for terms in groups:
        total += _series(terms, jme) * power
        power *= jme
    return total / 1e8


@dataclass(frozen=True, slots=True)
class _Orbit:
    """The expensive, slowly varying SPA terms (Earth's orbit and nutation) at one instant."""

    theta: float  # geocentric longitude, degrees in [0, 360)
    beta: float  # geocentric latitude, degrees
    radius: float  # Earth-sun distance, AU
    delta_psi: float  # nutation in longitude, degrees
    delta_eps: float  # nutation in obliquity, degrees


def _julian(unix_seconds: float, delta_t: float) -> tuple[float, float, float, float]:
    """Julian day, Julian century, Julian ephemeris century and millennium (SPA §3.1)."""
    jd = unix_seconds / 86400.0 + 2440587.5
    jde = jd + delta_t / 86400.0
    jc = (jd - 2451545.0) / 36525.0
    jce = (jde - 2451545.0) / 36525.0
    return jd, jc, jce, jce / 10.0


@functools.lru_cache(maxsize=8192)
def _orbit(unix_seconds: float, delta_t: float) -> _Orbit:
    _, _, jce, jme = _julian(unix_seconds, delta_t)
    heliocentric_longitude = (
        _deg(_polynomial((tables.L0, tables.L1, tables.L2, tables.L3, tables.L4, tables.L5), jme)) % 360.0
    )
    heliocentric_latitude = _deg(_polynomial((tables.B0, tables.B1), jme))
    radius = _polynomial((tables.R0, tables.R1, tables.R2, tables.R3, tables.R4), jme)

    # Nutation in longitude (delta_psi) and obliquity (delta_eps), from the five fundamental arguments.
    x = (
        297.85036 + 445267.111480 * jce - 0.0019142 * jce**2 + jce**3 / 189474.0,
        357.52772 + 35999.050340 * jce - 0.0001603 * jce**2 - jce**3 / 300000.0,
        134.96298 + 477198.867398 * jce + 0.0086972 * jce**2 + jce**3 / 56250.0,
        93.27191 + 483202.017538 * jce - 0.0036825 * jce**2 + jce**3 / 327270.0,
        125.04452 - 1934.136261 * jce + 0.0020708 * jce**2 + jce**3 / 450000.0,
    )
    psi_sum = 0.0
    eps_sum = 0.0
    for (a, b, c, d), (y0, y1, y2, y3, y4) in tables.NUTATION:
        arg = _rad(y0 * x[0] + y1 * x[1] + y2 * x[2] + y3 * x[3] + y4 * x[4])
        psi_sum += (a + b * jce) * math.sin(arg)
        eps_sum += (c + d * jce) * math.cos(arg)
    return _Orbit(
        theta=(heliocentric_longitude + 180.0) % 360.0,
        beta=-heliocentric_latitude,
        radius=radius,
        delta_psi=psi_sum / 36000000.0,
        delta_eps=eps_sum / 36000000.0,
    )


def _orbit_at(unix_seconds: float, delta_t: float) -> _Orbit:
    """`_orbit`, exact on 6-hour knots (UTC) and linearly interpolated between them.

    The orbital terms change slowly (the sun's longitude by ~0.25° in 6 h, the fastest nutation term has a
    period of ~14 days), so interpolation adds < 1e-6 degree while a year of hourly positions needs a quarter of
    the ~300-term evaluations; knots are shared by every site and cached.
    """
    knot = math.floor(unix_seconds / _KNOT_SECONDS) * _KNOT_SECONDS
    before = _orbit(knot, delta_t)
    fraction = (unix_seconds - knot) / _KNOT_SECONDS
    if fraction == 0.0:
        return before
    after = _orbit(knot + _KNOT_SECONDS, delta_t)

    def lerp(a: float, b: float) -> float:
        return a + fraction * (b - a)

    theta_step = (after.theta - before.theta + 180.0) % 360.0 - 180.0  # across the 360° wrap
    return _Orbit(
        theta=(before.theta + fraction * theta_step) % 360.0,
        beta=lerp(before.beta, after.beta),
        radius=lerp(before.radius, after.radius),
        delta_psi=lerp(before.delta_psi, after.delta_psi),
        delta_eps=lerp(before.delta_eps, after.delta_eps),
    )


def _geocentric(unix_seconds: float, delta_t: float) -> _Geocentric:
    jd, jc, _, jme = _julian(unix_seconds, delta_t)
    orbit = _orbit_at(unix_seconds, delta_t)
    u = jme / 10.0
    epsilon0 = (
        84381.448 - 4680.93 * u - 1.55 * u**2 + 1999.25 * u**3 - 51.38 * u**4 - 249.67 * u**5
        - 39.05 * u**6 + 7.12 * u**7 + 27.87 * u**8 + 5.79 * u**9 + 2.45 * u**10
    )  # fmt: skip
    epsilon = _rad(epsilon0 / 3600.0 + orbit.delta_eps)
    aberration = -20.4898 / (3600.0 * orbit.radius)
    apparent_longitude = _rad(orbit.theta + orbit.delta_psi + aberration)

    mean_sidereal = (
        280.46061837 + 360.98564736629 * (jd - 2451545.0) + 0.000387933 * jc**2 - jc**3 / 38710000.0
    ) % 360.0
    sidereal = mean_sidereal + orbit.delta_psi * math.cos(epsilon)
    beta_rad = _rad(orbit.beta)
    right_ascension = (
        _deg(
            math.atan2(
                math.sin(apparent_longitude) * math.cos(epsilon) - math.tan(beta_rad) * math.sin(epsilon),
                math.cos(apparent_longitude),
            )
        )
        % 360.0
    )
    declination = _deg(
        math.asin(
            math.sin(beta_rad) * math.cos(epsilon)
            + math.cos(beta_rad) * math.sin(epsilon) * math.sin(apparent_longitude)
        )
    )
    return _Geocentric(sidereal, right_ascension, declination, orbit.radius)


def _unix_seconds(when: dt.datetime) -> float:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"solar position needs a timezone-aware datetime, got naive {when.isoformat()}")
    return (when - _UNIX_EPOCH).total_seconds()


def _topocentric(
    geo: _Geocentric,
    latitude: float,
    longitude: float,
    elevation: float,
    pressure: float,
    temperature: float,
) -> SolarPosition:
    hour_angle = _rad((geo.sidereal_time + longitude - geo.right_ascension) % 360.0)
    parallax = _rad(8.794 / (3600.0 * geo.radius))
    lat = _rad(latitude)
    u = math.atan(0.99664719 * math.tan(lat))
    x = math.cos(u) + elevation / 6378140.0 * math.cos(lat)
    y = 0.99664719 * math.sin(u) + elevation / 6378140.0 * math.sin(lat)
    declination = _rad(geo.declination)

    delta_alpha = math.atan2(
        -x * math.sin(parallax) * math.sin(hour_angle),
        math.cos(declination) - x * math.sin(parallax) * math.cos(hour_angle),
    )
    declination_topo = math.atan2(
        (math.sin(declination) - y * math.sin(parallax)) * math.cos(delta_alpha),
        math.cos(declination) - x * math.sin(parallax) * math.cos(hour_angle),
    )
    hour_angle_topo = hour_angle - delta_alpha
    true_elevation = _deg(
        math.asin(
            math.sin(lat) * math.sin(declination_topo)
            + math.cos(lat) * math.cos(declination_topo) * math.cos(hour_angle_topo)
        )
    )
    refraction = 0.0
    if true_elevation >= -(_SUN_RADIUS + _ATMOS_REFRACT):
        refraction = (
            (pressure / 100.0 / 1010.0)
            * (283.0 / (273.0 + temperature))
            * 1.02
            / (60.0 * math.tan(_rad(true_elevation + 10.3 / (true_elevation + 5.11))))
        )
    apparent_elevation = true_elevation + refraction
    astronomers_azimuth = _deg(
        math.atan2(
            math.sin(hour_angle_topo),
            math.cos(hour_angle_topo) * math.sin(lat) - math.tan(declination_topo) * math.cos(lat),
        )
    )
    return SolarPosition(
        zenith=90.0 - apparent_elevation,
        elevation=apparent_elevation,
        azimuth=(astronomers_azimuth + 180.0) % 360.0,
        true_zenith=90.0 - true_elevation,
        earth_sun_distance=geo.radius,
    )


def solar_position(
    when: dt.datetime,
    latitude: float,
    longitude: float,
    elevation: float = 0.0,
    pressure: float = STANDARD_PRESSURE,
    temperature: float = STANDARD_TEMPERATURE,
    delta_t: float = DELTA_T,
) -> SolarPosition:
    """Sun position at `when` (timezone-aware) for a site (degrees north/east, metres above sea level)."""
    geo = _geocentric(_unix_seconds(when), delta_t)
    return _topocentric(geo, latitude, longitude, elevation, pressure, temperature)


# Positions computed ahead of time (a shipped weather table, `mplat.energy.weather_tables`), by site and instants.
_KNOWN: dict[tuple[tuple[float, ...], float, float, float], tuple[SolarPosition, ...]] = {}


def remember_positions(
    instants: Sequence[float],
    latitude: float,
    longitude: float,
    elevation: float,
    positions: Sequence[SolarPosition],
) -> None:
    """Let `solar_positions` return `positions` for this site at these instants (Unix seconds, see `instants`)
    instead of computing them: they were computed by this module before, e.g. when the site was built."""
    if len(instants) != len(positions):
        raise ValueError(f"{len(instants)} instants but {len(positions)} positions: they must pair up")
    key = (tuple(map(float, instants)), float(latitude), float(longitude), float(elevation))
    _KNOWN[key] = tuple(positions)


@functools.lru_cache(maxsize=16)
def _positions_cached(
    instants: tuple[float, ...], latitude: float, longitude: float, elevation: float
) -> tuple[SolarPosition, ...]:
    known = _KNOWN.get((instants, latitude, longitude, elevation))
    if known is not None:
        return known
    return tuple(
        _topocentric(
            _geocentric(t, DELTA_T), latitude, longitude, elevation, STANDARD_PRESSURE, STANDARD_TEMPERATURE
        )
        for t in instants
    )


def solar_positions(
    times: Sequence[dt.datetime],
    latitude: float,
    longitude: float,
    elevation: float = 0.0,
    offset: dt.timedelta = dt.timedelta(0),
) -> tuple[SolarPosition, ...]:
    """Sun positions at `times + offset` (e.g. offset -30 min for mid-hour of hour-ending data); cached per site."""
    return _positions_cached(instants(times, offset), float(latitude), float(longitude), float(elevation))


def instants(times: Sequence[dt.datetime], offset: dt.timedelta = dt.timedelta(0)) -> tuple[float, ...]:
    """`times + offset` (timezone-aware) as Unix seconds, as `solar_positions` places the sun."""
    # Add the offset in UTC seconds: datetime + timedelta would drop `fold` and misplace a DST-repeated hour.
    shift = offset.total_seconds()
    return tuple(_unix_seconds(t) + shift for t in times)


def extraterrestrial_dni(day_of_year: int, solar_constant: float = 1366.1) -> float:
    """Irradiance normal to the sun at the top of the atmosphere (W/m²), Spencer (1971) as in pvlib's default."""
    b = 2.0 * math.pi * (day_of_year - 1) / 365.0
    factor = (
        1.00011
        + 0.034221 * math.cos(b)
        + 0.00128 * math.sin(b)
        + 0.000719 * math.cos(2 * b)
        + 0.000077 * math.sin(2 * b)
    )
    return solar_constant * factor


def relative_airmass(zenith: float) -> float | None:
    """Kasten & Young (1989) relative optical air mass for an apparent zenith (degrees); None below horizon."""
    if zenith > 90.0:
        return None
    return 1.0 / (math.cos(_rad(zenith)) + 0.50572 * (6.07995 + (90.0 - zenith)) ** -1.6364)
