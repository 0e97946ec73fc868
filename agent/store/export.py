"""Export approved drafts for an ESP import, and the control list beside them.

Only `approved` drafts of the baseline and treatment arms are written; control
rows never carry a message (schema CHECK) and are filtered out again here.
Columns, in order (CSV header, JSONL keys):

    user_id, channel, address, subject, body, incentive_code, incentive_text,
    variant, segment, arm, draft_id, batch_id

`address` is the e-mail address, phone number or push token for the channel.
The control list has `user_id, arm, segment, batch_id`, one row per user.

Nothing is half-written: paths are checked before anything changes, files are
written to temporary files in the target folder, the drafts are marked
(`exported_at`), the contacts recorded and the export audited in one
transaction, and the files are renamed into place just before it commits. A
batch with pending drafts is refused unless `partial=True`; drafts exported
before are not exported again unless `include_exported=True`.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, update

from agent.errors import WinbackError
from agent.store.audit import append_audit
from agent.store.batches import get_batch
from agent.store.rows import utcnow
from agent.store.schema import contacts, drafts

EXPORT_COLUMNS = (
    "user_id",
    "channel",
    "address",
    "subject",
    "body",
    "incentive_code",
    "incentive_text",
    "variant",
    "segment",
    "arm",
    "draft_id",
    "batch_id",
)
CONTROL_COLUMNS = ("user_id", "arm", "segment", "batch_id")
FORMATS = ("csv", "jsonl")


def check_writable(path: Path, flag: str) -> Path:
    """The resolved path, or a WinbackError if it cannot be written."""
    path = Path(path).expanduser()
    folder = path.resolve().parent
    if path.is_dir():
        raise WinbackError(f"{flag} {path} is a folder", f"Give a file name for {flag}.")
    if not folder.is_dir():
        raise WinbackError(
            f"Cannot write {path}: folder {folder} does not exist",
            f"Create the folder or choose another {flag} path.",
        )
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise WinbackError(
            f"Cannot write {path}: permission denied", f"Choose a writable {flag} path."
        )
    return path


def _export_row(d: dict[str, Any]) -> dict[str, Any]:
    incentive = d["incentive"] or {}
    return {
        "user_id": d["user_id"],
        "channel": d["channel"],
        "address": d["address"],
        "subject": d["subject"],
        "body": d["body"],
        "incentive_code": incentive.get("code"),
        "incentive_text": incentive.get("text"),
        "variant": d["variant"],
        "segment": d["segment"],
        "arm": d["arm"],
        "draft_id": d["id"],
        "batch_id": d["batch_id"],
    }


def _write_temp(path: Path, fmt: str, columns: tuple[str, ...], rows: list[dict]) -> Path:
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WinbackError(
            f"Cannot write {path}: {exc.strerror}", "Choose a writable path."
        ) from exc
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        if fmt == "csv":
            writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="raise")
            writer.writeheader()
            writer.writerows(rows)
        else:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return Path(tmp)


def export_batch(
    engine: Engine,
    batch_id: str,
    out: Path,
    *,
    fmt: str = "csv",
    control_out: Path | None = None,
    partial: bool = False,
    include_exported: bool = False,
    actor: str = "unknown",
) -> dict[str, Any]:
    """Write the approved drafts (and the control list) of a batch; return a summary."""
    if fmt not in FORMATS:
        raise WinbackError(f"Unknown export format {fmt!r}", "Use --format csv or --format jsonl.")
    batch = get_batch(engine, batch_id)
    out = check_writable(out, "--out")
    if control_out is not None:
        control_out = check_writable(control_out, "--control-out")
        if control_out.resolve() == out.resolve():
            raise WinbackError(
                "--out and --control-out are the same file", "Give the control list its own file."
            )
    temps: list[Path] = []
    with engine.connect() as conn:
        pending = conn.execute(
            select(func.count()).where(drafts.c.batch_id == batch_id, drafts.c.status == "pending")
        ).scalar_one()
    if pending and not partial:
        raise WinbackError(
            f"Batch {batch_id} still has {pending} pending draft(s); nothing was exported",
            f"Review them first (`winback review --batch {batch_id}`) or export what is "
            "approved so far with --partial.",
        )
    now = utcnow()
    try:
        with engine.begin() as conn:
            query = (
                select(drafts)
                .where(
                    drafts.c.batch_id == batch_id,
                    drafts.c.status == "approved",
                    drafts.c.arm != "control",
                )
                .order_by(drafts.c.id)
                .with_for_update()
            )
            if not include_exported:
                query = query.where(drafts.c.exported_at.is_(None))
            selected = [dict(r._mapping) for r in conn.execute(query)]
            if any(d["arm"] == "control" or d["status"] != "approved" for d in selected):
                raise RuntimeError("export selected a control or unapproved draft")  # never
            new_ids = [d["id"] for d in selected if d["exported_at"] is None]
            if new_ids:
                for start in range(0, len(new_ids), 5000):
                    conn.execute(
                        update(drafts)
                        .where(drafts.c.id.in_(new_ids[start : start + 5000]))
                        .values(exported_at=now)
                    )
                conn.execute(
                    contacts.insert(),
                    [
                        {
                            "user_id": d["user_id"],
                            "channel": d["channel"],
                            "contacted_at": now,
                            "campaign": d["campaign"],
                            "batch_id": batch_id,
                            "draft_id": d["id"],
                        }
                        for d in selected
                        if d["exported_at"] is None
                    ],
                )
            rows = [_export_row(d) for d in selected]
            temps.append(_write_temp(out, fmt, EXPORT_COLUMNS, rows))
            control_rows: list[dict[str, Any]] = []
            if control_out is not None:
                seen: set[str] = set()
                for user_id, segment in conn.execute(
                    select(drafts.c.user_id, drafts.c.segment)
                    .where(drafts.c.batch_id == batch_id, drafts.c.arm == "control")
                    .order_by(drafts.c.id)
                ):
                    if user_id not in seen:
                        seen.add(user_id)
                        control_rows.append(
                            {
                                "user_id": user_id,
                                "arm": "control",
                                "segment": segment,
                                "batch_id": batch_id,
                            }
                        )
                temps.append(_write_temp(control_out, fmt, CONTROL_COLUMNS, control_rows))
            summary = {
                "batch_id": batch_id,
                "campaign": batch["campaign"],
                "format": fmt,
                "out": str(out),
                "rows": len(rows),
                "newly_exported": len(new_ids),
                "pending_left": pending,
                "control_out": str(control_out) if control_out else None,
                "control_rows": len(control_rows),
            }
            append_audit(
                conn,
                actor=actor,
                action="export",
                batch_id=batch_id,
                draft_ids=new_ids,
                after={k: summary[k] for k in ("format", "out", "rows", "control_out")},
                reason="partial export" if partial and pending else None,
            )
            os.replace(temps[0], out)
            if control_out is not None:
                os.replace(temps[1], control_out)
            temps.clear()
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    return summary
