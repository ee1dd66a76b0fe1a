"""The three demo notebooks run headless in CPython and show the right numbers; `marimo check` is clean."""

from __future__ import annotations

import ast
import gzip
import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import numpy_financial as npf
import plotly.graph_objects as go
import pytest

from mplat.energy import building, epw, pv

NOTEBOOKS = ("solar_calculator", "climate_dashboard", "building_energy")
BROWSER_SAFE_TOP_LEVEL = {"marimo", "plotly", "mplat"}


def _load(repo_root: Path, name: str) -> ModuleType:
    path = repo_root / "notebooks" / "demos" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"demo_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _texts(outputs) -> str:
    """All HTML/markdown text of a run's cell outputs, joined."""
    return "\n".join(getattr(o, "text", "") or "" for o in outputs)


def _figures(outputs) -> list[go.Figure]:
    return [o for o in outputs if isinstance(o, go.Figure)]


@pytest.fixture(scope="module")
def sample(repo_root: Path):
    def read(name: str) -> epw.Epw:
        return epw.read_epw(repo_root / "data" / "examples" / f"{name}.epw.gz")

    return read


# --- solar calculator ---------------------------------------------------------------------------------


def test_solar_calculator_defaults(repo_root: Path, sample) -> None:
    outputs, defs = _load(repo_root, "solar_calculator").app.run()
    expected = pv.simulate(sample("amsterdam"), pv.PVSystem(dc_kw=5.0, tilt=35, azimuth=180, losses=0.14))
    assert defs["annual_kwh"] == pytest.approx(expected.annual_ac_kwh, rel=1e-12)
    text = _texts(outputs)
    assert f"Annual production: <strong>{expected.annual_ac_kwh:,.0f} kWh</strong>" in text
    assert "Annual production: <strong>4,653 kWh</strong>" in text  # stable figure for the browser test
    assert f"Specific yield: <strong>{expected.annual_ac_kwh / 5:,.0f} kWh/kWp</strong>" in text
    project = defs["project"]
    flows = project.cash_flows()
    assert flows[0] == -1400 * 5
    assert f"NPV (25 years): <strong>EUR {npf.npv(0.05, flows):,.0f}</strong>" in text
    assert f"IRR: <strong>{npf.irr(flows) * 100:.1f} %</strong>" in text
    assert re.search(r"Payback: <strong>\d+\.\d years</strong>", text)
    monthly, cash = _figures(outputs)
    assert list(monthly.data[0].y) == [round(v, 1) for v in expected.monthly_ac_kwh]
    assert len(cash.data[0].y) == 26


def test_solar_calculator_preset_link(repo_root: Path, sample) -> None:
    preset = {
        "location": "piedmont",
        "system_kw": "8",
        "tilt": "30",
        "azimuth": "not-a-number",
        "price": "0.4",
    }
    outputs, defs = _load(repo_root, "solar_calculator").app.run(defs={"preset": preset})
    assert defs["system"] == pv.PVSystem(dc_kw=8.0, tilt=30, azimuth=180, losses=0.14)
    expected = pv.simulate(sample("piedmont"), defs["system"])
    assert defs["annual_kwh"] == pytest.approx(expected.annual_ac_kwh, rel=1e-12)
    assert defs["project"].price == 0.4
    text = _texts(outputs)
    assert f"Annual production: <strong>{expected.annual_ac_kwh:,.0f} kWh</strong>" in text
    assert "?location=piedmont&amp;system_kw=8&amp;tilt=30&amp;azimuth=180" in text


# --- climate dashboard --------------------------------------------------------------------------------


def test_climate_dashboard_defaults(repo_root: Path, sample) -> None:
    outputs, defs = _load(repo_root, "climate_dashboard").app.run()
    amsterdam = sample("amsterdam")
    dd = building.degree_days(amsterdam, 15.5, 18.5)
    text = _texts(outputs)
    assert f"Heating degree-days (base 15.5 °C): <strong>{dd.heating:,.0f} K·d</strong>" in text
    assert "Heating degree-days (base 15.5 °C): <strong>2,168 K·d</strong>" in text
    assert f"Cooling degree-days (base 18.5 °C): <strong>{dd.cooling:,.0f} K·d</strong>" in text
    assert f"Global horizontal irradiation: <strong>{sum(amsterdam.ghi) / 1000:,.0f} kWh/m²</strong>" in text
    assert "Monthly statistics" in text and "<td>Jan</td>" in text
    heatmap, wind_rose, radiation = _figures(outputs)
    assert len(heatmap.data[0].z) == 24 and len(heatmap.data[0].z[0]) == 365
    assert heatmap.data[0].z[0][0] == amsterdam.temp_air[0]
    shares = [sum(trace.r) for trace in wind_rose.data]
    assert sum(shares) == pytest.approx(100.0)
    assert sum(radiation.data[0].y) == pytest.approx(sum(amsterdam.ghi) / 1000, abs=0.5)
    assert defs["csv_text"] == epw.to_csv(amsterdam)
    assert defs["problem"] is None


def test_climate_dashboard_upload_and_bad_upload(repo_root: Path, shared_data: Path) -> None:
    app = _load(repo_root, "climate_dashboard").app
    good = gzip.compress((shared_data / "weather" / "tmy_45.000_8.000_2005_2023.epw").read_bytes())
    outputs, defs = app.run(defs={"uploaded": ("my_site.epw.gz", good)})
    assert defs["problem"] is None
    assert defs["weather"].location.latitude == 45.0
    assert "source: my_site.epw.gz" in _texts(outputs)

    broken = (shared_data / "weather" / "NLD_Amsterdam062400_IWEC.epw").read_text(encoding="latin-1")
    broken = broken.replace("1995,1,1,5,60", "1995,1,1,5,60,extra", 1)
    outputs, defs = app.run(defs={"uploaded": ("broken.epw", broken.encode("latin-1"))})
    assert defs["problem"] == "broken.epw: line 13: has 36 fields, expected 35"
    text = _texts(outputs)
    assert "marimo-callout-output" in text and "danger" in text
    assert "line 13: has 36 fields, expected 35" in text
    assert "Traceback" not in text
    assert defs["weather"].location.city == "AMSTERDAM"  # falls back to the shipped file


# --- building energy ----------------------------------------------------------------------------------


def test_building_energy_defaults_and_preset(repo_root: Path, sample) -> None:
    app = _load(repo_root, "building_energy").app
    outputs, defs = app.run()
    text = _texts(outputs)
    demand_today = defs["demand_today"].annual_kwh
    demand_retrofit = defs["demand_retrofit"].annual_kwh
    # The notebook's house, recomputed by hand: H = Σ U·A + 0.34·n·V.
    h_today = 150 * 1.2 + 85 * 0.9 + 70 * 0.6 + 30 * 2.8 + 0.34 * 0.8 * 350
    assert defs["today"].heat_loss_coefficient == pytest.approx(h_today)
    amsterdam = sample("amsterdam")
    by_hand = sum(max(0.0, h_today * (20 - t) - 450) for t in amsterdam.temp_air) / 1000
    assert demand_today == pytest.approx(by_hand, rel=1e-9)
    savings = demand_today - demand_retrofit
    assert defs["savings_kwh"] == pytest.approx(savings)
    assert defs["savings_eur"] == pytest.approx(savings / 0.9 * 0.12)
    assert defs["savings_co2"] == pytest.approx(savings / 0.9 * 0.20)
    assert f"Savings: <strong>{savings:,.0f} kWh</strong>" in text
    assert "Heating degree-days (base 15.5 °C): <strong>2,168 K·d</strong>" in text
    (chart,) = _figures(outputs)
    assert [t.name for t in chart.data] == ["Today", "After retrofit"]

    outputs, defs = app.run(defs={"preset": {"location": "piedmont", "wall_u": "2.0", "recovery_new": "80"}})
    assert defs["today"].elements[0].u_value == 2.0
    assert defs["retrofit"].heat_recovery == 0.8
    assert "45.00° N, 8.00° E" in _texts(outputs)


# --- file-level checks --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_header_and_browser_safe_imports(repo_root: Path, name: str) -> None:
    source = (repo_root / "notebooks" / "demos" / f"{name}.py").read_text()
    block = re.search(r"^# /// script\n((?:#.*\n)+?)# ///$", source, re.MULTILINE)
    assert block, "PEP 723 block missing"
    meta = tomllib.loads(
        "\n".join(line.removeprefix("#").removeprefix(" ") for line in block[1].splitlines())
    )
    assert meta["dependencies"] == ["marimo", "plotly"]
    assert set(meta["tool"]["mplat"]) >= {"title", "description", "tags", "order"}
    assert 'marimo.App(width="full", app_title=' in source
    assert re.search(r"\b(mo\.ui|controls)\.slider\(", source) and "mo.query_params()" in source
    for node in ast.walk(ast.parse(source)):
        modules = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        for module in modules:
            top = module.split(".")[0]
            assert top in sys.stdlib_module_names or top in BROWSER_SAFE_TOP_LEVEL, f"{name} imports {module}"
            if top == "mplat":
                assert module == "mplat.energy" or module.startswith("mplat.energy."), module


def test_energy_library_imports_only_the_standard_library(repo_root: Path) -> None:
    for path in sorted((repo_root / "src" / "mplat" / "energy").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                assert (
                    top in sys.stdlib_module_names
                    or module.startswith("mplat.energy")
                    or module == "__future__"
                ), f"{path.name} imports {module}: the browser wheel ships the standard library only"


def test_marimo_check_reports_no_problems(repo_root: Path) -> None:
    paths = [str(repo_root / "notebooks" / "demos" / f"{n}.py") for n in NOTEBOOKS]
    result = subprocess.run(
        [sys.executable, "-m", "marimo", "check", "--format", "json", *paths],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(result.stdout)
    breaking = [i for i in report["issues"] if i.get("severity") == "breaking"]
    assert breaking == []
    assert report["summary"]["total_files"] == 3
    assert report["summary"]["errored"] is False
