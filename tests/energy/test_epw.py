"""EPW reader: values identical to pvlib's reader, hour-ending nominal-year times, and EpwError on bad input."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pvlib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mplat.energy import epw

COLUMNS = [name for name, _, _ in epw.COLUMNS]


def test_values_equal_pvlib_read_epw(epw_path: Path) -> None:
    ours = epw.read_epw(epw_path)
    reference, meta = pvlib.iotools.read_epw(epw_path)
    assert len(ours) == len(reference) == 8760
    for name in COLUMNS:
        expected = reference[name].tolist()
        assert list(getattr(ours, name)) == pytest.approx(expected, abs=0), name
    assert list(ours.years) == reference["year"].tolist()
    loc = ours.location
    assert (loc.latitude, loc.longitude, loc.tz, loc.elevation) == (
        meta["latitude"],
        meta["longitude"],
        meta["TZ"],
        meta["altitude"],
    )
    assert (loc.city, loc.country) == (meta["city"], meta["country"])


def test_times_are_hour_ending_in_one_nominal_year(epw_path: Path) -> None:
    ours = epw.read_epw(epw_path)
    reference, _ = pvlib.iotools.read_epw(epw_path)
    tz = dt.timezone(dt.timedelta(hours=ours.location.tz))
    assert ours.times[0] == dt.datetime(epw.NOMINAL_YEAR, 1, 1, 1, tzinfo=tz)
    assert ours.times[-1] == dt.datetime(epw.NOMINAL_YEAR + 1, 1, 1, 0, tzinfo=tz)
    assert all(b - a == dt.timedelta(hours=1) for a, b in zip(ours.times, ours.times[1:], strict=False))
    # pvlib labels each row by the hour's start in the row's source year: same month/day/hour one hour earlier.
    for ours_time, ref_time in zip(ours.times, reference.index, strict=True):
        start = ours_time - dt.timedelta(hours=1)
        assert (start.month, start.day, start.hour) == (ref_time.month, ref_time.day, ref_time.hour)
        assert ours_time.utcoffset() == ref_time.utcoffset()


def test_typical_year_keeps_source_years(weather_dir: Path) -> None:
    piedmont = epw.read_epw(weather_dir / "tmy_45.000_8.000_2005_2023.epw")
    assert set(piedmont.years) == {2006, 2007, 2008, 2009, 2010, 2011, 2013, 2016, 2018, 2020}
    assert {t.year for t in piedmont.times[:-1]} == {epw.NOMINAL_YEAR}
    assert piedmont.location.name == "45.00° N, 8.00° E"  # file says city "unknown"


def test_gzip_bytes_and_text_give_the_same_result(epw_path: Path) -> None:
    from_path = epw.read_epw(epw_path)
    from_gzip = epw.read_epw(gzip.compress(epw_path.read_bytes()))
    from_text = epw.read_epw(epw_path.read_text(encoding="latin-1"))
    for other in (from_gzip, from_text):
        assert other.times == from_path.times
        for name in COLUMNS:
            assert getattr(other, name) == getattr(from_path, name)


def _replace_field(text: str, line_number: int, field: int, value: str) -> str:
    lines = text.splitlines()
    fields = lines[line_number - 1].split(",")
    fields[field - 1] = value
    lines[line_number - 1] = ",".join(fields)
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def amsterdam_text(weather_dir: Path) -> str:
    return (weather_dir / "NLD_Amsterdam062400_IWEC.epw").read_text(encoding="latin-1")


def test_missing_value_sentinels_become_none(amsterdam_text: str) -> None:
    text = amsterdam_text
    for field, sentinel in ((7, "99.9"), (14, "9999"), (15, "9999"), (22, "999"), (10, "999999")):
        text = _replace_field(text, 20, field, sentinel)
    parsed = epw.read_epw(text)
    row = 20 - epw.HEADER_LINES - 1
    assert (parsed.temp_air[row], parsed.ghi[row], parsed.dni[row], parsed.wind_speed[row]) == (None,) * 4
    assert parsed.atmospheric_pressure[row] is None
    assert parsed.temp_air[row + 1] is not None


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda t: _replace_field(t, 500, 7, "warm"),
            r"line 500: field 7 \(temp_air\) is 'warm', expected a number",
        ),
        (lambda t: _replace_field(t, 12, 22, "nan"), r"line 12: field 22 \(wind_speed\) is 'nan'"),
        (
            lambda t: _replace_field(t, 30, 4, "25"),
            r"line 30: field 4 \(hour\) is '25', expected an integer 1-24",
        ),
        (
            lambda t: _replace_field(t, 30, 3, "2"),
            r"line 30: fields 2-4 give 1/2 hour 22, expected 1/1 hour 22",
        ),
        (lambda t: _replace_field(t, 1, 7, "north"), r"line 1 \(LOCATION\): field 7 \(latitude\) is 'north'"),
        (lambda t: _replace_field(t, 1, 7, "91"), r"line 1 \(LOCATION\): field 7 \(latitude\) is 91.0"),
        (lambda t: "\n".join(t.splitlines()[:5000]), r"truncated: 4992 hourly rows, expected 8760"),
        (lambda t: "\n".join(t.splitlines()[:3]), r"truncated after 3 lines"),
        (
            lambda t: "\n".join(t.splitlines()[:4000]) + "\n" + t.splitlines()[4000][:60],
            r"line 4001: has 7 fields, expected 35",
        ),
        (lambda t: t.replace("LOCATION", "PLACE", 1), r"line 1: expected the EPW header 'LOCATION"),
        (lambda t: "", r"file is empty"),
    ],
)
def test_malformed_files_raise_epw_error_naming_line_and_field(
    amsterdam_text: str, mutate, message: str
) -> None:
    with pytest.raises(epw.EpwError, match=message):
        epw.read_epw(mutate(amsterdam_text))


def test_extra_field_is_reported(amsterdam_text: str) -> None:
    lines = amsterdam_text.splitlines()
    lines[99] += ",1"
    with pytest.raises(epw.EpwError, match=r"line 100: has 36 fields, expected 35"):
        epw.read_epw("\n".join(lines))


def test_unreadable_inputs_raise_epw_error(tmp_path: Path) -> None:
    with pytest.raises(epw.EpwError, match="cannot read EPW file"):
        epw.read_epw(tmp_path / "missing.epw")
    with pytest.raises(epw.EpwError, match="corrupt gzip data"):
        epw.read_epw(b"\x1f\x8b" + b"not really gzip" * 10)


def test_csv_export_has_a_row_per_hour(amsterdam: epw.Epw) -> None:
    lines = epw.to_csv(amsterdam).splitlines()
    assert lines[0] == (
        "time,source_year,temp_air [°C],temp_dew [°C],relative_humidity [%],atmospheric_pressure [Pa],"
        "ghi [W/m²],dni [W/m²],dhi [W/m²],wind_direction [°],wind_speed [m/s]"
    )
    assert len(lines) == 8761
    assert lines[1] == "2019-01-01T01:00:00+01:00,1995,5.1,1.8,79,100100,0,0,0,340,6.7"


_corruptions = st.lists(
    st.tuples(
        st.integers(
            min_value=0, max_value=2000
        ),  # which line (header and first rows are the interesting ones)
        st.integers(min_value=0, max_value=400),  # where in the line
        st.sampled_from(["insert", "delete", "replace", "cut"]),
        st.text(alphabet=st.characters(codec="latin-1"), min_size=0, max_size=4),
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corruptions=_corruptions, as_bytes=st.booleans())
def test_random_corruption_raises_only_epw_error(amsterdam_text: str, corruptions, as_bytes: bool) -> None:
    lines = amsterdam_text.splitlines(keepends=True)
    for line_index, position, action, chunk in corruptions:
        if action == "cut":
            lines = lines[: line_index % (len(lines) + 1)]
            continue
        if not lines:
            break
        i = line_index % len(lines)
        line = lines[i]
        p = position % (len(line) + 1)
        if action == "insert":
            line = line[:p] + chunk + line[p:]
        elif action == "delete":
            line = line[:p] + line[p + len(chunk) + 1 :]
        else:
            line = line[:p] + chunk + line[p + len(chunk) :]
        lines[i] = line
    corrupted = "".join(lines)
    try:
        epw.read_epw(corrupted.encode("latin-1") if as_bytes else corrupted + "\n")
    except epw.EpwError as exc:
        assert str(exc)  # a message for the user


def test_leap_day_rows_are_dropped(amsterdam_text: str) -> None:
    lines = amsterdam_text.splitlines()
    feb_28 = [i for i, line in enumerate(lines) if line.split(",")[1:3] == ["2", "28"]]
    leap_day = [",".join(["2096", "2", "29", *lines[i].split(",")[3:]]) for i in feb_28]
    leap_file = lines[: feb_28[-1] + 1] + leap_day + lines[feb_28[-1] + 1 :]
    assert len(leap_file) == 8 + 8784
    parsed = epw.read_epw("\n".join(leap_file))
    assert len(parsed) == 8760
    assert 2096 not in parsed.years
    assert parsed.temp_air == epw.read_epw(amsterdam_text).temp_air
