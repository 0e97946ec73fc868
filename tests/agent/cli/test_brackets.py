"""Data printed by the human-readable reports keeps its square brackets.

Rich reads `[...]` as console markup; LLM-written names and copy, paths and
model names must print literally (the `--json` output never went through rich).
The CLI tests of guard, queue, review and prompts eval cover their commands;
these cover the report printers of run, segments preview and demo, and the
progress labels, on hand-made summaries.
"""

from __future__ import annotations

import io

from rich.console import Console

from agent.cli.demo import show as show_demo
from agent.cli.run import print_summary
from agent.cli.segments import show as show_preview
from agent.run.progress import StageProgress

NAME = "[vip] lapsed [/b]"
ANGLE = "Use [link] to bring them back"
SUBJECT = "[b]Back[/b] for you"
BODY = "Hi [FIRST NAME], come back: [link] [/bold] Reply STOP"
FINDING = "Unresolved placeholder or template syntax: '[FIRST NAME]'"
LLM = {
    "provider": "openai",
    "model": "my[/model]",
    "calls": 2,
    "cached_calls": 1,
    "input_tokens": 10,
    "output_tokens": 5,
    "cost_usd": None,
}
SEGMENT = {
    "name": NAME,
    "size": 12,
    "source": "llm",
    "incentive_tier": "none",
    "message_angle": ANGLE,
    "defining_traits": ["likes [yoga]"],
}
SAMPLE = {
    "segment": NAME,
    "channel": "sms",
    "variant": "c0-sms-[/v1]",
    "subject": SUBJECT,
    "body": BODY,
    "verdict": "block",
    "findings": [{"message": FINDING, "field": "text", "start": 3, "end": 15}],
}
USERS = {
    "cohort": 20,
    "invalid_skipped": 0,
    "activated": 15,
    "suppressed": 1,
    "eligible": 14,
    "control": 2,
    "baseline": 2,
    "treatment": 10,
}


def render(printer, data) -> str:
    out = io.StringIO()
    printer(data, Console(file=out, width=250))
    return out.getvalue()


def test_run_summary() -> None:
    summary = {
        "batch_id": "b-1234abcd",
        "campaign": "spring[/b]",
        "resumed": False,
        "seconds": 1.5,
        "users": USERS,
        "segments": [SEGMENT],
        "verdicts": {"pass": 1, "warn": 0, "block": 1},
        "drafts": {"messages": 2, "new": 2},
        "llm": LLM,
        "database": "sqlite:////tmp/[q]/queue.db",
    }
    shown = render(print_summary, summary)
    for text in ("(spring[/b])", NAME, ANGLE, "my[/model]", "sqlite:////tmp/[q]/queue.db"):
        assert text in shown, text


def test_segments_preview() -> None:
    result = {"segments": [SEGMENT], "samples": [SAMPLE], "llm": LLM}
    shown = render(show_preview, result)
    for text in (NAME, ANGLE, "likes [yoga]", SUBJECT, BODY, FINDING):
        assert text in shown, text


def test_demo_report() -> None:
    summary = {
        "users": USERS,
        "segments": [SEGMENT],
        "sample": [SAMPLE],
        "quality": {
            "best": [
                {
                    "segment": NAME,
                    "channel": "email",
                    "variant": "c0-sms-[/v1]",
                    "fields": {"subject": SUBJECT, "body": BODY},
                    "verdict": "block",
                    "findings": [{"message": FINDING, "severity": "block"}],
                    "quality_score": 40,
                    "revision": 1,
                }
            ],
        },
        "verdicts": {"pass": 1, "warn": 0, "block": 1},
        "drafts": {"messages": 2},
        "llm": LLM,
        "database": "sqlite:////tmp/[q]/queue.db",
        "seconds": 1.5,
        "next": ["winback lift b-1234abcd /tmp/[out]/outcomes.csv"],
    }
    shown = render(show_demo, summary)
    for text in (NAME, ANGLE, SUBJECT, BODY, FINDING, "c0-sms-[/v1]", "my[/model]"):
        assert text in shown, text
    assert "/tmp/[out]/outcomes.csv" in shown and "sqlite:////tmp/[q]/queue.db" in shown


def test_progress_labels_are_not_markup() -> None:
    progress = StageProgress(enabled=False)
    with progress, progress.stage("variants (LLM)", total=2) as task:
        task.describe(f"variants (LLM): {NAME} / sms")
        out = io.StringIO()
        Console(file=out, width=200).print(
            progress._progress.make_tasks_table(progress._progress.tasks)
        )
    assert f"variants (LLM): {NAME} / sms" in out.getvalue()
