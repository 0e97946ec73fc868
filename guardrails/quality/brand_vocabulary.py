"""The brand's words: what `brand_world` and the name check accept as the brand's own.

A campaign may list its category and product words (`brand_words:`); the
brand's own copy (baseline copy and `examples:`) adds its content words, so a
campaign that lists none is still judged against the words it writes itself.
Function words and generic marketing words are not the brand's world.
"""

from __future__ import annotations

from collections.abc import Iterable

from guardrails.quality.copy_text import PLACEHOLDER, WORD, stem

_GENERIC_WORDS = """
a about after again all also an and any are as at back be been before being but by can
come could day days did do does done each even ever every for from get got great had has
have here hi hello how if in into is it its just keep know last let like little long look
made make many may me miss more most much my new next no not now of off on once one only
or other our out over own pick place ready really right same see since so some something
soon still such sure take than thank thanks that the their them then there these they
thing things this those time to today too up us very wait waiting want was way we welcome
well were what when where which while who why will with would yet you your yours offer
restart comeback left whenever suits unsubscribe e-mails emails time any at pace reply
stop opt enjoy gift
"""
GENERIC = frozenset(_GENERIC_WORDS.split())


def brand_stems(brand_words: Iterable[str] = (), copy_texts: Iterable[str] = ()) -> frozenset[str]:
    """Stems of the listed brand words plus the content words of the brand's own copy."""
    out = {stem(w) for w in brand_words if w.strip()}
    for text in copy_texts:
        for m in WORD.finditer(PLACEHOLDER.sub(" ", text)):
            word = m.group(0).lower()
            if len(word) > 3 and word not in GENERIC:
                out.add(stem(word))
    return frozenset(out)
