"""No PII reaches the LLM: every request body in every recorded cassette is scanned.

Non-negotiable 1 of the design. The scan uses the same offline Presidio
analyzer as the guardrails; any e-mail, phone, card, SSN, IBAN, IP address or
person's name in a prompt fails the suite, for cassettes recorded now and later.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from guardrails.pii_engine import analyze_texts

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
ENTITIES = [
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
    "PERSON",
]
MIN_SCORE = 0.5
# spaCy's small model tags fragments of JSON as PERSON; a name is capitalized words
NAME_SHAPE = re.compile(r"^[A-Z][a-zA-Z'\-]+(?: [A-Z][a-zA-Z'\-]+)*$")


def request_texts(cassette: Path) -> list[str]:
    """The message contents of every request in a cassette."""
    data = yaml.safe_load(cassette.read_text(encoding="utf-8")) or {}
    texts = []
    for interaction in data.get("interactions", []):
        body = interaction["request"].get("body")
        if not body:
            continue
        payload = json.loads(body)
        for message in payload.get("messages", []):
            content = message.get("content")
            if isinstance(content, str):
                texts.append(content)
            elif isinstance(content, list):
                texts += [part.get("text", "") for part in content if isinstance(part, dict)]
    return texts


def pii_in(texts: list[str]) -> list[str]:
    hits = []
    for text, results in zip(texts, analyze_texts(texts, entities=ENTITIES), strict=True):
        for r in results:
            span = text[r.start : r.end].strip()
            if r.entity_type == "PERSON" and not NAME_SHAPE.match(span):
                continue
            if r.score >= MIN_SCORE:
                hits.append(f"{r.entity_type} {text[r.start : r.end]!r} (score {r.score:.2f})")
    return hits


CASSETTE_FILES = sorted(CASSETTES.rglob("*.yaml"))


def test_there_are_cassettes_to_scan():
    assert len(CASSETTE_FILES) >= 3


@pytest.mark.parametrize("cassette", CASSETTE_FILES, ids=lambda p: str(p.relative_to(CASSETTES)))
def test_no_pii_in_recorded_requests(cassette):
    texts = request_texts(cassette)
    assert texts, f"{cassette} has no request messages"
    assert pii_in(texts) == []


def test_the_scan_finds_planted_pii():
    planted = [
        "Write to maria.garcia@example.com or call +1 202 555 0143 today.",
        "Profile: Daniel Whitaker, card 4111 1111 1111 1111, from 192.168.10.24",
    ]
    found = " ".join(pii_in(planted))
    for kind in ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IP_ADDRESS", "PERSON"):
        assert kind in found
