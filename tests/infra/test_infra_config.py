"""Env config loading: defaults, naming, and errors that name the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.config import ConfigError, load_config
from infra.naming import bucket_name, name

BASE = """
[project]
owner = "data-team"
cost_center = "platform"
repository = "mplat"
"""


def write_env(tmp_path: Path, text: str, env: str = "dev") -> Path:
    (tmp_path / f"{env}.toml").write_text(BASE + text)
    return tmp_path


def test_every_shipped_env_file_loads():
    for env in ("local", "dev", "staging", "prod"):
        config = load_config(env)
        assert config.project.region == "eu-central-1"
        assert config.onprem_devices == ("sample",)
        assert config.ingestion_sources == ("grid_prices", "meter_readings")
    assert load_config("local").project.policy_conditions is False
    assert load_config("prod").project.policy_conditions is True


def test_naming_convention():
    assert name("dev", "iam", "ingest-lambda-role") == "mplat-dev-iam-ingest-lambda-role"
    assert bucket_name("dev", "storage", "raw", "123456789012") == "mplat-dev-storage-raw-123456789012"
    with pytest.raises(ValueError, match="resource_type"):
        name("dev", "iam", "Bad_Name")


def test_defaults_apply_when_sections_are_missing(tmp_path):
    config = load_config("dev", write_env(tmp_path, ""))
    assert config.storage.raw_archive_after_days == 180
    assert config.onprem_devices == ("sample",)
    assert config.ingestion_sources == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[storage]\nraw_archive_after_days = 'soon'\n",
            "[storage] raw_archive_after_days must be an integer",
        ),
        ("[storage]\nraw_archive_storage_class = 'TAPE'\n", "must be one of GLACIER_IR, GLACIER"),
        ("[storage]\nraw_archve_after_days = 10\n", "unknown key(s) raw_archve_after_days"),
        ("[storage]\nraw_deep_archive_after_days = 200\n", "at least raw_archive_after_days + 90"),
        ("[onprem]\ndevices = ['Bad Device']\n", "[onprem] devices: every item must match"),
        ("[ingestion]\nsources = ['a', 'a']\n", "lists a value twice"),
        ("[site]\ncdn = 'yes'\n", "[site] cdn must be true or false"),
        ("[site]\ndomain = 'x.example.com'\n", "certificate_arn is not"),
        ("[storage\n", "is not valid TOML"),
    ],
)
def test_bad_values_name_the_file_and_field(tmp_path, text, message):
    envs = write_env(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config("dev", envs)
    assert str(envs / "dev.toml") in str(info.value)
    assert message in str(info.value)


def test_missing_required_field_and_missing_file(tmp_path):
    (tmp_path / "dev.toml").write_text("[project]\nowner = 'x'\n")
    with pytest.raises(ConfigError, match=r"\[project\] cost_center is missing"):
        load_config("dev", tmp_path)
    with pytest.raises(ConfigError, match=r"qa.toml not found.*\(dev\)"):
        load_config("qa", tmp_path)


def test_cli_reports_config_errors_without_traceback(infra, tmp_path):
    envs = write_env(tmp_path, "[storage]\nraw_archive_after_days = -1\n")
    result = infra("plan", "--env", "dev", "--envs-dir", str(envs))
    assert result.code == 1
    assert result.err.startswith("error: ")
    assert "[storage] raw_archive_after_days must be >= 1" in result.err
    assert "Traceback" not in result.err
