"""Review flows over HTTP: batch and variant pages, variant decisions, four-eyes,
blocked overrides, edits re-checked, request changes, audit, exports, lift, bad input."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from agent.store.accounts import set_batch_runner
from agent.store.audit import list_audit
from agent.store.schema import drafts
from tests.agent.web.conftest import csrf_of, seed_batch


def statuses(engine, batch_id: str, variant: str) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(drafts.c.status, func.count())
            .where(drafts.c.batch_id == batch_id, drafts.c.variant == variant)
            .group_by(drafts.c.status)
        ).all()
    return dict(rows)


def first_draft(engine, batch_id: str, variant: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.min(drafts.c.id)).where(
                drafts.c.batch_id == batch_id, drafts.c.variant == variant
            )
        ).scalar_one()


def decide(client, batch_id: str, variant: str, **data):
    page = client.get(f"/batches/{batch_id}/variants/{variant}")
    return client.post(
        f"/batches/{batch_id}/variants/{variant}/decide", data={"csrf": csrf_of(page.text), **data}
    )


def test_batch_page_shows_counts_and_variants(client_for, batch_id) -> None:
    html = client_for("ana").get(f"/batches/{batch_id}").text
    for text in (
        "Review progress",
        "control 6",
        "baseline 6",
        "treatment 48",
        "v-calm",
        "v-knee",
        "Silent loyalists",
        "0 of 54 drafts decided",
    ):
        assert text in html, text


def test_variant_page_shows_template_samples_baseline_outliers_users(client_for, batch_id) -> None:
    html = client_for("ana").get(f"/batches/{batch_id}/variants/v-streak").text
    assert "Hi {{ first_name }}, you logged 37 {{ favorite_category }} sessions" in html
    assert html.count('class="message') >= 5  # five samples (+ outliers)
    assert "we miss you at the studio" in html  # the segment's baseline copy
    assert "Outliers" in html and 'class="sev-warn"' in html  # a warned user, span highlighted
    assert "u004" in html and "u028" in html  # the users it covers


def test_approve_variant_decides_every_pending_draft_once(client_for, batch_id, web_engine) -> None:
    response = decide(client_for("ana"), batch_id, "v-calm", action="approve")
    assert response.status_code == 303
    assert statuses(web_engine, batch_id, "v-calm") == {"approved": 8}
    page = client_for("ana").get(response.headers["location"]).text
    assert "Variant approved for 8 users" in page and "by ana" in page
    entry = [
        e for e in list_audit(web_engine, batch_id=batch_id) if e["action"] == "approve_variant"
    ]
    assert len(entry) == 1 and len(entry[0]["draft_ids"]) == 8 and entry[0]["actor"] == "ana"


def test_a_stale_form_is_told_who_decided(client_for, batch_id, web_engine) -> None:
    ana, bob = client_for("ana"), client_for("bob")
    bobs_form = bob.get(f"/batches/{batch_id}/variants/v-calm").text  # bob opens the page
    assert decide(ana, batch_id, "v-calm", action="approve").status_code == 303
    late = bob.post(
        f"/batches/{batch_id}/variants/v-calm/decide",
        data={"csrf": csrf_of(bobs_form), "action": "reject", "reason_code": "off brand"},
    )
    assert late.status_code == 409
    assert "already approved by ana at" in late.text and "Nothing was changed" in late.text
    assert statuses(web_engine, batch_id, "v-calm") == {"approved": 8}


def test_blocked_variant_needs_an_admin_and_a_reason(client_for, batch_id, web_engine) -> None:
    reviewer = decide(client_for("ana"), batch_id, "v-knee", action="approve")
    assert reviewer.status_code == 400 and "blocked by the guardrails" in reviewer.text
    admin = client_for("root")
    no_reason = decide(admin, batch_id, "v-knee", action="approve")
    assert no_reason.status_code == 400
    assert statuses(web_engine, batch_id, "v-knee") == {"pending": 8}
    ok = decide(admin, batch_id, "v-knee", action="approve", override_reason="legal cleared it")
    assert ok.status_code == 303
    assert statuses(web_engine, batch_id, "v-knee") == {"approved": 8}
    entry = [
        e for e in list_audit(web_engine, batch_id=batch_id) if e["action"] == "approve_variant"
    ]
    assert entry[0]["after"]["override"] is True and entry[0]["reason"] == "legal cleared it"


def test_reject_needs_a_reason_from_the_list(client_for, batch_id, web_engine) -> None:
    ana = client_for("ana")
    assert decide(ana, batch_id, "v-owl", action="reject").status_code == 400
    assert decide(ana, batch_id, "v-owl", action="reject", reason_code="other").status_code == 400
    assert decide(ana, batch_id, "v-owl", action="reject", reason_code="made up").status_code == 400
    assert statuses(web_engine, batch_id, "v-owl") == {"pending": 12}
    ok = decide(
        ana, batch_id, "v-owl", action="reject", reason_code="off brand", reason_text="too chummy"
    )
    assert ok.status_code == 303
    assert statuses(web_engine, batch_id, "v-owl") == {"rejected": 12}
    with web_engine.connect() as conn:
        reasons = set(
            conn.execute(
                select(drafts.c.decision_reason).where(
                    drafts.c.batch_id == batch_id, drafts.c.variant == "v-owl"
                )
            ).scalars()
        )
    assert reasons == {"off brand: too chummy"}


def test_request_changes_keeps_the_variant_pending(client_for, batch_id, web_engine) -> None:
    ana = client_for("ana")
    assert (
        decide(ana, batch_id, "v-streak", action="request_changes", message="").status_code == 400
    )
    ok = decide(ana, batch_id, "v-streak", action="request_changes", message="drop the time")
    assert ok.status_code == 303
    assert set(statuses(web_engine, batch_id, "v-streak")) == {"pending"}
    assert "Changes requested by ana" in ana.get(ok.headers["location"]).text


def test_edit_is_rechecked_and_the_editor_cannot_approve_it(
    client_for, batch_id, web_engine
) -> None:
    ana = client_for("ana")
    draft_id = first_draft(web_engine, batch_id, "v-knee")
    page = ana.get(f"/drafts/{draft_id}").text
    assert 'class="sev-block"' in page  # the finding highlighted in place
    clean = (
        "Hi there, new yoga classes are on the timetable. "
        "You can unsubscribe from these e-mails at any time."
    )
    saved = ana.post(f"/drafts/{draft_id}/edit", data={"csrf": csrf_of(page), "body": clean})
    assert saved.status_code == 303 and "edited-pass" in saved.headers["location"]
    assert "re-checked by the guardrails: verdict" in ana.get(saved.headers["location"]).text
    again = ana.get(f"/drafts/{draft_id}").text
    own = ana.post(f"/drafts/{draft_id}/approve", data={"csrf": csrf_of(again)})
    assert own.status_code == 403 and "Four-eyes" in own.text and "you edited" in own.text
    # the editor cannot approve the variant either; another reviewer can approve the draft
    assert decide(ana, batch_id, "v-knee", action="approve").status_code == 403
    bob = client_for("bob")
    other = bob.post(f"/drafts/{draft_id}/approve", data={"csrf": csrf_of(bob.get("/").text)})
    assert other.status_code == 303
    edits = [e for e in list_audit(web_engine, batch_id=batch_id) if e["action"] == "edit"]
    assert edits[0]["actor"] == "ana" and edits[0]["after"]["verdict"] == "pass"
    audit = bob.get(f"/batches/{batch_id}/audit").text
    assert "knee injury" in audit and "new yoga classes are on the timetable" in audit  # the diff


def test_an_edit_that_adds_a_problem_is_blocked(client_for, batch_id, web_engine) -> None:
    ana = client_for("ana")
    draft_id = first_draft(web_engine, batch_id, "v-calm")
    page = ana.get(f"/drafts/{draft_id}").text
    bad = "Hi Sam, since your knee injury and your depression you skipped yoga."
    saved = ana.post(f"/drafts/{draft_id}/edit", data={"csrf": csrf_of(page), "body": bad})
    assert "edited-block" in saved.headers["location"]


def test_four_eyes_refuses_who_ran_the_batch_unless_the_campaign_relaxes_it(
    client_for, web_engine
) -> None:
    strict = seed_batch(web_engine)
    set_batch_runner(web_engine, strict, "ana")
    refused = decide(client_for("ana"), strict, "v-calm", action="approve")
    assert refused.status_code == 403 and "you ran batch" in refused.text
    relaxed = seed_batch(web_engine, {"four_eyes": False})
    set_batch_runner(web_engine, relaxed, "ana")
    assert decide(client_for("ana"), relaxed, "v-calm", action="approve").status_code == 303
    entry = [
        e for e in list_audit(web_engine, batch_id=relaxed) if e["action"] == "approve_variant"
    ]
    assert entry[0]["after"]["four_eyes"] == "relaxed by the campaign setting"


def test_export_approved_and_control_list(client_for, batch_id) -> None:
    decide(client_for("ana"), batch_id, "v-calm", action="approve")
    mia = client_for("mia")
    page = mia.get(f"/batches/{batch_id}").text
    refused = mia.post(f"/batches/{batch_id}/export", data={"csrf": csrf_of(page)})
    assert refused.status_code == 409 and "pending" in refused.text
    ok = mia.post(f"/batches/{batch_id}/export", data={"csrf": csrf_of(page), "partial": "on"})
    assert ok.status_code == 200 and "attachment" in ok.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(ok.text)))
    assert len(rows) == 8 and {r["variant"] for r in rows} == {"v-calm"}
    control = mia.get(f"/batches/{batch_id}/control.csv")
    users = [r["user_id"] for r in csv.DictReader(io.StringIO(control.text))]
    assert users == ["u000", "u010", "u020", "u030", "u040", "u050"]
    assert not set(users) & {r["user_id"] for r in rows}


def test_lift_upload_shows_chart_and_verdict(client_for, batch_id) -> None:
    mia = client_for("mia")
    page = mia.get(f"/batches/{batch_id}/lift").text
    lines = ["user_id,converted"] + [f"u{i:03d},{1 if i % 3 == 0 else 0}" for i in range(60)]
    response = mia.post(
        f"/batches/{batch_id}/lift",
        data={"csrf": csrf_of(page)},
        files={"outcomes": ("outcomes.csv", "\n".join(lines).encode(), "text/csv")},
    )
    assert response.status_code == 200
    assert "<svg" in response.text and "Treatment converted" in response.text
    assert "95% CI" in response.text


def test_bad_outcomes_uploads_are_refused_clearly(client_for, batch_id) -> None:
    mia = client_for("mia")
    page = mia.get(f"/batches/{batch_id}/lift").text
    cases = [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not a CSV text file"),
        (b"user,bought\nu001,1\n", "missing column(s) user_id, converted"),
        (b"user_id,converted\nu001,yes\n", "row 2, column converted"),
    ]
    for data, message in cases:
        response = mia.post(
            f"/batches/{batch_id}/lift",
            data={"csrf": csrf_of(page)},
            files={"outcomes": ("outcomes.csv", data, "text/csv")},
        )
        assert response.status_code == 400, message
        assert message in response.text and "outcomes.csv" in response.text
        assert "/tmp/" not in response.text
    empty = mia.post(f"/batches/{batch_id}/lift", data={"csrf": csrf_of(page)})
    assert empty.status_code == 400 and "No outcomes file" in empty.text


def test_unknown_batch_variant_draft_and_page_are_404_or_400(client_for, batch_id) -> None:
    ana = client_for("ana")
    missing = ana.get("/batches/b-00000000")
    assert missing.status_code == 404 and "does not exist" in missing.text
    assert ana.get(f"/batches/{batch_id}/variants/nope").status_code == 404
    assert ana.get("/drafts/999999").status_code == 404
    assert ana.get(f"/batches/{batch_id}?page=0").status_code == 400
    assert ana.get("/no/such/page").status_code == 404
