"""`winback queue ...`: the approval queue without the interactive screen.

`batches`, `list`, `show` and `audit` read; `approve` and `reject` decide, as
the reviewer named by `--reviewer` or WINBACK_REVIEWER. `approve --batch ID
--all-passing` approves every pending draft with a `pass` verdict (optionally
one `--segment` or `--variant`) as one audited decision. The logic lives in
`agent.store`; this module parses options and prints (tables, or `--json`).
Shared options live in `agent.cli.options`, the draft panel and styles in
`agent.cli.display`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from agent.cli.display import draft_panel, echo_json, verdict_text
from agent.cli.options import BatchOpt, DbOpt, JsonOpt, ReviewerOpt, open_queue
from agent.errors import WinbackError

if TYPE_CHECKING:
    from sqlalchemy import Engine

queue_app = typer.Typer(
    help="The approval queue: list, show, approve, reject drafts; read the audit log.",
    no_args_is_help=True,
)


@queue_app.command("batches")
def batches_cmd(
    campaign: Annotated[str | None, typer.Option("--campaign", help="Only this campaign.")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List batches, newest first, with their drafts by status."""
    from agent.store import list_batches

    with open_queue(db) as engine:
        rows = list_batches(engine, campaign)
    table = Table(
        Column("batch", no_wrap=True), "campaign", "created", "status", "model", "drafts by status"
    )
    _print_rows(rows, as_json, table, _batch_cells)


def _batch_cells(r: dict[str, Any]) -> list[Text]:
    by = ", ".join(f"{k} {v}" for k, v in sorted(r["drafts_by_status"].items()))
    cells = (
        r["id"],
        r["campaign"],
        r["created_at"].strftime("%Y-%m-%d %H:%M"),
        r["status"],
        r["model"] or "-",
        by or "-",
    )
    return [Text(c) for c in cells]


def _print_rows(
    rows: list[dict[str, Any]],
    as_json: bool,
    table: Table,
    cells: Callable[[dict[str, Any]], list[Text]],
) -> None:
    """The rows as JSON, or as `table` with one row of `cells(row)` each."""
    from agent.store.rows import jsonable

    if as_json:
        echo_json([jsonable(r) for r in rows])
        return
    for r in rows:
        table.add_row(*cells(r))
    Console().print(table)


def _batch_rows(
    db: str | None, batch: str | None, fetch: Callable[[Engine], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """`fetch(engine)` on the queue, after checking that `batch` (when given) exists."""
    from agent.store import get_batch

    with open_queue(db) as engine:
        if batch:
            get_batch(engine, batch)
        return fetch(engine)


@queue_app.command("list")
def list_cmd(
    batch: BatchOpt = None,
    status: Annotated[
        str | None, typer.Option("--status", help="pending | approved | rejected | control.")
    ] = None,
    segment: Annotated[str | None, typer.Option("--segment", help="Only this segment.")] = None,
    variant: Annotated[str | None, typer.Option("--variant", help="Only this variant.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many (0: all).")] = 50,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List drafts (id order) with their arm, segment, variant, verdict and status."""
    from agent.store import list_drafts

    rows = _batch_rows(
        db,
        batch,
        lambda engine: list_drafts(
            engine,
            batch_id=batch,
            status=status,
            segment=segment,
            variant=variant,
            limit=limit or None,
        ),
    )
    table = Table(
        Column("id", no_wrap=True),
        Column("batch", overflow="fold"),  # ids are wrapped, never shortened
        Column("user", overflow="fold"),
        "arm",
        "channel",
        "segment",
        "variant",
        "verdict",
        "status",
    )
    _print_rows(rows, as_json, table, _draft_cells)


def _draft_cells(r: dict[str, Any]) -> list[Text]:
    cells = (
        str(r["id"]),
        r["batch_id"],
        r["user_id"],
        r["arm"],
        r["channel"],
        r["segment"] or "-",
        r["variant"] or "-",
    )
    return [*map(Text, cells), verdict_text(r["verdict"] or "-"), Text(r["status"])]


@queue_app.command("show")
def show_cmd(
    draft_id: Annotated[int, typer.Argument(help="Draft id.", show_default=False)],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one draft: the message with its findings highlighted, and the prompt name@version."""
    from agent.run.allocation_stage import variant_allocation
    from agent.store import get_draft
    from agent.store.rows import jsonable

    with open_queue(db) as engine:
        draft = get_draft(engine, draft_id)
        draft["allocation"] = variant_allocation(engine, draft["batch_id"], draft.get("variant"))
    if as_json:
        echo_json(jsonable(draft))
        return
    Console().print(draft_panel(draft))


@queue_app.command("approve")
def approve_cmd(
    draft_ids: Annotated[
        list[int] | None, typer.Argument(help="Draft id(s).", show_default=False)
    ] = None,
    batch: BatchOpt = None,
    all_passing: Annotated[
        bool,
        typer.Option(
            "--all-passing", help="Approve every pending draft with a pass verdict in --batch."
        ),
    ] = False,
    segment: Annotated[
        str | None, typer.Option("--segment", help="With --all-passing: only this segment.")
    ] = None,
    variant: Annotated[
        str | None, typer.Option("--variant", help="With --all-passing: only this variant.")
    ] = None,
    override_reason: Annotated[
        str | None,
        typer.Option(
            "--override-reason",
            help="Required to approve a blocked draft; recorded in the audit log.",
        ),
    ] = None,
    reviewer: ReviewerOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve drafts by id, or every passing draft of a batch with --all-passing."""
    from agent.store import decisions

    reviewer = decisions.require_reviewer(reviewer)
    if all_passing == bool(draft_ids):
        raise WinbackError(
            "Give either draft id(s) or --batch ID --all-passing",
            "e.g. `winback queue approve 12 13` or "
            "`winback queue approve --batch b-1a2b3c4d --all-passing`.",
        )
    if all_passing and not batch:
        raise WinbackError(
            "--all-passing needs --batch ID", "List batches with `winback queue batches`."
        )
    if (segment or variant) and not all_passing:
        raise WinbackError(
            "--segment and --variant only apply with --all-passing", "Add --all-passing --batch ID."
        )
    if all_passing:
        with open_queue(db) as engine:
            ids = decisions.approve_all_passing(
                engine, batch, reviewer, segment=segment, variant=variant
            )
        result = {"batch_id": batch, "approved": ids, "count": len(ids), "reviewer": reviewer}
        if as_json:
            echo_json(result)
        else:
            typer.echo(
                f"Approved {len(ids)} passing draft(s) of {batch} as one decision ({reviewer})."
            )
        return
    _decide_each(
        db,
        draft_ids or [],
        reviewer,
        as_json,
        "approved",
        lambda engine, draft_id: decisions.approve(
            engine, draft_id, reviewer, override_reason=override_reason
        ),
    )


def _decide_each(
    db: str | None,
    draft_ids: list[int],
    reviewer: str,
    as_json: bool,
    done: str,
    decide: Callable[[Engine, int], object],
) -> None:
    """`decide(engine, id)` for each draft in turn, saying so; with --json the ids at the end."""
    decided = []
    with open_queue(db) as engine:
        for draft_id in draft_ids:
            decide(engine, draft_id)
            decided.append(draft_id)
            if not as_json:
                typer.echo(f"{done.capitalize()} draft {draft_id} ({reviewer}).")
    if as_json:
        echo_json({done: decided, "count": len(decided), "reviewer": reviewer})


@queue_app.command("reject")
def reject_cmd(
    draft_ids: Annotated[list[int], typer.Argument(help="Draft id(s).", show_default=False)],
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason", help="Why (required; recorded in the audit log).", show_default=False
        ),
    ] = None,
    reviewer: ReviewerOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reject drafts with a reason."""
    from agent.store import decisions

    reviewer = decisions.require_reviewer(reviewer)
    reason = decisions.require_reason(reason)
    _decide_each(
        db,
        draft_ids,
        reviewer,
        as_json,
        "rejected",
        lambda engine, draft_id: decisions.reject(engine, draft_id, reviewer, reason),
    )


@queue_app.command("audit")
def audit_cmd(
    batch: BatchOpt = None,
    draft: Annotated[
        int | None, typer.Option("--draft", help="Only entries about this draft.")
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The audit log (oldest first): who did what to which drafts, when, and why."""
    from agent.store.audit import list_audit

    rows = _batch_rows(db, batch, lambda engine: list_audit(engine, batch_id=batch, draft_id=draft))
    _print_rows(
        rows, as_json, Table("at", "actor", "action", "batch", "drafts", "reason"), _audit_cells
    )


def _audit_cells(r: dict[str, Any]) -> list[Text]:
    ids = r["draft_ids"] or []
    shown = ", ".join(map(str, ids[:5])) + (f" (+{len(ids) - 5})" if len(ids) > 5 else "")
    cells = (
        r["at"].strftime("%Y-%m-%d %H:%M:%S"),
        r["actor"],
        r["action"],
        r["batch_id"] or "-",
        shown or "-",
        r["reason"] or "",
    )
    return [Text(c) for c in cells]
