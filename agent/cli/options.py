"""Options shared by every command that talks to the model or the queue."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from agent.settings import Settings

ProviderOpt = Annotated[
    str | None,
    typer.Option(
        "--provider",
        help="auto (default: openai if a key or base URL is set, else local) | openai | local.",
        show_default=False,
    ),
]
ModelOpt = Annotated[
    str | None, typer.Option("--model", help="Model name sent to the endpoint.", show_default=False)
]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (Ollama).",
        show_default=False,
    ),
]
LocalModelOpt = Annotated[
    str | None,
    typer.Option(
        "--local-model",
        help="GGUF file for the embedded server (default: the bundled SmolLM2-135M).",
        show_default=False,
    ),
]
NoCacheOpt = Annotated[
    bool, typer.Option("--no-cache", help="Ignore cached LLM replies (new ones are still stored).")
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Queue database URL (default: SQLite in .winback/). e.g. postgresql+psycopg://...",
        show_default=False,
    ),
]
ConfigFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--config-file",
        help="Settings file (default: $WINBACK_CONFIG, ./winback.yaml, ~/.config/winback/).",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def resolve_settings(
    *,
    provider: str | None = None,
    model: str | None = None,
    base_url: str | None = None,
    local_model: str | None = None,
    no_cache: bool = False,
    db: str | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Settings from flags (when given) over environment, config file and defaults."""
    from agent.settings import load_settings

    flags = {
        "provider": provider,
        "model": model,
        "base_url": base_url,
        "local_model": local_model,
        "database_url": db,
        "cache": False if no_cache else None,
    }
    return load_settings(flags, config_file)
