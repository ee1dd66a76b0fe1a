"""The Chalice app names its functions itself (it cannot import infra); infra's stage, alarms, log groups and
failure destinations must name the same ones, or a function would run with the wrong role and no alarm."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from infra import naming

APP_DIR = Path(__file__).resolve().parents[2] / "chalice_app"


def test_chalice_function_names_are_the_ones_infra_configures(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(APP_DIR))
    for name in [n for n in sys.modules if n == "chalicelib" or n.startswith("chalicelib.")]:
        monkeypatch.delitem(sys.modules, name)
    stage = importlib.import_module("chalicelib.stage")

    sources = ["grid_prices", "meter_readings", "a_b2_c"]
    functions = {naming.ingest_function(source): {} for source in sources}
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(
        json.dumps({"stages": {"x": {"lambda_functions": {**functions, naming.TRANSFORM_FUNCTION: {}}}}})
    )
    assert stage.stage_source_names(sources, {"MPLAT_ENV": "x"}, tmp_path) == sources
    assert [stage.ingest_function(source) for source in sources] == list(functions)
    assert stage.TRANSFORM_FUNCTION == naming.TRANSFORM_FUNCTION
    names = [naming.lambda_function("dev", f) for f in (*functions, naming.TRANSFORM_FUNCTION)]
    assert names[0] == "mplat-dev-ingest-grid-prices-function"
    assert names[-1] == "mplat-dev-transform-raw-function"
    for name in [n for n in sys.modules if n == "chalicelib" or n.startswith("chalicelib.")]:
        del sys.modules[name]
