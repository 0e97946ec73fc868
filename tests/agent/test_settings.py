"""Settings resolution: flag > environment > config file > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import ConfigError
from agent.settings import load_settings


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("flag", "env", "file", "expected", "source"),
    [
        (None, None, None, 0.2, "default"),
        (None, None, "0.5", 0.5, "file"),
        (None, "0.7", "0.5", 0.7, "env:WINBACK_TEMPERATURE"),
        (0.9, "0.7", "0.5", 0.9, "flag"),
        (0.0, "0.7", None, 0.0, "flag"),
    ],
)
def test_resolution_order(tmp_path, monkeypatch, flag, env, file, expected, source):
    if env is not None:
        monkeypatch.setenv("WINBACK_TEMPERATURE", env)
    cfg = write(tmp_path / "c.yaml", f"temperature: {file}\n") if file else None
    settings = load_settings({"temperature": flag}, cfg)
    assert settings.temperature == expected
    assert settings.describe()["temperature"]["source"].startswith(source)


def test_winback_env_beats_openai_env(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://openai-var/v1")
    monkeypatch.setenv("WINBACK_BASE_URL", "http://winback-var/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-abcdefghijklmnop")
    settings = load_settings()
    assert settings.base_url == "http://winback-var/v1"
    assert settings.sources["api_key"] == "env:OPENAI_API_KEY"
    assert settings.describe()["api_key"]["value"] == "sk-...mnop"


def test_config_file_from_env_and_user_dir(tmp_path, monkeypatch):
    user = tmp_path / "xdg-config" / "winback"
    user.mkdir(parents=True)
    write(user / "config.yaml", "model: from-user-dir\n")
    assert load_settings().model == "from-user-dir"
    monkeypatch.setenv("WINBACK_CONFIG", str(write(tmp_path / "x.yaml", "model: from-env-file\n")))
    assert load_settings().model == "from-env-file"


def test_cache_flag_and_env_booleans(monkeypatch):
    monkeypatch.setenv("WINBACK_CACHE", "0")
    assert load_settings().cache is False
    monkeypatch.setenv("WINBACK_CACHE", "true")
    assert load_settings().cache is True
    assert load_settings({"cache": False}).cache is False


def test_default_database_is_sqlite_in_home(isolated_env):
    url = load_settings().resolved_database_url
    assert url == f"sqlite:///{isolated_env / 'winback.db'}"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ({"env": ("WINBACK_PROVIDER", "azure")}, "provider='azure' (env:WINBACK_PROVIDER)"),
        ({"env": ("WINBACK_TEMPERATURE", "hot")}, "temperature='hot' (env:WINBACK_TEMPERATURE)"),
        ({"env": ("WINBACK_TEMPERATURE", "3")}, "less than or equal to 2"),
        ({"env": ("WINBACK_TIMEOUT", "-1")}, "timeout='-1'"),
        ({"flag": {"seed": "abc"}}, "seed='abc' (flag)"),
        ({"file": "temperature: [1, 2\n"}, "is not valid YAML"),
        ({"file": "- a list\n"}, "must be a mapping"),
        ({"file": "modle: gpt-4o\n"}, "unknown setting(s): modle"),
        ({"file": b"model: \xff\xfe\n"}, "is not valid YAML"),
        ({"config": "/does/not/exist.yaml"}, "does not exist"),
    ],
)
def test_bad_settings_name_the_problem(tmp_path, monkeypatch, setup, message):
    config = setup.get("config")
    if "env" in setup:
        monkeypatch.setenv(*setup["env"])
    if "file" in setup:
        config = tmp_path / "bad.yaml"
        data = setup["file"]
        config.write_bytes(data if isinstance(data, bytes) else data.encode())
    with pytest.raises(ConfigError) as err:
        load_settings(setup.get("flag"), config)
    assert message in str(err.value)
    assert err.value.exit_code == 2
    assert err.value.fix
