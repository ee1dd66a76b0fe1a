"""The build's stage timing, kept in one place (`pipeline.StageTimer`): what the build log and bench read."""

from __future__ import annotations

import pytest

from mplat.gallery.model import BuildTimings
from mplat.gallery.pipeline import StageTimer


def test_each_stage_is_timed_into_its_build_timings_field() -> None:
    timer = StageTimer()
    with timer("export"):
        pass
    with pytest.raises(RuntimeError), timer("runtime"):  # a failing stage still records its time
        raise RuntimeError("stage failed")
    timings = timer.timings()
    assert timings.export > 0 and timings.runtime > 0
    assert (timings.check, timings.thumbnails, timings.pages) == (0.0, 0.0, 0.0)


def test_later_timings_keep_the_earlier_stages() -> None:
    timer = StageTimer()
    with timer("pages"):
        pass
    timings = timer.timings(BuildTimings(check=1.0, export=2.0))
    assert (timings.check, timings.export) == (1.0, 2.0) and timings.pages > 0


def test_a_stage_that_is_no_build_timings_field_is_an_error() -> None:
    timer = StageTimer()
    with timer("exports"):
        pass
    with pytest.raises(TypeError, match="exports"):
        timer.timings()
