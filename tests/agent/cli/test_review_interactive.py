"""`winback review` driven through CliRunner input: every key, edits re-checked."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from typer.testing import CliRunner

from agent.cli import app
from agent.drafts.check import batch_policy, check_edit
from agent.store import list_drafts
from agent.store.audit import list_audit
from tests.agent.conftest import draft

runner = CliRunner()


def review(db_url: str, keys: list[str], *extra: str, env: dict | None = None):
    return runner.invoke(
        app,
        ["review", "--db", db_url, "--reviewer", "rita", "--json", *extra],
        input="\n".join(keys) + "\n",
        env={"COLUMNS": "120", "EDITOR": "", "VISUAL": "", **(env or {})},
    )


def by_user(engine: Engine) -> dict[str, dict]:
    return {d["user_id"]: d for d in list_drafts(engine)}


def test_review_every_key(engine: Engine, db_url: str, seed) -> None:
    seed()
    # pending in id order: u2, u3 (baseline), u4..u7 (pass), u8 (warn), u9 (block)
    keys = [
        "a",  # u2 approved
        "s",  # u3 skipped
        "r", "",  # reject without reason: back to the menu
        "r", "too generic",  # u4 rejected
        "e", "Hi Sam, since your knee injury we miss you.", ".",  # u5 edited -> blocked
        "a", "",  # blocked: approve without override reason goes back
        "e", "Hi Sam, the yoga studio misses you. Unsubscribe anytime.", ".",  # edited again, clean
        "a",  # u5 approved
        "g", "y",  # u6 (seg-0): approve every passing draft of seg-0 -> u6
        "x",  # not a key: asked again
        "q",  # u7: quit
    ]  # fmt: skip
    res = review(db_url, keys)
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary == {
        "reviewer": "rita",
        "batch_id": None,
        "approved": 3,
        "rejected": 1,
        "edited": 2,
        "skipped": 1,
    }
    screen = res.stderr
    assert "email_variants@1" in screen and "20% off your next month" in screen
    assert "creepy_health" in screen or "health" in screen
    drafts = by_user(engine)
    assert drafts["u00002"]["status"] == "approved" and drafts["u00002"]["reviewer"] == "rita"
    assert drafts["u00003"]["status"] == "pending" and drafts["u00003"]["claimed_until"] is None
    assert drafts["u00004"]["decision_reason"] == "too generic"
    u5 = drafts["u00005"]
    assert u5["status"] == "approved" and u5["edited"] and u5["verdict"] == "pass"
    assert u5["body"] == "Hi Sam, the yoga studio misses you. Unsubscribe anytime."
    assert u5["original_body"].startswith("Hi Sam, your favorite yoga class")
    assert drafts["u00006"]["status"] == "approved"
    assert drafts["u00007"]["status"] == "pending" and drafts["u00007"]["claimed_until"] is None
    actions = [(a["action"], a["draft_ids"]) for a in list_audit(engine)]
    assert [a for a, _ in actions] == [
        "approve", "reject", "edit", "edit", "approve", "approve_all_passing"
    ]  # fmt: skip
    edits = [a for a in list_audit(engine) if a["action"] == "edit"]
    assert edits[0]["after"]["verdict"] == "block" and edits[1]["after"]["verdict"] == "pass"


def test_review_blocked_override_and_end_of_input(engine: Engine, db_url: str, seed) -> None:
    batch_id = seed()
    # skip the 7 drafts before the blocked one, then approve it with a reason
    keys = ["s"] * 7 + ["a", "legal cleared the wording"]
    res = review(db_url, keys, "--batch", batch_id)
    assert res.exit_code == 0, res.output
    blocked = by_user(engine)["u00009"]
    assert blocked["status"] == "approved"
    assert blocked["decision_reason"] == "legal cleared the wording"
    # input ends while drafts remain: stops cleanly, nothing left claimed
    res = review(db_url, ["a"])
    assert res.exit_code == 0, res.output
    assert "Stopped" in res.stderr
    assert all(d["claimed_until"] is None for d in list_drafts(engine, status="pending"))


def test_review_with_editor(engine: Engine, db_url: str, seed) -> None:
    seed()
    res = review(db_url, ["e", "a", "q"], env={"EDITOR": "sed -i s/Hi/Hello/"})
    assert res.exit_code == 0, res.output
    first = by_user(engine)["u00002"]
    assert first["body"].startswith("Hello Sam") and first["status"] == "approved"


def test_check_edit_checks_the_whole_edited_message() -> None:
    draft = {"id": 1, "channel": "email", "subject": "We saved your spot", "findings": []}
    verdict, findings = check_edit(draft, "Write to bob.smith@gmail.com, Sam.")
    assert verdict == "block" and any(f["category"] == "pii" for f in findings)
    assert check_edit(draft, "Hi Sam, the studio misses you. Unsubscribe anytime.") == (
        "pass",
        [],
    )
    creepy_subject = {**draft, "subject": "Since your divorce, a treat"}
    verdict, findings = check_edit(
        creepy_subject, "Hi Sam, the studio misses you. Unsubscribe anytime."
    )
    assert verdict == "block" and {f["field"] for f in findings} == {"subject"}


def test_check_edit_allows_what_the_run_allowed_and_uses_the_batch_policy(tmp_path) -> None:
    """An edit is judged like the run judged the draft: same names allowed, same policy."""
    from guardrails.policy import load_policy

    text = "Hi Maria, your Spin with Jo Lee class misses you."
    draft = {"id": 1, "channel": "email", "subject": "We saved your spot", "findings": []}
    verdict, findings = check_edit(draft, text + " Unsubscribe anytime.")
    assert verdict == "block" and "Jo Lee" in findings[0]["message"]  # without the run's values
    personal = {"first_name": "Maria", "values": {"favorite_class": "Spin with Jo Lee"}}
    with_values = {**draft, "personalization": personal}
    assert check_edit(with_values, text + " Unsubscribe anytime.") == ("pass", [])

    # this campaign's ESP appends the unsubscribe footer: its policy turns that rule off
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text("channels:\n  email:\n    unsubscribe_severity: 'off'\n")
    snapshot = {"guard_policy_snapshot": load_policy(policy_file).raw}
    policy = batch_policy({"id": "b-1", "config": snapshot})
    assert check_edit(with_values, text, policy) == ("pass", [])
    default = batch_policy({"id": "b-0", "config": {}})  # a batch from before snapshots
    assert check_edit(with_values, text, default)[0] == "block"


def test_review_screen_shows_square_brackets_literally(engine: Engine, db_url: str, seed) -> None:
    """Names and message text are data: `[vip]`, `[/i]` and `[link]` are not rich markup."""
    segment = "[vip]/[/i] lapsed"
    body = "Hi Sam, your class is back: [link] [/bold] Unsubscribe anytime."
    seed([draft(0, "control"), draft(4, segment=segment, body=body)])
    res = runner.invoke(
        app,
        ["review", "--db", db_url, "--reviewer", "dependabot[bot]"],
        input="g\ny\n",
        env={"COLUMNS": "200", "EDITOR": "", "VISUAL": ""},
    )
    assert res.exit_code == 0, res.output
    screen = res.stdout
    assert body in screen and segment in screen
    assert f"Approve every pending pass-verdict draft of segment '{segment}'" in screen
    assert f"Approved 1 passing draft(s) of segment '{segment}'." in screen
    assert "dependabot[bot]: 1 approved, 0 rejected, 0 edited, 0 skipped." in screen
    assert by_user(engine)["u00004"]["status"] == "approved"
