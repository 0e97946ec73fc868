"""Readability within a range: field lengths per channel, sentence length, Flesch reading ease.

"We hate you!" is too short to be a win-back e-mail; a 60-word sentence is too
long for anyone. Word ranges per channel and field, the longest sentence and
the Flesch reading-ease range of the main field come from the policy. Words
are counted outside placeholders; syllables by vowel groups, which is what
Flesch's formula was calibrated with.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from guardrails.quality.copy_text import CopyText, QualityContext
from guardrails.quality.rules import Hit

VOWELS = re.compile(r"[aeiouy]+")


def syllables(word: str) -> int:
    """Syllables of an English word by vowel groups (a silent final e dropped)."""
    w = word.lower().strip("'’")
    count = len(VOWELS.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(count, 1)


def flesch(words: list[str], sentences: int) -> float:
    """Flesch reading ease (higher is easier; 60-80 is plain English)."""
    if not words or not sentences:
        return 100.0
    syl = sum(syllables(w) for w in words)
    return 206.835 - 1.015 * (len(words) / sentences) - 84.6 * (syl / len(words))


def find(copy: CopyText, ctx: QualityContext, params: Mapping[str, Any]) -> list[Hit]:
    """Hits for a field too short or too long, a long sentence, or hard-to-read copy."""
    hits: list[Hit] = []
    ranges = params.get("words", {}).get(copy.channel, {})
    for name, text in copy.items():
        low, high = ranges.get(name, (0, 10_000))
        # a placeholder stands for about one word when the reader sees it
        n = len(copy.words(only=name)) + len(re.findall(r"\{\{", text))
        if n < low:
            hits.append(
                Hit(
                    name,
                    0,
                    len(text),
                    f"The {name} has {n} word(s); write at least {low} so it says something.",
                )
            )
        elif n > high:
            hits.append(Hit(name, 0, len(text), f"The {name} has {n} words; keep it to {high}."))
    longest = int(params.get("max_sentence_words", 30))
    for name, sentence, at in copy.sentences():
        n = len(re.findall(r"[A-Za-z][A-Za-z'’]*|\{\{", sentence))
        if n > longest:
            hits.append(
                Hit(
                    name,
                    at,
                    at + len(sentence),
                    f"A {n}-word sentence; keep sentences under {longest} words.",
                )
            )
    field, _ = copy.main
    words = [w.text for w in copy.words(only=field)]
    if len(words) >= int(params.get("flesch_min_words", 12)):
        score = flesch(words, max(len(copy.sentences(only=field)), 1))
        low, high = params.get("flesch", (30, 121))
        if not low <= score <= high:
            text = copy.fields.get(field) or ""
            hits.append(
                Hit(
                    field,
                    0,
                    len(text),
                    f"Reading ease {score:.0f} is outside "
                    f"{low}-{high}: use short, everyday words and sentences.",
                )
            )
    return hits
