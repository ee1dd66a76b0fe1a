"""URL presets: safe slider values from query parameters, and links back."""

from __future__ import annotations

import urllib.parse

import pytest

from mplat.energy import presets


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, 5.0),  # missing: default
        ("8", 8.0),
        ("8.3", 8.5),  # snapped to the 0.5 step
        ("0.2", 1.0),  # clamped to the range
        ("99", 20.0),
        ("eight", 5.0),  # unparsable: default
        ("nan", 5.0),
        ("inf", 5.0),
        (["12", "3"], 12.0),  # repeated parameter: first wins
    ],
)
def test_number_is_clamped_snapped_or_default(raw: object, expected: float) -> None:
    params = {} if raw is None else {"system_kw": raw}
    assert presets.number(params, "system_kw", 5.0, 1.0, 20.0, 0.5) == expected


def test_snapping_leaves_no_float_noise() -> None:
    assert presets.number({"price": "0.3"}, "price", 0.2, 0.10, 0.60, 0.01) == 0.3


def test_choice_is_case_insensitive_with_default() -> None:
    assert (
        presets.choice({"location": "Piedmont"}, "location", "amsterdam", ["amsterdam", "piedmont"])
        == "piedmont"
    )
    assert (
        presets.choice({"location": "mars"}, "location", "amsterdam", ["amsterdam", "piedmont"])
        == "amsterdam"
    )


def test_query_string_round_trips() -> None:
    link = presets.query_string({"location": "piedmont", "system_kw": 8.0, "price": 0.1 + 0.2, "tilt": 30})
    assert link == "?location=piedmont&system_kw=8&price=0.3&tilt=30"
    params = dict(urllib.parse.parse_qsl(link[1:]))
    assert presets.number(params, "price", 0.2, 0.1, 0.6, 0.01) == 0.3
