"""Sense checks for what the model returns, beyond what the schema can say.

A 135M model fills a valid schema with nonsense ("pain_point": "1.5"). These
checks return a list of problems written so the model can fix them when they
are fed back, and so a reviewer can read them when the output is rejected.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[A-Za-z]{2,}")
NUMBERISH = re.compile(r"^[\s\d.,%+\-$€£/:]*$")


def text_problems(field: str, value: str, *, min_words: int = 1, max_chars: int = 400) -> list[str]:
    """Problems with a free-text field: empty, a number, too few words, too long."""
    text = value.strip()
    if not text:
        return [f"{field} is empty"]
    if NUMBERISH.match(text):
        return [f"{field} must be words, not a number ({text!r})"]
    words = WORD.findall(text)
    if len(words) < min_words:
        return [f"{field} needs at least {min_words} word(s), got {text!r}"]
    if len(text) > max_chars:
        return [f"{field} is too long ({len(text)} characters, at most {max_chars})"]
    if text.lower().replace("_", " ") == field.replace("_", " "):
        return [f"{field} repeats the field name instead of a value"]
    return []


def list_problems(field: str, values: list[str], *, min_items: int = 1) -> list[str]:
    """Problems with a list of short texts."""
    if len(values) < min_items:
        return [f"{field} needs at least {min_items} item(s)"]
    problems: list[str] = []
    for i, value in enumerate(values):
        problems += text_problems(f"{field}[{i}]", value, max_chars=200)
    if len({v.strip().lower() for v in values}) < len(values):
        problems.append(f"{field} has duplicate items")
    return problems
