"""Which language a text is in, among the ones the semantic layer was trained on.

The heads learned English, Spanish, French and German. On anything else the
scores mean nothing, so the layer does not guess: it reports that the
meaning check did not run (`semantic_unsupported_language`, a warning) and
the other layers still apply. Detection counts very common function words of
each supported language; a text with at least `MIN_WORDS` words and none of
them, or one that fits Portuguese, Italian or Dutch function words better, or
mostly written in a script other than Latin, is unsupported. Short
texts ("Spin at 6!") are given the benefit of the doubt. Emoji, digits and
punctuation are ignored.
"""

from __future__ import annotations

import re

SUPPORTED = ("en", "es", "fr", "de")
MIN_WORDS = 4
FUNCTION_WORDS = {
    "en": "the a an and or to of in on for with your you we our is are it this that at by "
    "from be was were have has not do don't can will just more new all my me i",
    "es": "el la los las un una y o de del en con por para tu tus te su es son que al lo "
    "se no más nuestro nuestra ya hoy muy",
    "fr": "le la les un une et ou de des du en au aux avec pour ton ta tes te ne pas est "
    "sont que qui sur dans plus nous vous ce cette",
    "de": "der die das ein eine und oder zu von im in mit für dein deine dich dir ist sind "
    "nicht auf den dem des wir uns noch jetzt bei zum zur ab um aus mehr neue neuen "
    "deinen deinem an du ich sie wo wie hier bis bald kein keine jeden jede schon nur "
    "auch hast hat haben kannst kann wird gibt unser unsere unseren alle am vom beim über "
    "unter nach vor seit wieder dann heute",
}
# near neighbours the heads never saw: when one of them fits better, the text is unsupported
OTHER_WORDS = {
    "pt": "você não uma com os ao do da dos das seu sua hoje temos também está são",
    "it": "il gli della per con non sono che ti tuo tua oggi nostro nostra anche è",
    "nl": "het een van ik je jij niet met voor op zijn wij ons jouw vandaag ook",
}
_SETS = {lang: set(words.split()) for lang, words in FUNCTION_WORDS.items()}
_OTHER = {lang: set(words.split()) for lang, words in OTHER_WORDS.items()}
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def _latin_share(words: list[str]) -> float:
    letters = [c for w in words for c in w]
    latin = sum(1 for c in letters if c.isascii() or "\u00c0" <= c <= "\u024f")
    return latin / len(letters) if letters else 1.0


def detect_language(text: str) -> str | None:
    """'en', 'es', 'fr' or 'de'; None when the text is in none of them (see module doc)."""
    words = [w.lower() for w in WORD.findall(text)]
    if len(words) < MIN_WORDS:
        return "en" if _latin_share(words) >= 0.5 else None
    if _latin_share(words) < 0.5:
        return None
    hits = {lang: sum(w in vocab for w in words) for lang, vocab in _SETS.items()}
    best = max(hits, key=lambda lang: hits[lang])
    other = max(sum(w in vocab for w in words) for vocab in _OTHER.values())
    return best if hits[best] and hits[best] >= other else None
