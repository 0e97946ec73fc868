"""Options shared by the commands: one `Annotated` alias per flag, and two flag groups.

A command that needs settings declares one parameter, `settings: Settings`,
and is decorated with `@settings_options(...)`: the decorator puts the
model and store flags (`--db`, `--provider`, `--model`, `--base-url`,
`--local-model`, `--no-cache`, `--config-file`) in that parameter's place in
the command's signature, so typer shows them in `--help`, and hands the
command the resolved `Settings` (flag > environment > file > default).
A command that reads a cohort the same way declares `cohort_flags: CohortFlags`
and is decorated with `@cohort_options(...)` (`--mapping`, `--sql`, `--table`,
`--query`); one that loads a campaign with flag overrides declares
`campaign_flags: CampaignFlags` with `@campaign_options(...)` (`--campaign-file`,
`--campaign`, `--rule`, `--channels`, `--segments`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from agent.campaign import Campaign
    from agent.settings import Settings
    from segments.cohort_source import CohortSource

F = TypeVar("F", bound=Callable[..., Any])

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
MappingOpt = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        help="YAML file renaming source columns to ours (source_column: our_column).",
        show_default=False,
    ),
]
SqlOpt = Annotated[
    str | None,
    typer.Option("--sql", help="SQLAlchemy URL of the database to read from.", show_default=False),
]
TableOpt = Annotated[
    str | None, typer.Option("--table", help="Table to read (with --sql).", show_default=False)
]
QueryOpt = Annotated[
    str | None, typer.Option("--query", help="SQL query to run (with --sql).", show_default=False)
]
RuleOpt = Annotated[
    str | None,
    typer.Option(
        "--rule",
        help="Activation rule, e.g. 'churn_score > 0.7 and tenure_days > 90'.",
        show_default=False,
    ),
]
ChannelsOpt = Annotated[
    str | None,
    typer.Option("--channels", help="Comma-separated: email,sms,push.", show_default=False),
]
SegmentsOpt = Annotated[
    int | None,
    typer.Option(
        "--segments", help="Fix the number of segments (default: auto).", show_default=False
    ),
]
PolicyOpt = Annotated[
    Path | None,
    typer.Option(
        "--policy", help="Guardrail policy YAML, merged over guardrails/default_policy.yaml."
    ),
]
SkipInvalidOpt = Annotated[
    bool, typer.Option("--skip-invalid", help="Continue with the valid rows of a bad cohort.")
]
CampaignFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--campaign-file",
        "--config",
        help="Campaign YAML (rule, arms, channels, brand voice, ...). "
        "--config is its old name, still accepted (deprecated).",
    ),
]
CampaignNameOpt = Annotated[
    str | None, typer.Option("--campaign", help="Campaign name (also the arms' salt).")
]
ReviewerOpt = Annotated[
    str | None,
    typer.Option(
        "--reviewer",
        envvar="WINBACK_REVIEWER",
        help="Who decides (recorded in the audit log). Default: $WINBACK_REVIEWER.",
        show_default=False,
    ),
]
BatchOpt = Annotated[
    str | None, typer.Option("--batch", help="Batch id (b-xxxxxxxx).", show_default=False)
]


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


@dataclass(frozen=True)
class CohortFlags:
    """Where a cohort (or a transactions file) is read from, as given by the flags."""

    mapping: Path | None = None
    sql: str | None = None
    table: str | None = None
    query: str | None = None

    def source(self, path: Path | None) -> CohortSource:
        """The source: `path` (a file) or the --sql table or query, with --mapping."""
        from segments.cohort_source import CohortSource

        return CohortSource(
            path=path, sql_url=self.sql, table=self.table, query=self.query, mapping=self.mapping
        )


def parse_channels(value: str | None) -> list[str] | None:
    """`email,sms` -> ['email', 'sms']."""
    from agent.errors import WinbackError
    from prompts.channels import CHANNELS

    if value is None:
        return None
    channels = [c.strip().lower() for c in value.split(",") if c.strip()]
    bad = [c for c in channels if c not in CHANNELS]
    if bad or not channels:
        raise WinbackError(
            f"Unknown channel(s) in --channels: {', '.join(bad) or '(none given)'}",
            "Use a comma-separated list of email, sms, push.",
        )
    return channels


@dataclass(frozen=True)
class CampaignFlags:
    """The campaign file and the flags that override it."""

    config: Path | None = None
    campaign: str | None = None
    rule: str | None = None
    channels: str | None = None
    segments: int | None = None

    def load(self, **overrides: Any) -> Campaign:
        """The campaign: the file (or defaults) with these flags and `overrides` over it."""
        from agent.campaign import load_campaign

        flags = {
            "name": self.campaign,
            "rule": self.rule,
            "channels": parse_channels(self.channels),
            "segments": self.segments,
        }
        return load_campaign(self.config, {**flags, **overrides})


# the default of a flag group's parameter (`settings`, `cohort_flags`): its decorator replaces it
FROM_FLAGS: Any = None

# each group's flags in the order `--help` shows them: name -> (annotation, default)
_SETTINGS_FLAGS: dict[str, tuple[Any, Any]] = {
    "db": (DbOpt, None),
    "provider": (ProviderOpt, None),
    "model": (ModelOpt, None),
    "base_url": (BaseUrlOpt, None),
    "local_model": (LocalModelOpt, None),
    "no_cache": (NoCacheOpt, False),
    "config_file": (ConfigFileOpt, None),
}
_COHORT_FLAGS: dict[str, tuple[Any, Any]] = {
    "mapping": (MappingOpt, None),
    "sql": (SqlOpt, None),
    "table": (TableOpt, None),
    "query": (QueryOpt, None),
}
_CAMPAIGN_FLAGS: dict[str, tuple[Any, Any]] = {
    "config": (CampaignFileOpt, None),
    "campaign": (CampaignNameOpt, None),
    "rule": (RuleOpt, None),
    "channels": (ChannelsOpt, None),
    "segments": (SegmentsOpt, None),
}
_GROUP_PARAMETERS = ("settings", "cohort_flags", "campaign_flags")


def _flag_group(
    parameter: str, group: dict[str, tuple[Any, Any]], build: Callable[..., Any], doc: str
) -> Callable[..., Callable[[F], F]]:
    """A decorator factory that puts `group`'s flags in place of the `parameter` parameter."""

    def options(*flags: str) -> Callable[[F], F]:
        chosen = flags or tuple(group)
        unknown = set(chosen) - set(group)
        if unknown:
            raise ValueError(f"unknown {parameter} flags {sorted(unknown)}")

        def decorate(func: F) -> F:
            params: list[inspect.Parameter] = []
            for p in inspect.signature(func).parameters.values():
                if p.name == parameter:
                    params += [
                        inspect.Parameter(
                            name,
                            inspect.Parameter.KEYWORD_ONLY,
                            default=group[name][1],
                            annotation=group[name][0],
                        )
                        for name in group
                        if name in chosen
                    ]
                    continue
                annotation = p.annotation
                # typer needs evaluated annotations; the module's are strings (another group's
                # parameter is left for its own decorator)
                if isinstance(annotation, str) and p.name not in _GROUP_PARAMETERS:
                    annotation = eval(annotation, func.__globals__)  # the module's own names
                params.append(p.replace(annotation=annotation, kind=inspect.Parameter.KEYWORD_ONLY))

            @functools.wraps(func)
            def command(**kwargs: Any) -> Any:
                given = {name: kwargs.pop(name) for name in chosen}
                kwargs[parameter] = build(**given)
                return func(**kwargs)

            command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
            command.__annotations__ = {p.name: p.annotation for p in params}
            return command  # type: ignore[return-value]

        return decorate

    options.__doc__ = doc
    return options


settings_options = _flag_group(
    "settings",
    _SETTINGS_FLAGS,
    resolve_settings,
    "Replace the command's `settings` parameter by these flags (default: all of them).",
)
cohort_options = _flag_group(
    "cohort_flags",
    _COHORT_FLAGS,
    CohortFlags,
    "Replace the command's `cohort_flags` parameter by these flags (default: all of them).",
)
campaign_options = _flag_group(
    "campaign_flags",
    _CAMPAIGN_FLAGS,
    CampaignFlags,
    "Replace the command's `campaign_flags` parameter by these flags (default: all of them).",
)


@contextmanager
def open_queue(db: str | None) -> Iterator[Engine]:
    """The migrated queue named by --db / settings, disposed afterwards."""
    from agent.store.engine import open_store

    engine = open_store(resolve_settings(db=db).resolved_database_url)
    try:
        yield engine
    finally:
        engine.dispose()
