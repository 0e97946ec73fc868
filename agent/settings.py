"""Settings and where they come from.

One resolution order for every setting, highest first:

1. a command-line flag (`--provider`, `--model`, `--base-url`, `--db`, `--no-cache`, ...)
2. the environment: `WINBACK_*`, then the `OPENAI_*` variables the OpenAI SDK uses
3. the config file: `--config-file`, else `$WINBACK_CONFIG`, else `./winback.yaml`
   if present, else `$XDG_CONFIG_HOME/winback/config.yaml` (`~/.config/...`) if present
4. the defaults below

`Settings.describe()` reports, for each setting, the value and where it came from,
so `winback llm check` can say why a provider was chosen.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.errors import ConfigError
from prompts.yaml_file import read_yaml_mapping

Provider = Literal["auto", "openai", "local"]

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEFAULT_LOCAL_MODEL_NAME = "smollm2-135m-instruct"

# setting name -> environment variables, first found wins
ENV_VARS: dict[str, tuple[str, ...]] = {
    "provider": ("WINBACK_PROVIDER",),
    "model": ("WINBACK_MODEL", "OPENAI_MODEL"),
    "base_url": ("WINBACK_BASE_URL", "OPENAI_BASE_URL"),
    "api_key": ("WINBACK_API_KEY", "OPENAI_API_KEY"),
    "local_model": ("WINBACK_LOCAL_MODEL",),
    "database_url": ("WINBACK_DATABASE_URL",),
    "cache": ("WINBACK_CACHE",),
    "temperature": ("WINBACK_TEMPERATURE",),
    "seed": ("WINBACK_SEED",),
    "timeout": ("WINBACK_TIMEOUT",),
    "max_retries": ("WINBACK_MAX_RETRIES",),
    "llm_retries": ("WINBACK_LLM_RETRIES",),
    "server_start_timeout": ("WINBACK_SERVER_START_TIMEOUT",),
    "home": ("WINBACK_HOME",),
    "guard_judge": ("WINBACK_GUARD_JUDGE",),
}


class Settings(BaseModel):
    """Every setting winback reads, with its default."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    provider: Provider = Field("auto", description="auto | openai | local")
    model: str | None = Field(None, description="model name; default depends on the provider")
    base_url: str | None = Field(None, description="an OpenAI-compatible endpoint")
    api_key: str | None = Field(None, description="API key for the endpoint")
    local_model: str | None = Field(None, description="GGUF path for the embedded server")
    database_url: str | None = Field(None, description="SQLAlchemy URL of the queue")
    cache: bool = Field(True, description="reuse cached LLM responses")
    temperature: float = Field(0.2, ge=0, le=2)
    seed: int = Field(7, description="sampling seed sent to the model")
    timeout: float = Field(120.0, gt=0, description="seconds per LLM request")
    max_retries: int = Field(4, ge=0, le=20, description="transport retries (429, 5xx, timeouts)")
    llm_retries: int = Field(2, ge=0, le=10, description="re-asks after invalid structured output")
    server_start_timeout: float = Field(90.0, gt=0, description="seconds to wait for the server")
    home: str = Field(".winback", description="folder for the queue, cache and server logs")
    guard_judge: Literal["auto", "on", "off"] = Field(
        "auto",
        description="LLM judge in the batch guardrails: auto = on unless the model is the "
        "embedded local one (a 135M model cannot judge)",
    )

    # where each value came from: "flag", "env:NAME", "file:PATH" or "default"
    sources: dict[str, str] = Field(default_factory=dict, exclude=True)

    @property
    def home_path(self) -> Path:
        """The data folder, created on first use."""
        path = Path(self.home).expanduser()
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def resolved_database_url(self) -> str:
        """The queue's SQLAlchemy URL (SQLite in the data folder by default)."""
        return self.database_url or f"sqlite:///{self.home_path / 'winback.db'}"

    @property
    def cache_path(self) -> Path:
        """The SQLite file of the LLM response cache."""
        return self.home_path / "llm-cache.sqlite"

    def describe(self) -> dict[str, dict[str, Any]]:
        """Each setting's value (secrets masked) and its source."""
        out = {}
        for name in type(self).model_fields:
            if name == "sources":
                continue
            value = getattr(self, name)
            if name == "api_key" and value:
                value = value[:3] + "..." + value[-4:] if len(value) > 10 else "***"
            out[name] = {"value": value, "source": self.sources.get(name, "default")}
        return out


def _config_file(explicit: str | os.PathLike | None) -> Path | None:
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"Config file {path} does not exist",
                "Check the path given with --config-file or WINBACK_CONFIG.",
            )
        return path
    env = os.environ.get("WINBACK_CONFIG")
    if env:
        return _config_file(env)
    user_dir = Path(os.environ.get("XDG_CONFIG_HOME") or "~/.config").expanduser()
    for candidate in (Path("winback.yaml"), user_dir / "winback" / "config.yaml"):
        if candidate.is_file():
            return candidate
    return None


def _read_config_file(path: Path) -> dict[str, Any]:
    data = read_yaml_mapping(
        path,
        "Config file",
        fix="See README 'Configuration' for an example.",
        kind="a mapping of setting: value",
        error=ConfigError,
    )
    data = {str(k).replace("-", "_"): v for k, v in data.items()}
    unknown = sorted(set(data) - (set(Settings.model_fields) - {"sources"}))
    if unknown:
        raise ConfigError(
            f"Config file {path} has unknown setting(s): {', '.join(unknown)}",
            f"Known settings: {', '.join(n for n in Settings.model_fields if n != 'sources')}.",
        )
    return data


def load_settings(
    flags: dict[str, Any] | None = None, config_file: str | os.PathLike | None = None
) -> Settings:
    """Resolve settings: flags > environment > config file > defaults."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    path = _config_file(config_file)
    if path is not None:
        for name, value in _read_config_file(path).items():
            values[name], sources[name] = value, f"file:{path}"
    for name, env_names in ENV_VARS.items():
        for env_name in env_names:
            raw = os.environ.get(env_name)
            if raw not in (None, ""):
                values[name], sources[name] = raw, f"env:{env_name}"
                break
    for name, value in (flags or {}).items():
        if value is not None:
            values[name], sources[name] = value, "flag"
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "?"
            problems.append(
                f"{name}={values.get(name)!r} ({sources.get(name, 'default')}): {err['msg']}"
            )
        raise ConfigError(
            "Invalid setting: " + "; ".join(problems),
            "Fix the flag, environment variable or config file named above "
            "(README 'Configuration' lists every setting).",
        ) from exc
    settings.sources = sources
    return settings
