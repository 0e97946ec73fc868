"""The demo's copy report: the best variant of each segment and channel, and what failed.

From the run's `quality` summary (`agent.run.quality_report`): one panel per
segment and channel with the best variant the gate allowed (its quality score,
verdict and revision), or, where the model could not write one that passes,
the best attempt marked blocked with its reasons. Then one plain sentence per
channel: how many variants passed first try, after a revision, and how many
the model could not make good and which rules stopped them. Nothing is
hidden: a blocked variant is shown as blocked, never as `pass`.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from agent.cli.display import verdict_text

FIELD_LABELS = {"preheader": "preheader", "call_to_action": "button"}
# the fields shown, per channel, after the subject or title line
BODY_FIELDS = {
    "email": ("preheader", "body", "call_to_action"),
    "sms": ("text",),
    "push": ("body",),
}
RULE_WORDS = {
    "second_person": "did not speak to the reader",
    "first_person_narrator": "told a first-person story",
    "third_party": "wrote about other people",
    "invented_specifics": "invented dates, places or names",
    "brand_world": "left the brand's world",
    "call_to_action": "had no single clear call to action",
    "readability": "too short, too long or hard to read",
    "subject_repeats_preheader": "repeated the subject in the preheader",
    "distinct_variants": "repeated another variant",
    "unfilled_placeholders": "had links or unfilled placeholders",
    "placeholder_articles": "put an article before the offer ('a little a free week')",
    "offer_mismatch": "left out the segment's offer, or offered one it has not",
    "invalid_llm_output": "was not a valid template",
}


def best_panel(best: dict[str, Any], width: int) -> Panel:
    """One segment and channel's best variant, with score, verdict and any reasons."""
    fields, channel = best["fields"], best["channel"]
    head_field = "subject" if channel == "email" else "title"
    text = Text()
    if fields.get(head_field):
        text.append(fields[head_field], style="bold")
        text.append("\n\n")
    for name in BODY_FIELDS[channel]:
        if fields.get(name):
            label = FIELD_LABELS.get(name)
            text.append(f"[{label}] " if label else "", style="dim")
            text.append(fields[name] + "\n")
    reasons = [f for f in best["findings"] if f["severity"] == "block"]
    for f in reasons[:4]:
        text.append(f"\n  - {f['message']}", style="red")
    score = best.get("quality_score")
    subtitle = Text.assemble(
        verdict_text(best["verdict"]),
        f"  ·  quality {score if score is not None else '-'}/100",
        f"  ·  revision {best['revision']}",
    )
    return Panel(
        text,
        title=Text(f"{best['segment']} · {channel} · best variant {best['variant']}"),
        subtitle=subtitle,
        width=width,
    )


def failure_sentence(channel: str, stats: dict[str, Any]) -> str:
    """How one channel's variants fared, in one plain sentence."""
    bad = stats["quality_blocked"] + stats["guard_blocked"]
    line = (
        f"{channel}: {stats['pass_first_try']} of {stats['variants']} variants passed the "
        f"quality gate and the guardrails first try, {stats['pass_after_revision']} after a "
        f"revision ({stats['candidates']} candidates written)"
    )
    if not bad:
        return line + "; the model made every one good."
    why = ", ".join(
        f"{RULE_WORDS.get(code, code)} ({n})" for code, n in list(stats["reasons"].items())[:4]
    )
    return (
        f"{line}; the embedded model could not make {bad} good, kept blocked for a reviewer: {why}."
    )


def show_best_variants(summary: dict[str, Any], console: Console) -> None:
    """Print the best variant per segment and channel, then what the model could not make good."""
    quality = summary.get("quality") or {}
    width = min(console.width, 90)
    for best in quality.get("best", []):
        console.print(best_panel(best, width))
    for channel, stats in (quality.get("by_channel") or {}).items():
        console.print(failure_sentence(channel, stats), highlight=False)
