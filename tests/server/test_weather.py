"""EPW parsing and statistics against the reference files, computed independently with the csv module."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest

from mplat.server.notebook_env import NotebookEnv, NotebookEnvError
from mplat.server.weather import (
    EpwError,
    daily_stats,
    derived_keys,
    file_stem,
    is_epw_name,
    monthly_stats,
    parse_epw,
    to_csv_bytes,
)

AMSTERDAM = "NLD_Amsterdam062400_IWEC.epw"


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))[8:]


@pytest.mark.parametrize("name", [AMSTERDAM, "tmy_45.000_8.000_2005_2023.epw"])
def test_statistics_match_a_plain_csv_reading(shared_data: Path, name: str) -> None:
    path = shared_data / "weather" / name
    weather = parse_epw(path.read_bytes(), name)
    rows = _rows(path)
    assert len(weather.hourly) == len(rows) == 8760

    monthly = monthly_stats(weather)
    assert monthly["month"].tolist() == list(range(1, 13))
    assert int(monthly["hours"].sum()) == 8760
    for month in range(1, 13):
        temps = [float(row[6]) for row in rows if int(row[1]) == month]
        ghi = sum(float(row[13]) for row in rows if int(row[1]) == month) / 1000
        line = monthly[monthly["month"] == month].iloc[0]
        assert line["temp_mean_c"] == pytest.approx(sum(temps) / len(temps), abs=1e-3)
        assert line["temp_min_c"] == min(temps) and line["temp_max_c"] == max(temps)
        assert line["ghi_kwh_m2"] == pytest.approx(ghi, abs=1e-3)

    daily = daily_stats(weather)
    assert len(daily) == 365
    assert daily["ghi_kwh_m2"].sum() == pytest.approx(monthly["ghi_kwh_m2"].sum(), abs=0.1)
    first_day = [row for row in rows if row[1] == "1" and row[2] == "1"]
    assert daily.iloc[0]["temp_max_c"] == max(float(row[6]) for row in first_day)


def test_location_header_is_read(shared_data: Path) -> None:
    weather = parse_epw((shared_data / "weather" / AMSTERDAM).read_bytes(), AMSTERDAM)
    location = weather.location
    assert (location.city, location.country) == ("AMSTERDAM", "NLD")
    assert (location.latitude, location.longitude, location.timezone_hours) == (52.30, 4.77, 1.0)


def test_gzip_and_plain_give_the_same_statistics(shared_data: Path, repo_root: Path) -> None:
    plain = (shared_data / "weather" / AMSTERDAM).read_bytes()
    packed = parse_epw(gzip.compress(plain), "packed.epw.gz")
    assert monthly_stats(packed).equals(monthly_stats(parse_epw(plain, AMSTERDAM)))
    shipped = sorted((repo_root / "data" / "examples").glob("*.epw.gz"))
    assert shipped, "data/examples/ must ship gzipped sample EPW files (the notebooks' demo data)"
    for sample in shipped:
        assert len(parse_epw(sample.read_bytes(), sample.name).hourly) == 8760


def test_missing_values_become_nan(shared_data: Path) -> None:
    lines = (shared_data / "weather" / AMSTERDAM).read_text().splitlines()
    fields = lines[8].split(",")
    fields[6] = "99.9"  # EPW's "missing" dry-bulb temperature
    lines[8] = ",".join(fields)
    weather = parse_epw("\n".join(lines).encode(), "gap.epw")
    assert weather.hourly["temp_c"].isna().sum() == 1
    assert daily_stats(weather).iloc[0]["hours"] == 24


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "has no hourly rows"),
        (b"not,an,epw\n" * 20, "first line is not an EPW LOCATION header"),
        (b"\x1f\x8bbroken", "cannot be decompressed"),
    ],
)
def test_malformed_files_name_the_file(content: bytes, message: str) -> None:
    with pytest.raises(EpwError, match=f"bad.epw: .*{message}|bad.epw: {message}"):
        parse_epw(content, "bad.epw")


def test_truncated_rows_are_rejected(shared_data: Path) -> None:
    lines = (shared_data / "weather" / AMSTERDAM).read_text().splitlines()[:12]
    lines[10] = "1995,1,1,3"
    with pytest.raises(EpwError, match="short.epw"):
        parse_epw("\n".join(lines).encode(), "short.epw")


def test_derived_keys_and_names() -> None:
    assert file_stem("onprem/sample/weather/amsterdam.epw.gz") == "amsterdam"
    assert derived_keys("onprem/sample/weather/AMS.epw") == {
        "daily": "analysis/weather/AMS/daily.csv",
        "monthly": "analysis/weather/AMS/monthly.csv",
    }
    assert is_epw_name("x.EPW") and is_epw_name("x.epw.gz") and not is_epw_name("x.csv")


def test_csv_output_round_trips(shared_data: Path) -> None:
    weather = parse_epw((shared_data / "weather" / AMSTERDAM).read_bytes(), AMSTERDAM)
    text = to_csv_bytes(monthly_stats(weather)).decode()
    assert text.splitlines()[0].startswith("month,hours,temp_mean_c")
    assert len(text.splitlines()) == 13


def test_notebook_env_defaults_and_errors(tmp_path: Path) -> None:
    env = NotebookEnv.from_environ({})
    assert env.scratch_dir == Path("/app/scratch")
    assert env.scratch_limit_bytes == 2_000_000_000
    assert env.patience_seconds == 30.0
    assert env.raw_bucket is None and env.mplat_env == "local"
    custom = NotebookEnv.from_environ({"LONG_ANALYSIS_PATIENCE_SECONDS": "0.5", "SCRATCH_DIR": str(tmp_path)})
    assert custom.patience_seconds == 0.5 and custom.scratch_dir == tmp_path
    with pytest.raises(NotebookEnvError, match="SCRATCH_LIMIT_BYTES='2GB' is not a whole number"):
        NotebookEnv.from_environ({"SCRATCH_LIMIT_BYTES": "2GB"})
    with pytest.raises(NotebookEnvError, match="must be greater than zero"):
        NotebookEnv.from_environ({"LONG_ANALYSIS_PATIENCE_SECONDS": "-1"})
