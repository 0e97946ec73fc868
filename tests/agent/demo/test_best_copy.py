"""The demo's copy report: the best variant per segment and channel with its score; failures."""

from __future__ import annotations

from rich.console import Console

from agent.demo.best_copy import failure_sentence, show_best_variants

BLOCK = {
    "code": "third_party",
    "category": "quality",
    "severity": "block",
    "start": 0,
    "end": 3,
    "message": "'she' is someone other than the reader",
    "field": "variant.body",
}
SUMMARY = {
    "quality": {
        "best": [
            {
                "segment": "Silent loyalists",
                "channel": "push",
                "variant": "c0-push-v1",
                "verdict": "pass",
                "quality_score": 90,
                "revision": 0,
                "findings": [],
                "fields": {"title": "Your mat misses you", "body": "Book a yoga class today."},
            },
            {
                "segment": "Trial-and-gone",
                "channel": "email",
                "variant": "c1-email-v1",
                "verdict": "block",
                "quality_score": 55,
                "revision": 1,
                "findings": [BLOCK],
                "fields": {
                    "subject": "News",
                    "preheader": "Hello",
                    "body": "She loves yoga.",
                    "call_to_action": "Book",
                },
            },
        ],
        "by_channel": {
            "push": {
                "variants": 2,
                "candidates": 4,
                "pass_first_try": 2,
                "pass_after_revision": 0,
                "quality_blocked": 0,
                "guard_blocked": 0,
                "reasons": {},
            },
            "email": {
                "variants": 2,
                "candidates": 7,
                "pass_first_try": 0,
                "pass_after_revision": 1,
                "quality_blocked": 1,
                "guard_blocked": 0,
                "reasons": {"third_party": 1},
            },
        },
    }
}


def test_best_variants_are_shown_with_score_and_blocked_ones_say_why():
    console = Console(record=True, width=100)
    show_best_variants(SUMMARY, console)
    out = " ".join(console.export_text().split())
    assert "Silent loyalists · push" in out and "quality 90/100" in out and "pass" in out
    assert "Book a yoga class today." in out
    assert "Trial-and-gone · email" in out and "block" in out and "'she' is someone" in out
    assert "the model made every one good" in out  # push
    assert "could not make 1 good" in out and "wrote about other people (1)" in out  # email


def test_failure_sentence_counts_first_try_and_revised():
    line = failure_sentence("email", SUMMARY["quality"]["by_channel"]["email"])
    assert line.startswith("email: 0 of 2 variants passed") and "1 after a revision" in line
    assert "7 candidates written" in line
