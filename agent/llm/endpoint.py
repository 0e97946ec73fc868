"""Which model endpoint a command talks to.

`auto` (the default) means: a hosted or self-hosted OpenAI-compatible endpoint
when an API key or a base URL is configured, else the embedded model. Both are
reached the same way, over the OpenAI HTTP API; `local` only adds starting and
stopping the embedded server (lazily, on the first call that is not cached).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agent.errors import ConfigError
from agent.llm.local_server import LocalServer, check_model_file
from agent.settings import DEFAULT_OPENAI_MODEL, Settings


@dataclass(frozen=True)
class EndpointChoice:
    """The provider in effect, why, and the model name sent in requests."""

    provider: str  # "openai" | "local"
    reason: str
    model: str
    base_url: str | None
    api_key: str | None


def choose_endpoint(settings: Settings) -> EndpointChoice:
    """Resolve `auto` and check that the chosen provider has what it needs."""
    provider = settings.provider
    if provider == "auto":
        if settings.api_key or settings.base_url:
            which = "an API key" if settings.api_key else "a base URL"
            provider, reason = "openai", f"auto: {which} is configured"
        else:
            provider, reason = "local", "auto: no API key or base URL configured"
    else:
        reason = f"provider={provider} ({settings.sources.get('provider', 'default')})"

    if provider == "openai":
        if not settings.api_key and not settings.base_url:
            raise ConfigError(
                "Provider 'openai' needs an API key or a base URL",
                "Set OPENAI_API_KEY (or WINBACK_API_KEY), or WINBACK_BASE_URL for a "
                "self-hosted endpoint, or use --provider local for the embedded model.",
            )
        if settings.base_url and not settings.base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"Base URL {settings.base_url!r} is not an http(s) URL",
                "Use a URL such as http://localhost:11434/v1 (Ollama) or "
                "https://api.openai.com/v1.",
            )
        # self-hosted servers (Ollama, vLLM, llama.cpp) accept any key
        return EndpointChoice(
            provider="openai",
            reason=reason,
            model=settings.model or DEFAULT_OPENAI_MODEL,
            base_url=settings.base_url,
            api_key=settings.api_key or "not-needed",
        )

    server = local_server_for(settings)
    return EndpointChoice(
        provider="local", reason=reason, model=server.alias, base_url=None, api_key="local"
    )


def local_server_for(
    settings: Settings, port: int | None = None, *, stop_grace: float = 0.0
) -> LocalServer:
    """A (not yet started) embedded server configured from settings.

    `stop_grace` 0 (a server winback starts for itself) kills it outright when it is
    stopped; `winback llm serve` gives requests in flight that many seconds first.
    """
    path = Path(settings.local_model).expanduser() if settings.local_model else None
    server = LocalServer(
        path,
        alias=settings.model,
        port=port,
        start_timeout=settings.server_start_timeout,
        log_path=settings.home_path / "llm-server.log",
        stop_grace=stop_grace,
    )
    check_model_file(server.model_path)
    return server
