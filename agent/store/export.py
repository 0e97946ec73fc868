"""Export approved drafts for an ESP import, and the control list beside them.

Only `approved` drafts of the baseline and treatment arms are written; control
rows never carry a message (schema CHECK) and are filtered out again here.
The columns depend on the preset (`agent.store.export_presets`: `generic`,
`braze`, `klaviyo`, `mailchimp`); `generic` starts with the historic columns

    user_id, channel, address, subject, body, incentive_code, incentive_text,
    variant, segment, arm, draft_id, batch_id

then `first_name, preheader, body_text, body_html, call_to_action, link` and
one column per merge field (the per-user placeholder values the run
substituted, e.g. `favorite_category`). `address` is the e-mail address,
phone number or push token for the channel. The control list has
`user_id, arm, segment, batch_id`, one row per user.

Files are readable like any file the user creates (0666 minus the umask,
0644 with the usual 022), not the 0600 of a temporary file.

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
from agent.store.export_presets import (
    ESP_MESSAGE_KEYS,
    GENERIC_COLUMNS,
    Preset,
    body_html,
    body_text,
    campaign_link,
    check_link,
    get_preset,
    merge_values,
    message_parts,
)
from agent.store.rows import utcnow
from agent.store.schema import contacts, drafts

EXPORT_COLUMNS = GENERIC_COLUMNS
PROVENANCE_KEYS = ("model", "candidates", "revision", "quality_score")
MAILCHIMP_FIELD_BYTES = 255  # Mailchimp clips text merge fields at 255 bytes
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


def _export_row(d: dict[str, Any], preset: Preset, link_base: str | None) -> dict[str, Any]:
    """One draft as {key: value}; keys are message keys, identity keys and `merge:<name>`."""
    incentive = d["incentive"] or {}
    first_name, values = merge_values(d)
    parts = message_parts(d["channel"], d["subject"], d["body"] or "", d["variant"])
    link = campaign_link(
        link_base,
        source=preset.name if preset.name != "generic" else "winback",
        medium=d["channel"],
        campaign=d["campaign"],
        content=d["variant"] or "",
    )
    row = {
        "user_id": d["user_id"],
        "channel": d["channel"],
        "address": d["address"],
        "email": d["address"] if d["channel"] == "email" else None,
        "phone": d["address"] if d["channel"] == "sms" else None,
        "first_name": first_name,
        "subject": d["subject"],
        "body": d["body"],
        "preheader": parts.preheader,
        "body_text": body_text(parts, link),
        "body_html": body_html(parts, link) if d["channel"] == "email" else "",
        "call_to_action": parts.call_to_action,
        "link": link,
        "incentive_code": incentive.get("code"),
        "incentive_text": incentive.get("text"),
        "variant": d["variant"],
        "segment": d["segment"],
        "arm": d["arm"],
        "draft_id": d["id"],
        "batch_id": d["batch_id"],
        "_separated": parts.separated,
    }
    provenance = d.get("provenance") or {}
    row.update({k: provenance.get(k) for k in PROVENANCE_KEYS})
    row["prompt"] = provenance.get("prompt") or d.get("prompt")
    row.update({f"merge:{k}": v for k, v in values.items() if k != "incentive"})
    return row


def _columns(preset: Preset, channel: str | None, merge: list[str]) -> list[tuple[str, str]]:
    """(header, row key) of every column of the file, in order."""
    if preset.name == "generic":
        cols = [(k, k) for k in GENERIC_COLUMNS]
    else:
        cols = preset.identity_columns(channel)
        cols += [(preset.headers[k], k) for k in ESP_MESSAGE_KEYS]
    taken = {h for h, _ in cols}
    for name in merge:
        header = preset.merge_header(name)
        cols.append((f"merge_{header}" if header in taken else header, f"merge:{name}"))
    return cols


def _select_channels(preset: Preset, channels: list[str]) -> None:
    """Refuse drafts the preset's import cannot address, before anything is written."""
    unsupported = sorted(set(channels) - set(preset.channels))
    if unsupported:
        raise WinbackError(
            f"The {preset.name} preset cannot import {', '.join(unsupported)} drafts "
            f"(it takes {', '.join(preset.channels)})",
            f"Export those with --preset braze or generic, and this one with --channel "
            f"{preset.channels[0]}.",
        )
    if preset.one_channel_per_file and len(channels) > 1:
        raise WinbackError(
            f"A {preset.name} import file holds one channel; this export has {', '.join(channels)}",
            f"Export each channel to its own file: --channel {channels[0]}, then --channel "
            f"{channels[1]}.",
        )


def file_mode() -> int:
    """The mode a new file gets from the user's umask (0644 with the usual 022)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write_temp(path: Path, fmt: str, columns: tuple[str, ...], rows: list[dict]) -> Path:
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WinbackError(
            f"Cannot write {path}: {exc.strerror}", "Choose a writable path."
        ) from exc
    os.chmod(tmp, file_mode())  # mkstemp's 0600 would hide the file from the ESP uploader
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        if fmt == "csv":
            writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="raise")
            writer.writeheader()
            writer.writerows(rows)
        else:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n")
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
    preset: str = "generic",
    channel: str | None = None,
    link: str | None = None,
) -> dict[str, Any]:
    """Write the approved drafts (and the control list) of a batch; return a summary.

    `preset` names the columns for one ESP (see `agent.store.export_presets`),
    `channel` exports one channel's drafts only, `link` is the landing page of
    the call to action (default: the campaign's `link`), UTM parameters added.
    """
    if fmt not in FORMATS:
        raise WinbackError(f"Unknown export format {fmt!r}", "Use --format csv or --format jsonl.")
    spec = get_preset(preset)
    link = check_link(link)
    batch = get_batch(engine, batch_id)
    config = batch.get("config") or {}
    link_base = link or check_link(config.get("link"), "`link:` in the campaign file")
    channels = [channel] if channel else list(config.get("channels") or [])
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
            if channel is not None:
                query = query.where(drafts.c.channel == channel)
            selected = [dict(r._mapping) for r in conn.execute(query)]
            _select_channels(spec, sorted({d["channel"] for d in selected} or set(channels[:1])))
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
            rows = [_export_row(d, spec, link_base) for d in selected]
            merge = sorted({k[6:] for r in rows for k in r if k.startswith("merge:")})
            columns = _columns(spec, channel or (rows[0]["channel"] if rows else None), merge)
            not_separated = sum(1 for r in rows if not r["_separated"])
            clipped = 0
            if spec.name == "mailchimp":
                clipped = sum(
                    1
                    for r in rows
                    if any(
                        len(str(r.get(k) or "").encode()) > MAILCHIMP_FIELD_BYTES
                        for _, k in columns
                    )
                )
            out_rows = [{h: r.get(k) for h, k in columns} for r in rows]
            temps.append(_write_temp(out, fmt, tuple(h for h, _ in columns), out_rows))
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
                "control_rows_without_segment": sum(1 for r in control_rows if not r["segment"]),
                "preset": spec.name,
                "channel": channel,
                "columns": [h for h, _ in columns],
                "link": link_base,
                "email_parts_not_separated": not_separated,
                "rows_over_mailchimp_field_limit": clipped,
                "file_mode": f"{file_mode():04o}",
            }
            append_audit(
                conn,
                actor=actor,
                action="export",
                batch_id=batch_id,
                draft_ids=new_ids,
                after={k: summary[k] for k in ("format", "preset", "out", "rows", "control_out")},
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
