"""`winback review`: the interactive approval screen for reviewers.

One draft at a time, claimed with a lease so several reviewers can work the
same batch without seeing the same draft (see `agent.store.decisions`). The
screen shows the rendered message with the guardrail findings highlighted
in place, the segment, variant, incentive and prompt name@version. Keys:

  a approve   e edit   r reject   s skip   q quit
  g approve every passing draft of this segment   v ... of this variant

An edit (in $VISUAL/$EDITOR via click.edit, else typed inline and ended
with a line holding only ".") is re-checked by the guardrails through
`agent.drafts.check.check_edit` before it is stored; the draft then stays on
screen for a decision. A blocked draft needs an override reason to be approved.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Annotated

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.prompt import Confirm, Prompt

from agent.cli.display import draft_panel, echo_json
from agent.cli.options import BatchOpt, DbOpt, JsonOpt, ReviewerOpt, open_queue
from prompts.errors import UserError

# agent.store.decisions.LEASE_SECONDS, repeated so that --help needs no sqlalchemy import
# (tests/agent/cli/test_startup.py checks that they match)
LEASE_SECONDS = 15 * 60

KEYS = {
    "a": "approve",
    "e": "edit",
    "r": "reject",
    "s": "skip",
    "g": "approve all passing of this segment",
    "v": "approve all passing of this variant",
    "q": "quit",
}


def edit_text(console: Console, text: str) -> str | None:
    """The reviewer's new text: $VISUAL/$EDITOR if set, else typed inline. None: no change."""
    if os.environ.get("VISUAL") or os.environ.get("EDITOR"):
        edited = click.edit(text, extension=".txt", require_save=True)
    else:
        console.print("Type the new text; end with a line holding only '.' (empty: cancel).")
        lines: list[str] = []
        while True:
            line = console.input("")
            if line.strip() == ".":
                break
            lines.append(line)
        edited = "\n".join(lines)
    if edited is None:
        return None
    edited = edited.rstrip("\n")
    return edited if edited.strip() and edited != text else None


def _ask_reason(console: Console, question: str) -> str:
    return Prompt.ask(question, console=console, default="", show_default=False).strip()


def _bulk(console: Console, engine, draft: dict, reviewer: str, by: str, tally: Counter) -> None:
    from agent.store import decisions

    value = draft.get(by)
    if not value:
        console.print(f"[yellow]This draft has no {by}.[/yellow]")
        return
    if not Confirm.ask(
        f"Approve every pending pass-verdict draft of {by} {escape(repr(value))} "
        f"in {escape(draft['batch_id'])}?",
        console=console,
        default=False,
    ):
        return
    ids = decisions.approve_all_passing(
        engine, draft["batch_id"], reviewer, **{by: value}, reason=f"after sampling {by} {value}"
    )
    tally["approved"] += len(ids)
    console.print(
        f"[green]Approved {len(ids)} passing draft(s) of {by} {escape(repr(value))}.[/green]"
    )


def review_one(console: Console, engine, draft: dict, reviewer: str, tally: Counter) -> str:
    """Show a claimed draft until the reviewer decides; returns the last key."""
    from agent.drafts.check import batch_policy, check_edit
    from agent.store import decisions, get_batch, get_draft

    menu = "  ".join(f"[bold]{k}[/bold] {v}" for k, v in KEYS.items())
    while True:
        console.print(draft_panel(draft))
        console.print(menu)
        key = Prompt.ask("decision", choices=list(KEYS), console=console, show_choices=False)
        if key == "a":
            override = None
            if draft["verdict"] == "block":
                override = _ask_reason(
                    console, "Blocked by the guardrails. Override reason (empty: back)"
                )
                if not override:
                    continue
            decisions.approve(engine, draft["id"], reviewer, override_reason=override)
            tally["approved"] += 1
            return key
        if key == "r":
            reason = _ask_reason(console, "Reason for rejecting (empty: back)")
            if not reason:
                continue
            decisions.reject(engine, draft["id"], reviewer, reason)
            tally["rejected"] += 1
            return key
        if key == "e":
            new_text = edit_text(console, draft["body"] or "")
            if new_text is None:
                console.print("[dim]No change.[/dim]")
                continue
            policy = batch_policy(get_batch(engine, draft["batch_id"]))
            verdict, findings = check_edit(draft, new_text, policy)
            draft = decisions.edit(
                engine,
                draft["id"],
                reviewer,
                body=new_text,
                subject=draft["subject"],
                verdict=verdict,
                findings=findings,
            )
            tally["edited"] += 1
            console.print(f"Edit saved and re-checked: verdict [bold]{verdict}[/bold].")
            continue
        if key in ("g", "v"):
            _bulk(console, engine, draft, reviewer, "segment" if key == "g" else "variant", tally)
            fresh = get_draft(engine, draft["id"])
            if fresh["status"] != "pending":
                return key
            continue
        decisions.release_claim(engine, draft["id"], reviewer)
        if key == "s":
            tally["skipped"] += 1
        return key


def review(
    batch: BatchOpt = None,
    reviewer: ReviewerOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    lease: Annotated[
        int, typer.Option("--lease", help="Seconds a shown draft stays reserved for you.")
    ] = LEASE_SECONDS,
) -> None:
    """Review pending drafts one by one: approve, edit, reject, skip, or approve a sampled group."""
    from agent.store import decisions, get_batch

    reviewer = decisions.require_reviewer(reviewer)
    console = Console(stderr=as_json)
    tally: Counter = Counter()
    skipped: set[int] = set()
    with open_queue(db) as engine:
        if batch:
            get_batch(engine, batch)
        while True:
            draft = decisions.claim_next(
                engine, reviewer, batch_id=batch, exclude=skipped, lease_seconds=lease
            )
            if draft is None:
                console.print("[green]No pending drafts left to review.[/green]")
                break
            try:
                key = review_one(console, engine, draft, reviewer, tally)
            except UserError as exc:  # e.g. decided meanwhile by another reviewer
                console.print(f"[yellow]{escape(str(exc))}[/yellow]")
                continue
            except (EOFError, KeyboardInterrupt):
                decisions.release_claim(engine, draft["id"], reviewer)
                console.print("\n[yellow]Stopped.[/yellow]")
                break
            if key == "s":
                skipped.add(draft["id"])
            if key == "q":
                break
    summary = {
        "reviewer": reviewer,
        "batch_id": batch,
        **{k: tally[k] for k in ("approved", "rejected", "edited", "skipped")},
    }
    if as_json:
        echo_json(summary)
    else:
        console.print(
            f"{escape(reviewer)}: {tally['approved']} approved, {tally['rejected']} rejected, "
            f"{tally['edited']} edited, {tally['skipped']} skipped."
        )
