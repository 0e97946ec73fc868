"""A number that is PII only next to the word that names it ("passport 533380006").

Presidio scores context with a fixed boost: a passport-shaped string with
"passport" beside it reached 0.45, under the policy's 0.5, so passports and
licences were never reported. Here the keyword is part of the match: a
number of the right shape within a few words after one of the keywords (in
English, Spanish, French or German) is reported at `score`, and only the
number is the flagged span. `validate` can reject shapes (e.g. no digits).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from presidio_analyzer import LocalRecognizer, RecognizerResult

# between the keyword and the number: "no.", "number", "is", ":", "#" ... but no other digits
GAP_WORDS = r"no|nr|n[º°o]|number|numbers|num[ée]ro|número|nummer|is|es|est|ist|on file|de|du|of"
GAP = rf"(?:[^\S\n]|[:#.,]|\b(?:{GAP_WORDS})\b){{0,6}}?"


class KeywordNumberRecognizer(LocalRecognizer):
    """`entity` for a `number` pattern shortly after one of `keywords` (see module doc)."""

    def __init__(
        self,
        entity: str,
        name: str,
        keywords: str,
        number: str,
        score: float = 0.8,
        validate: Callable[[str], bool] | None = None,
    ) -> None:
        self.pattern = re.compile(
            rf"(?i:\b(?:{keywords}))\b{GAP}[^\S\n]*(?P<n>(?<![\w-]){number}(?![\w-]))"
        )
        self.score = score
        self.validate = validate
        super().__init__(supported_entities=[entity], name=name, supported_language="en")

    def load(self) -> None:
        """Nothing to load: the patterns are compiled in `__init__`."""

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        """One result per keyword-number pair whose number passes `validate`."""
        entity = self.supported_entities[0]
        if entities and entity not in entities:
            return []
        out = []
        for m in self.pattern.finditer(text):
            number = m.group("n")
            if sum(c.isdigit() for c in number) < 3:
                continue
            if self.validate and not self.validate(number):
                continue
            out.append(RecognizerResult(entity, m.start("n"), m.end("n"), self.score))
        return out


def passport_recognizer() -> KeywordNumberRecognizer:
    """Passport numbers after 'passport', 'pasaporte', 'passeport', 'Reisepass'."""
    return KeywordNumberRecognizer(
        "PASSPORT",
        "PassportKeywordRecognizer",
        r"passports?|pasaportes?|passeports?|reisepass|reisepässe|pass(?:port)? no",
        r"(?:[A-Z]{2}[^\S\n]?)?[A-Z0-9]{6,9}",
    )


def driving_licence_recognizer() -> KeywordNumberRecognizer:
    """Driving-licence numbers after the licence words, and UK licences by shape."""
    return KeywordNumberRecognizer(
        "DRIVER_LICENSE",
        "DrivingLicenceKeywordRecognizer",
        r"driv(?:ing|er'?s?) licen[cs]es?|licen[cs]e|permis(?: de conduire)?|"
        r"f[üu]hrerschein|carn[ée]t? de conducir|permiso de conducir",
        r"[A-Z0-9]{6,18}",
        validate=lambda n: any(c.isdigit() for c in n) and not n.isalpha(),
    )


def tax_id_recognizer() -> KeywordNumberRecognizer:
    """Tax and social-security identifiers named as such (Steuer-ID, tax ID, NIF ...)."""
    return KeywordNumberRecognizer(
        "NATIONAL_ID",
        "TaxIdKeywordRecognizer",
        r"steuer-?id|steuer-?identifikationsnummer|idnr|tax[- ]?id|tin|nif|"
        r"national id|id card|personalausweis|sozialversicherungsnummer",
        r"\d{2}[^\S\n]?\d{3}[^\S\n]?\d{3}[^\S\n]?\d{3}|[A-Z0-9]{8,12}",
    )
