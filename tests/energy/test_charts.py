"""The demos' chart style: one layout in the brand's colours, without a named plotly template."""

from __future__ import annotations

import re
from pathlib import Path

import plotly.graph_objects as go

from mplat.energy import charts
from mplat.gallery import brand


def test_a_chart_made_with_the_layout_has_the_brand_look_and_no_other_template() -> None:
    figure = go.Figure(
        go.Bar(x=["Jan", "Feb"], y=[1, 2], marker_color=charts.GOLD),
        layout=charts.layout(title="Monthly", yaxis_title="kWh"),
    )

    layout = figure.to_plotly_json()["layout"]
    assert layout["paper_bgcolor"] == "rgba(0,0,0,0)"  # the page's black shows through
    assert layout["font"]["color"] == charts.TEXT
    assert layout["yaxis"]["title"]["text"] == "kWh"
    template = layout["template"]
    assert template["layout"]["yaxis"]["gridcolor"] == "#283442"  # plotly_dark's grid, which the demos had
    assert template["layout"]["colorway"][0] == charts.GOLD == brand.GOLD
    assert template["data"]["bar"][0]["marker"]["line"] == {"color": "rgb(17,17,17)", "width": 0.5}
    # plotly's default template (its light plot background, its first colourway entry) was not applied
    assert set(template["data"]) == {"bar", "barpolar", "heatmap"}
    assert "#E5ECF6" not in str(figure.to_plotly_json()) and "#636efa" not in str(figure.to_plotly_json())


def test_settings_add_to_the_layout_nested_ones_key_by_key() -> None:
    merged = charts.layout(height=380, margin={"t": 80}, legend={"orientation": "h"})

    assert merged["height"] == 380
    assert merged["margin"] == {"l": 60, "r": 20, "t": 80, "b": 40}
    assert merged["legend"] == {"orientation": "h"}


def test_changing_one_chart_layout_leaves_the_next_one_alone() -> None:
    first = charts.layout()
    first["margin"]["l"] = 0
    first["template"]["layout"]["xaxis"]["gridcolor"] = "red"

    second = charts.layout()
    assert second["margin"]["l"] == 60
    assert second["template"]["layout"]["xaxis"]["gridcolor"] == "#283442"


def test_demo_notebooks_give_their_charts_the_layout_when_making_them() -> None:
    demos = Path(__file__).parents[2] / "notebooks" / "demos"
    for notebook in demos.glob("*.py"):
        text = notebook.read_text(encoding="utf-8")
        assert re.search(r"\btemplate=", text) is None, (
            f"{notebook.name}: use charts.layout(), not a named template"
        )
        # a figure made without its layout gets plotly's default template first; updating it is the slow path
        assert "update_layout(" not in text, f"{notebook.name}: go.Figure(traces, layout=charts.layout(...))"
