"""How the CLI shows verdicts and findings: one set of styles, one highlighter, one draft panel.

`guard check`, `queue show`, `review` and `demo` all colour a verdict and
highlight a finding's span the same way, from here.

`echo_json` is the one way a command prints its `--json` result: strict JSON
(`allow_nan=False` after `agent.store.rows.strict_json_value` turned NaN and
infinities into null), one document on stdout and nothing else there.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:  # rich is imported where a table or panel is drawn: --json needs none of it
    from rich.panel import Panel
    from rich.text import Text

SEVERITY_STYLE = {"block": "bold white on red", "warn": "black on yellow"}
VERDICT_STYLE = {"pass": "green", "warn": "yellow", "block": "bold red"}


def verdict_text(verdict: str | None) -> Text:
    """A verdict (pass / warn / block) in its colour."""
    from rich.text import Text

    return Text(verdict or "-", style=VERDICT_STYLE.get(verdict or "", ""))


def echo_json(data: Any, *, indent: int | None = None) -> None:
    """One strict JSON document on stdout: NaN/inf as null, dates and other objects as strings."""
    typer.echo(json_text(data, indent=indent))


def json_text(data: Any, *, indent: int | None = None) -> str:
    """`data` as strict JSON text (what `echo_json` prints; one line unless `indent`)."""
    from agent.store.rows import strict_json_value  # agent.store pulls in SQLAlchemy

    return json.dumps(strict_json_value(data), allow_nan=False, ensure_ascii=False, indent=indent)


def highlighted(text: str | None, findings: list[dict], field: str) -> Text:
    """The text with each finding's span of this field highlighted by severity."""
    from rich.text import Text

    out = Text(text or "")
    for f in findings:
        if f.get("field", "text") != field:
            continue
        start, end = max(0, int(f.get("start", 0))), min(len(out), int(f.get("end", 0)))
        if start < end:
            out.stylize(SEVERITY_STYLE.get(f.get("severity"), "underline"), start, end)
    return out


def provenance_text(draft: dict[str, Any]) -> str:
    """What wrote a draft's copy, in one line: prompt, model, best of N, revision, quality score."""
    p = draft.get("provenance")
    if not p:
        return "the brand's baseline copy" if draft.get("arm") == "baseline" else "-"
    score = p.get("quality_score")
    return (
        f"{p.get('prompt') or '-'} on {p.get('model') or '-'}, best of {p.get('candidates', '?')} "
        f"candidates, revision {p.get('revision', 0)}, quality "
        f"{score if score is not None else '-'}/100"
    )


def variant_text(draft: dict[str, Any]) -> str:
    """The draft's variant, with its share of the segment and why (when the run stored it)."""
    variant = draft.get("variant") or "-"
    alloc = draft.get("allocation") or {}
    if alloc.get("share") is None:
        return variant
    return f"{variant} ({alloc['share']:.0%} of the segment's treatment users: {alloc['reason']})"


def draft_panel(draft: dict[str, Any]) -> Panel:
    """A reviewer's view of one draft: context, the highlighted message, the findings."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    meta = Table.grid(padding=(0, 2))
    meta.add_column(style="dim")
    meta.add_column()
    incentive = draft.get("incentive") or {}
    verdict = draft.get("verdict") or "-"
    rows = [
        ("user", f"{draft['user_id']}  ({draft['arm']} arm, {draft['channel']})"),
        ("segment", draft.get("segment") or "-"),
        ("variant", variant_text(draft)),
        ("prompt", draft.get("prompt") or "-"),
        ("written by", provenance_text(draft)),
        ("incentive", incentive.get("text") or incentive.get("code") or "-"),
        ("status", draft["status"] + (" (edited)" if draft.get("edited") else "")),
    ]
    for name, value in rows:
        meta.add_row(name, Text(str(value)))
    meta.add_row("verdict", verdict_text(verdict))
    parts: list[Any] = [meta, Text("")]
    findings = draft.get("findings") or []
    if draft.get("subject"):
        subject_field = "title" if draft["channel"] == "push" else "subject"
        parts.append(
            Text.assemble(
                ("subject: ", "bold"), highlighted(draft["subject"], findings, subject_field)
            )
        )
    parts.append(highlighted(draft.get("body"), findings, "text"))
    if findings:
        parts.append(Text(""))
        for f in findings:
            style = VERDICT_STYLE.get(f.get("severity"), "")
            parts.append(
                Text.assemble(
                    (f"{f.get('severity', '?'):5} ", style),
                    (f"{f.get('code', '?')} ", "bold"),
                    (f"[{f.get('category', '?')}] ", "dim"),
                    f.get("message", ""),
                )
            )
    if draft.get("reviewer"):
        parts.append(
            Text(
                f"\n{draft['status']} by {draft['reviewer']}: {draft.get('decision_reason') or ''}",
                style="dim",
            )
        )
    return Panel(
        Group(*parts), title=Text(f"draft {draft['id']}  ·  batch {draft['batch_id']}"), expand=True
    )
