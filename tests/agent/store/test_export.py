"""`winback export`: approved drafts only, never a control user, atomic, recorded."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from typer.testing import CliRunner

from agent.cli import app
from agent.store import (
    decisions,
    insert_drafts,
    list_drafts,
    open_store,
    recent_contacts,
    start_batch,
)
from agent.store.audit import list_audit
from agent.store.export import EXPORT_COLUMNS, export_batch
from tests.agent.conftest import CONFIG, draft

runner = CliRunner()


def winback(*args: str, db: str):
    return runner.invoke(app, [*args, "--db", db, "--reviewer", "alice"])


def snapshot(engine: Engine) -> tuple:
    return (
        [(d["id"], d["status"], d["exported_at"]) for d in list_drafts(engine)],
        len(list_audit(engine)),
        len(list(recent_contacts(engine, datetime(2000, 1, 1, tzinfo=UTC)))),
    )


def test_export_flow(engine: Engine, db_url: str, seed, tmp_path: Path) -> None:
    batch_id = seed()
    out, control = tmp_path / "send.csv", tmp_path / "control.csv"
    # pending drafts: refused, nothing written
    res = winback("export", batch_id, "--out", str(out), db=db_url)
    assert res.exit_code == 2 and "still has 8 pending draft(s)" in res.stderr
    assert "--partial" in res.stderr and not out.exists()

    assert (
        winback("queue", "approve", "--batch", batch_id, "--all-passing", db=db_url).exit_code == 0
    )
    res = winback(
        "export",
        batch_id,
        "--out",
        str(out),
        "--control-out",
        str(control),
        "--partial",
        "--json",
        db=db_url,
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["rows"] == 6 and summary["control_rows"] == 2 and summary["pending_left"] == 2
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert {r["arm"] for r in rows} == {"baseline", "treatment"}
    assert rows[0]["address"].endswith("@example.com") and rows[0]["incentive_code"].startswith(
        "BACK"
    )
    with control.open() as fh:
        assert {r["user_id"] for r in csv.DictReader(fh)} == {"u00000", "u00001"}
    exported = [d for d in list_drafts(engine, batch_id=batch_id) if d["exported_at"]]
    assert len(exported) == 6
    since = datetime.now(UTC) - timedelta(minutes=5)
    assert sorted(u for u, _, _ in recent_contacts(engine, since)) == sorted(
        r["user_id"] for r in rows
    )

    # decide the rest, export again: only the new approval, JSONL
    blocked = [d["id"] for d in list_drafts(engine, batch_id=batch_id) if d["verdict"] == "block"]
    warned = [d["id"] for d in list_drafts(engine, batch_id=batch_id) if d["verdict"] == "warn"]
    assert winback("queue", "approve", str(warned[0]), db=db_url).exit_code == 0
    assert (
        winback("queue", "reject", str(blocked[0]), "--reason", "creepy", db=db_url).exit_code == 0
    )
    out2 = tmp_path / "send2.jsonl"
    res = winback("export", batch_id, "--out", str(out2), "--format", "jsonl", db=db_url)
    assert res.exit_code == 0, res.output
    lines = [json.loads(line) for line in out2.read_text().splitlines()]
    assert [r["draft_id"] for r in lines] == warned
    assert [a["action"] for a in list_audit(engine, batch_id=batch_id)][-1] == "export"
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("{tmp}/missing/send.csv", "does not exist"),
        ("{tmp}", "is a folder"),
        ("{readonly}/send.csv", "Cannot write"),
        # writable by the checks even for root, fails when written: the transaction rolls back
        ("/proc/winback-send.csv", "Cannot write /proc/winback-send.csv"),
    ],
)
def test_unwritable_export_path_changes_nothing(
    engine: Engine, db_url: str, seed, tmp_path: Path, out: str, message: str
) -> None:
    batch_id = seed()
    assert (
        winback("queue", "approve", "--batch", batch_id, "--all-passing", db=db_url).exit_code == 0
    )
    readonly = tmp_path / "ro"
    readonly.mkdir()
    readonly.chmod(0o500)
    before = snapshot(engine)
    try:
        target = out.format(tmp=tmp_path, readonly=readonly)
        res = winback("export", batch_id, "--out", target, "--partial", db=db_url)
        if os.geteuid() == 0 and "readonly" in out and res.exit_code == 0:
            pytest.skip("root can write to a read-only folder")
        assert res.exit_code == 2, res.output
        assert message in res.stderr
    finally:
        readonly.chmod(0o700)
    assert snapshot(engine) == before


def test_export_bad_input(engine: Engine, db_url: str, seed, tmp_path: Path) -> None:
    batch_id = seed()
    before = snapshot(engine)
    res = winback("export", "b-nope", "--out", str(tmp_path / "x.csv"), db=db_url)
    assert res.exit_code == 2 and "Batch 'b-nope' is not in the queue" in res.stderr
    res = winback(
        "export", batch_id, "--out", str(tmp_path / "x.csv"), "--format", "xml", db=db_url
    )
    assert res.exit_code == 2 and "Unknown export format 'xml'" in res.stderr
    same = str(tmp_path / "x.csv")
    res = winback("export", batch_id, "--out", same, "--control-out", same, "--partial", db=db_url)
    assert res.exit_code == 2 and "same file" in res.stderr
    assert snapshot(engine) == before and not list(tmp_path.glob("*.csv"))


ARM = st.sampled_from(["control", "baseline", "treatment"])
VERDICT = st.sampled_from(["pass", "warn", "block"])
ACTION = st.sampled_from(["approve", "reject", "override", "leave"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    users=st.lists(st.tuples(ARM, VERDICT, ACTION), min_size=1, max_size=30),
    bulk=st.booleans(),
    fmt=st.sampled_from(["csv", "jsonl"]),
)
def test_never_a_control_user_in_an_export(users, bulk: bool, fmt: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_store(f"sqlite:///{tmp}/q.db")
        batch_id = start_batch(engine, "prop", "fp", config=CONFIG, prompts={}).batch_id
        rows = [draft(i, arm, verdict) for i, (arm, verdict, _) in enumerate(users)]
        insert_drafts(engine, batch_id, "prop", rows)
        by_user = {d["user_id"]: d for d in list_drafts(engine, batch_id=batch_id)}
        if bulk:
            decisions.approve_all_passing(engine, batch_id, "alice")
        for i, (_, _, action) in enumerate(users):
            d = by_user[f"u{i:05d}"]
            try:
                if action == "approve":
                    decisions.approve(engine, d["id"], "alice")
                elif action == "override":
                    decisions.approve(engine, d["id"], "alice", override_reason="checked")
                elif action == "reject":
                    decisions.reject(engine, d["id"], "alice", "no")
            except Exception as exc:  # control, blocked or already decided: refused
                assert "WinbackError" in type(exc).__name__
        out = Path(tmp) / f"send.{fmt}"
        export_batch(engine, batch_id, out, fmt=fmt, partial=True, control_out=Path(tmp) / "c.csv")
        if fmt == "csv":
            with out.open() as fh:
                exported = [r["user_id"] for r in csv.DictReader(fh)]
        else:
            exported = [json.loads(line)["user_id"] for line in out.read_text().splitlines()]
        control = {f"u{i:05d}" for i, (arm, _, _) in enumerate(users) if arm == "control"}
        approved = {d["user_id"] for d in list_drafts(engine, batch_id=batch_id, status="approved")}
        assert not control & set(exported)
        assert set(exported) == approved and len(exported) == len(set(exported))
        engine.dispose()


# --- ESP presets (README: "Export presets") -------------------------------------------

FIELDS = {
    "subject": "Sam, your next yoga class is waiting",
    "preheader": "Pick up where you left off.",
    "body": "Hi Sam, your favorite yoga classes are still here.\nCome back any time.",
    "call_to_action": "Book a class",
}


def esp_rows(personal: bool = False) -> list[dict]:
    """Two e-mail drafts composed as the run composes them, one SMS and one control user."""
    from agent.drafts.compose import compose

    subject, body = compose("email", FIELDS)
    values = {"favorite_category": "yoga", "incentive": "20% off your next month"}
    person = {"first_name": "Sam", "values": values}
    rows = [
        draft(0, "control", segment="Weekend warriors"),
        draft(1, "baseline", subject=subject, body=body, personalization=person),
        draft(2, subject=subject, body="Glad to see you, Sam.\n\n" + body,
              variant="c0-email-v1+personal", personalization=person),
        draft(3, channel="sms", address="+12025550103", subject=None,
              body="Hi Sam, yoga misses you. Reply STOP to opt out.", personalization=person),
    ]  # fmt: skip
    return rows


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize(
    ("preset", "channel", "first_columns"),
    [
        ("braze", None, ["external_id", "email", "phone", "first_name"]),
        ("klaviyo", "email", ["Email", "First Name", "External ID"]),
        ("klaviyo", "sms", ["Phone Number", "First Name", "External ID"]),
        ("mailchimp", "email", ["Email Address", "First Name", "User ID"]),
    ],
)
def test_presets_use_each_esps_import_columns(
    engine: Engine, db_url: str, seed, tmp_path: Path, preset: str, channel: str | None,
    first_columns: list[str],
) -> None:  # fmt: skip
    batch_id = seed(esp_rows())
    assert (
        winback("queue", "approve", "--batch", batch_id, "--all-passing", db=db_url).exit_code == 0
    )
    out, control = tmp_path / "send.csv", tmp_path / "control.csv"
    old = os.umask(0o022)
    try:
        args = ["export", batch_id, "--out", str(out), "--control-out", str(control)]
        args += ["--preset", preset, "--link", "https://brand.example/back?ref=mail", "--json"]
        res = winback(*args, *(["--channel", channel] if channel else []), db=db_url)
    finally:
        os.umask(old)
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    rows = read_csv(out)
    header = list(rows[0])
    assert header[: len(first_columns)] == first_columns
    assert oct(out.stat().st_mode & 0o777) == "0o644" == "0o" + summary["file_mode"][1:]
    assert oct(control.stat().st_mode & 0o777) == "0o644"
    title = preset in ("klaviyo", "mailchimp")
    key = (
        (lambda k: k.replace("_", " ").title().replace("Html", "HTML").replace("Id", "ID"))
        if title
        else str
    )
    merge = "Favorite Category" if title else "favorite_category"
    assert merge in header and "Incentive" not in header and "incentive" not in header
    by_user = {r[key("draft_id")]: r for r in rows}
    assert len(by_user) == len(rows) and all(r[merge] == "yoga" for r in rows)
    emails = [r for r in rows if r[key("channel")] == "email"]
    if channel != "sms":
        assert len(emails) == 2 and summary["email_parts_not_separated"] == 0
        for r in emails:
            assert r[key("subject")] == FIELDS["subject"]
            assert r[key("preheader")] == FIELDS["preheader"]
            assert r[key("call_to_action")] == FIELDS["call_to_action"]
            assert FIELDS["preheader"] not in r[key("body_text")]
            assert (
                "Book a class: https://brand.example/back?ref=mail&utm_source="
                in r[key("body_text")]
            )
            html = r[key("body_html")]
            assert html.startswith("<!DOCTYPE html>") and ">Book a class</a>" in html
            assert "utm_medium=email" in r[key("link")] and "utm_campaign=spring" in r[key("link")]
            assert "unsubscribe" in r[key("body_text")]
        personal = next(r for r in emails if r[key("variant")].endswith("+personal"))
        assert personal[key("body_text")].startswith("Glad to see you, Sam.")
    else:
        assert [r["Phone Number"] for r in rows] == ["+12025550103"]
        assert rows[0][key("body_text")].endswith("Reply STOP to opt out.")
    if preset == "braze":
        assert {r["email"] for r in emails} == {"user1@example.com", "user2@example.com"}
        assert all(r["first_name"] == "Sam" for r in rows)
    assert read_csv(control) == [
        {"user_id": "u00000", "arm": "control", "segment": "Weekend warriors", "batch_id": batch_id}
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "nope"], "Unknown export preset 'nope'"),
        (["--preset", "klaviyo"], "A klaviyo import file holds one channel"),
        (["--preset", "mailchimp"], "The mailchimp preset cannot import sms drafts"),
        (["--link", "brand.example"], "is not an http(s) URL"),
        (["--channel", "fax"], "Unknown channel 'fax'"),
    ],
)
def test_bad_preset_input_writes_nothing(
    engine: Engine, db_url: str, seed, tmp_path: Path, args: list[str], message: str
) -> None:
    batch_id = seed(esp_rows())
    assert (
        winback("queue", "approve", "--batch", batch_id, "--all-passing", db=db_url).exit_code == 0
    )
    before = snapshot(engine)
    out = tmp_path / "send.csv"
    res = winback("export", batch_id, "--out", str(out), *args, db=db_url)
    assert res.exit_code == 2, res.output
    assert message in res.stderr and "Traceback" not in res.output
    assert snapshot(engine) == before and not out.exists() and not list(tmp_path.glob(".*.tmp"))


def test_message_parts_follow_the_composed_layout() -> None:
    from agent.drafts.compose import EMAIL_FOOTER as COMPOSE_FOOTER
    from agent.drafts.compose import compose
    from agent.store.export_presets import EMAIL_FOOTER, message_parts

    assert EMAIL_FOOTER == COMPOSE_FOOTER
    subject, body = compose("email", FIELDS)
    parts = message_parts("email", subject, body, "c0-email-v1")
    assert (parts.preheader, parts.body, parts.call_to_action) == (
        FIELDS["preheader"],
        FIELDS["body"],
        FIELDS["call_to_action"],
    )
    assert parts.footer == EMAIL_FOOTER and parts.separated
    # a reviewer's edit that merged the paragraphs cannot be split: all of it stays in the body
    edited = message_parts("email", subject, "One paragraph only, edited.", "c0-email-v1")
    assert not edited.separated and edited.body == "One paragraph only, edited."
    assert edited.preheader == "" and edited.call_to_action == ""
    sms = message_parts("sms", None, "Hi. Reply STOP to opt out.", "c0-sms-v1")
    assert sms.body == "Hi. Reply STOP to opt out." and sms.separated
