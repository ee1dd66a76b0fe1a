"""The AWS side stays under the account's EUR 50 by default: every env alone, and `cost --all` over the envs
that share an account (exit 1 over budget, with each env's line); the server tier is opt-in and turning it
on says what it adds; the budget alarm watches the whole account."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra import cost
from infra.config import load_config
from infra.services import monitoring
from infra.services.compute_settings import compute_tier

from .conftest import REPO_ROOT, InfraRunner

ENVS = REPO_ROOT / "infra" / "envs"
SHIPPED = sorted(path.stem for path in ENVS.glob("*.toml"))


def _run(envs_dir: Path, *argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from infra.cli import main

    code = main([*argv, "--envs-dir", str(envs_dir)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _env_lines(out: str) -> dict[str, float]:
    return {m[1]: float(m[2]) for m in re.finditer(r"(?m)^  (\w+)\s+server tier [^\d]*?([\d.]+)\s+\(", out)}


@pytest.mark.parametrize("env", SHIPPED)
def test_every_shipped_env_alone_is_under_50_eur(env: str) -> None:
    assert cost.env_cost(load_config(env, ENVS)).total < 50


def test_cost_all_over_the_shipped_configs_is_within_50_eur(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(ENVS, "cost", "--all", capsys=capsys)
    assert code == 0, out
    lines = _env_lines(out)
    assert set(lines) == set(SHIPPED)
    main_total = float(re.search(r"account main \(budget EUR 50\):(?:\n  .*)*?\n  total\s+([\d.]+)", out)[1])
    assert main_total == pytest.approx(lines["dev"] + lines["staging"] + lines["prod"], abs=0.011)
    assert main_total <= 50 and "within the budget of EUR 50" in out
    assert "prod       server tier office hours" in out  # the server the gallery opens


def test_raising_prods_fargate_size_goes_over_budget_and_exits_1(
    infra: InfraRunner, envs_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prod = envs_dir / "prod.toml"
    text = prod.read_text()
    text = re.sub(r"(?m)^cpu = 1024$", "cpu = 2048", text)
    prod.write_text(re.sub(r"(?m)^memory = 2048$", "memory = 4096", text))
    shipped = {
        name: float(v) for name, v in _env_lines(_run(ENVS, "cost", "--all", capsys=capsys)[1]).items()
    }
    result = infra("cost", "--all")
    assert result.code == 1, result.out
    lines = _env_lines(result.out)
    assert lines["prod"] > shipped["prod"] and lines["staging"] == shipped["staging"]
    assert re.search(r"(?m)^  total\s+[\d.]+\s+OVER the budget of EUR 50 by [\d.]+", result.out), result.out
    assert "[compute] enabled = false" in result.out  # says how to get back under


def test_server_tier_is_opt_in_and_turning_it_on_prints_what_it_adds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert not compute_tier(load_config("dev", ENVS)).compute.enabled
    code, out = _run(ENVS, "cost", "--env", "dev", capsys=capsys)
    assert code == 0
    match = re.search(
        r"Server tier off\. Turning it on \(\[compute\] enabled = true\) adds EUR ([\d.]+) a month: "
        r"dev EUR ([\d.]+), account main EUR ([\d.]+) \(budget EUR 50\)\.",
        out,
    )
    assert match, out
    added, dev_total, account_total = (float(x) for x in match.groups())
    dev_now = cost.env_cost(load_config("dev", ENVS)).total
    assert dev_total == pytest.approx(dev_now + added, abs=0.011)
    assert added > 30 and account_total > 50  # dev's tier on top of prod's would pass the budget


def test_cost_table_names_the_list_price_behind_every_paid_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(ENVS, "cost", "--env", "prod", capsys=capsys)
    assert code == 0
    rows = [row.split(" | ") for row in out.splitlines() if row.startswith("| ") and "---" not in row]
    assert rows[0][-1].startswith("list price")
    for row in rows[1:-1]:
        if float(row[3]) > 0:
            assert row[-1].startswith("USD "), row
    assert "USD 0.04656 Fargate per vCPU-hour" in out and "USD 0.027 ALB per hour" in out


def test_the_budget_watches_the_whole_account() -> None:
    """AWS Budgets without cost filters counts every env in the account: the alarm covers the sum."""

    class Ctx:
        env = "prod"

    tier = compute_tier(load_config("prod", ENVS))
    budget = monitoring.desired_budget(Ctx(), tier)  # type: ignore[arg-type]
    assert "CostFilters" not in budget and "FilterExpression" not in budget
    assert float(budget["BudgetLimit"]["Amount"]) == pytest.approx(50 / cost.EUR_PER_USD, abs=0.01)
