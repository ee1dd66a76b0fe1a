"""The scratch guard on a real folder, and the orientation sweep against pvlib's solar position."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mplat.server.orientation import assemble, grid, sun_position, sweep
from mplat.server.scratch import ScratchFull, ScratchSpace, human_bytes
from mplat.server.weather import parse_epw


def test_stages_until_the_limit_then_refuses_leaving_nothing(tmp_path: Path) -> None:
    scratch = ScratchSpace(tmp_path / "scratch", limit_bytes=1000)
    scratch.ensure_exists()
    scratch.stage_bytes("inputs/a.bin", b"a" * 600)
    scratch.stage_bytes("inputs/b.bin", b"b" * 400)
    assert scratch.used_bytes() == 1000
    with pytest.raises(ScratchFull, match=r"would take scratch to 1\.0 KB, over its 1\.0 KB limit"):
        scratch.stage_bytes("c.bin", b"c")
    assert [item.name for item in scratch.files()] == ["inputs/a.bin", "inputs/b.bin"]
    # Replacing a file frees its old size first.
    scratch.stage_bytes("inputs/a.bin", b"A" * 600)
    assert (tmp_path / "scratch" / "inputs" / "a.bin").read_bytes() == b"A" * 600


def test_a_writer_that_lies_about_its_size_leaves_nothing(tmp_path: Path) -> None:
    scratch = ScratchSpace(tmp_path, limit_bytes=10_000)
    with pytest.raises(ScratchFull, match="wrote 2000 bytes but 10 were announced"):
        scratch.stage("big.bin", 10, lambda handle: handle.write(b"x" * 2000))
    with pytest.raises(RuntimeError):
        scratch.stage("broken.bin", 10, lambda handle: (_ for _ in ()).throw(RuntimeError("network")))
    assert list(tmp_path.iterdir()) == []


def test_stage_file_copies_and_names_must_stay_inside(tmp_path: Path, shared_data: Path) -> None:
    source = shared_data / "weather" / "NLD_Amsterdam062400_IWEC.epw"
    scratch = ScratchSpace(tmp_path / "s", limit_bytes=2_000_000_000)
    staged = scratch.stage_file("weather/ams.epw", source)
    assert staged.read_bytes() == source.read_bytes()
    for bad in ("../escape", "/etc/passwd", ""):
        with pytest.raises(ValueError, match="must be a relative path"):
            scratch.path_for(bad)
    scratch.remove("weather/ams.epw")
    assert scratch.used_bytes() == 0


def test_human_bytes() -> None:
    assert [human_bytes(n) for n in (12, 1500, 2_000_000_000)] == ["12 B", "1.5 KB", "2.0 GB"]


@pytest.fixture(scope="module")
def piedmont(shared_data: Path):
    path = shared_data / "weather" / "tmy_45.000_8.000_2005_2023.epw"
    return parse_epw(path.read_bytes(), path.name)


def test_sun_position_matches_pvlib(piedmont) -> None:
    import pvlib

    sun = sun_position(piedmont)
    # EPW hour h covers (h-1):00-h:00 in UTC+1: pvlib at the middle of each hour.
    times = pd.date_range("2019-01-01 00:30", periods=8760, freq="h", tz="Etc/GMT-1")
    reference = pvlib.solarposition.get_solarposition(times, 45.0, 8.0)
    high = reference["apparent_elevation"].to_numpy() > 5
    zenith = np.degrees(np.arccos(sun.cos_zenith))
    azimuth = np.degrees(sun.azimuth_rad)
    assert np.abs(zenith - reference["zenith"].to_numpy())[high].max() < 0.5
    assert np.abs(azimuth - reference["azimuth"].to_numpy())[high].max() < 0.5


def test_sweep_horizontal_equals_global_and_best_faces_south(piedmont) -> None:
    rows = list(sweep(piedmont, 5.0))
    tilts, azimuths = grid(5.0)
    assert [tilt for tilt, _ in rows] == tilts.tolist()
    result = assemble(rows, 5.0)
    assert result.annual_kwh_m2.shape == (19, 72) and len(azimuths) == 72
    # Tilt 0: DNI·cos(zenith) + DHI, which is GHI up to the file's own rounding.
    ghi = piedmont.hourly["ghi_wh_m2"].sum() / 1000
    assert result.annual_kwh_m2[0] == pytest.approx(np.full(72, ghi), rel=0.01)
    tilt, azimuth, best = result.best
    assert 25 <= tilt <= 45 and 160 <= azimuth <= 200  # 45° N: about latitude minus 10°, facing south
    assert best > 1.1 * ghi
    with pytest.raises(ValueError, match="grid step"):
        grid(0)
