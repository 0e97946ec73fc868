"""From Presidio results to reviewer findings, after the allow-list.

What may appear in a message is the recipient's own first name and the
allow-listed personalization values sent with it. Everything else PII-like
blocks. Concretely, for each Presidio result:
- entities the policy does not list (LOCATION, DATE_TIME, URL, NRP ...) are
  ignored: places and dates are ordinary marketing copy, and the sensitive
  parts of NRP (religion, politics, ethnicity) are the creepy rules' job;
- a result below the entity's `min_score` is ignored;
- PERSON needs at least `min_tokens` capitalized words in one run ("Anna
  Smith"), opening with a given name (`guardrails.given_names`: "Hot Sale",
  "Carrera Séptima" are not people): a lone first name ("Paris", "Georgia") is not another person's
  identity, nor is a greeting ("Hallo Lena", "Bonjour Hugo"), a place ("Oxford
  St") or the brand ("Pulse Gym"). A name after a professional title ("Dr
  Amina Yusuf", "Chef Marco", "Don Chema", "Coach Marie Dubois") is staff the
  brand introduces, not a customer's identity. In German copy PERSON is not reported:
  German capitalizes every noun and the English NER model (no German spaCy
  model is on the registry) reads "Kostenlose Lieferung" as a name;
- a PERSON or other `allow_in_values` entity inside an allow-listed value, or
  equal to the recipient's first name, is allowed. Format PII (e-mail, phone,
  card ...) is never allowed, not even inside a personalization value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from guardrails.findings import Finding, quote
from guardrails.given_names import is_given_name
from guardrails.policy import Policy
from guardrails.semantic.language import detect_language


def value_spans(text: str, values: Iterable[str]) -> list[tuple[int, int]]:
    """Every occurrence of every non-empty allow-listed value in `text`."""
    spans = []
    for value in {v for v in values if v and v.strip()}:
        start = text.find(value)
        while start >= 0:
            spans.append((start, start + len(value)))
            start = text.find(value, start + 1)
    return spans


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in spans)


# capitalized words spaCy tags as part of a name that are not one
NOT_NAME_WORDS = {
    "coach",
    "instructor",
    "trainer",
    "team",
    "dr",
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "hi",
    "hey",
    "hello",
    "dear",
    "reply",
    "text",
    "call",
    "book",
    "join",
    "meet",
    # greetings in Spanish, French and German ("Hallo Lena" is not a full name)
    "hola",
    "buenos",
    "buenas",
    "querida",
    "querido",
    "bonjour",
    "bonsoir",
    "salut",
    "coucou",
    "cher",
    "chère",
    "hallo",
    "liebe",
    "lieber",
    "servus",
    "moin",
    "alright",
    "morning",
    "hiya",
    "howdy",
    "welcome",
    "greetings",
    "guten",
    "morgen",
    "tag",
    "abend",
    "re",
    # titles in Spanish, French and German ("Dra. Ruiz", "Mme Leroy", "Frau Weber")
    "dra",
    "dre",
    "sr",
    "sra",
    "srta",
    "mme",
    "mlle",
    "herr",
    "frau",
    "prof",
    "chef",
    "don",
    "doña",
    "soy",
    # capitalized at the start of a sentence, never part of a name by themselves
    "the",
    "our",
    "your",
    "el",
    "la",
    "los",
    "las",
    "le",
    "les",
    "notre",
    "nuestra",
    "nuestro",
    "nuestros",
    "durante",
    "pendant",
    "unser",
    "unsere",
    "jeden",
    "jede",
    "keine",
    "neuer",
    "neue",
    "neues",
    # days, as schedules abbreviate them ("Strongman Sat", "Jeden Mittwoch")
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "lunes",
    "martes",
    "miércoles",
    "jueves",
    "viernes",
    "sábado",
    "domingo",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonntag",
    # months ("Octobre Rose", "Sale May"), in four languages
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
    "januar",
    "februar",
    "märz",
    "juni",
    "juli",
    "oktober",
    "dezember",
    # street and place words: "Oxford St", "Regent Street" are places, not people
    "st",
    "street",
    "rd",
    "road",
    "ave",
    "avenue",
    "lane",
    "square",
    "sq",
    "station",
    "park",
    "ln",
    "wharf",
    "calle",
    "avenida",
    "plaza",
    "paseo",
    "vía",
    "via",
    "gran",
    "rue",
    "boulevard",
    "quai",
    "place",
    "straße",
    "strasse",
    "platz",
    "playa",
    "punta",
    "isla",
    "islas",
    "île",
    "îles",
    "lac",
    "lago",
    "puerto",
    "norte",
    "sur",
    "nord",
    "sud",
    "gasse",
    "allee",
    "bridge",
    "town",
    "junction",
    "roundabout",
    "airport",
    "mall",
    "market",
    # businesses: "Pulse Gym" is the brand
    "gym",
    "club",
    "studio",
    "store",
    "shop",
    "cafe",
    "kitchen",
    "bank",
    "app",
    "plus",
    "pay",
    "sushi",
    "pizza",
    "burger",
    "grill",
    "bistro",
    "bar",
    # a product line after the brand: "Kora Go", "Kora Wallet", "Kora Send"
    *("go", "send", "wallet", "food", "foods", "access", "express", "delivery", "eats", "pro"),
    # function words that open a sentence capitalized ("Para Semana Santa", "Pour Noël",
    # "Durante Fiestas Patrias"): a name does not start with one (particles are kept apart)
    *("for", "during", "with", "from", "into", "this", "these", "every", "new", "para"),
    *("por", "con", "desde", "hasta", "su", "sus", "cada", "este", "esta", "nuevo", "nueva"),
    *("pour", "par", "avec", "dans", "chez", "nos", "votre", "vos", "ce", "cette", "chaque"),
    "nouveau",
    # holiday greetings: "Ramadan Mubarak to everyone celebrating", "Eid Kareem"
    *("mubarak", "moubarak", "kareem", "happy", "merry", "feliz", "joyeux", "frohe", "frohes"),
    # holidays and feasts named like people: "Selamat Hari Raya", "Día de Canarias",
    # "Carnaval de Santa Cruz", "Fête de la Saint-Jean"
    *("selamat", "raya", "día", "dia", "fête", "fiesta", "fiestas", "carnaval", "carnival"),
    *("santa", "santo", "san", "saint", "sainte", "sankt"),
}


# a professional title before (or opening) a name: staff the brand introduces, case-sensitive
STAFF_TITLE = re.compile(
    r"\b(?:Dr|Dra|Dre|Doctor|Doctora|Docteur|Docteure|Prof|Professor|Profesor|Profesora|"
    r"Professeur|Professeure|Chef|Coach|Maître|Don|Doña|Pfarrer|Pastor|Rabbi|Imam)\.?\s*$"
)


# a role the brand introduces someone by: "our teacher Amara Osei", "the historian Margaret
# Adeyemi", "el poeta Pere Vidal", "Notre comptable, M. Olivier Garnier" (our or the, then a
# person's role: a role word or an agent noun); after "your" only a role that serves the
# reader: "Votre conseillère dédiée, Mme Fabienne Roux", "Su liquidador, don Hernán Soto"
# ("your friend Ana Gil", "our records show Ana Gil" are not)
_LOW = r"[a-zà-öø-ÿ][a-zà-öø-ÿ-]*"
ROLES = (
    r"advis[eo]r|consultant|agent|manager|banker|pharmacist|stylist|barber|trainer|coach|"
    r"tutor|teacher|doctor|nurse|accountant|host|guide|driver|chef|poeta?|ejecutiv[oa]|"
    r"asesora?|liquidadora?|gestora?|agente|conseill[eè]re?|conseiller|infirmi[eè]re?|"
    r"comptable|gestionnaire|chargée?|interlocut(?:eur|rice)|coordinat(?:eur|rice)|"
    r"pharmacien(?:ne)?|historian|librarian|bookseller|founder|artist|guest|speaker"
)
# a person's role by its ending (teacher, historian, libraire is not, but coordinatrice is);
# things that end the same way are not roles
NOT_AGENT = (
    r"order|number|offer|counter|letter|newsletter|paper|water|winter|summer|cent(?:er|re)|"
    r"corner|folder|reminder|voucher|calendar|colour|color|floor|door|error|mirror|hour"
)
AGENT = (
    rf"(?!(?:{NOT_AGENT})\b)[a-zà-öø-ÿ]{{2,}}"
    r"(?:er|or|ist|ian|eur|euse|rice|ista|ero|era|ora|ier|ière|iste|ienne?)"
)
# an adjective after the role ("conseillère dédiée"), not a preposition ("the order for")
_ADJ = rf"(?:\s+(?!(?:for|of|to|with|from|by|at|in|on|para|de|pour|à|avec|con|a|du)\b){_LOW})?"
COURTESY = (
    r"(?:(?:la|el|le)\s+)?(?:señora|señor|sra\.?|sr\.?|don|doña|mme|madame|m\.|monsieur|"
    r"mr\.?|mrs\.?|ms\.?)\s+"
)
STAFF_ROLE = re.compile(
    rf"(?:\b(?:our|the|notre|nos|le|la|l['’]|el|los|las|nuestr[oa]s?)\s*(?:{_LOW}\s+){{0,2}}?"
    rf"(?:{ROLES}|{AGENT})"
    rf"|\b(?:your|votre|vos|su|sus|tu|tus)\s+(?:{_LOW}\s+){{0,2}}?(?:{ROLES}))"
    rf"{_ADJ}\s*,?\s*(?:{COURTESY})?$",
    re.IGNORECASE,
)
# where the clause before a name starts: a sentence end, not the dot of "M." or "Dr."
CLAUSE_END = re.compile(
    r"[!?;:\n]|(?<!\bM)(?<!\bMr)(?<!\bMs)(?<!\bDr)(?<!\bSr)(?<!\bMrs)(?<!\bSra)\."
)


def _staff(text: str, start: int, end: int) -> bool:
    """Whether the name at `text[start:end]` follows or begins with a professional title, or
    follows the role the brand introduces it by (lowercase particles the tagger puts first
    are skipped: "de Don Chema")."""
    words = [w for w in text[start:end].split() if w[:1].isupper()]
    clause = CLAUSE_END.split(text[max(0, start - 60) : start])[-1]
    return bool(
        STAFF_TITLE.search(text[max(0, start - 16) : start])
        or (words and STAFF_TITLE.match(words[0]))
        or STAFF_ROLE.search(clause)
    )


# a work's credit before a name: the author or director of a title in quotes ('"Prisoners of
# Geography" by Tim Marshall', '« Alcarràs », de Carla Simón'), or a credit verb ("written by",
# "réalisé par", "escrita por"): a public author, not another customer
CREDIT = re.compile(
    r"(?:[\"”»]\s*,?\s*(?:by|de|par|von|di|van)"
    r"|\b(?:written|directed|narrated|hosted|illustrated|composed|translated|read|sung|"
    r"escrit[oa]s?|dirigid[oa]s?|narrad[oa]s?|écrite?s?|réalisée?s?|illustrée?s?|"
    r"geschrieben|gelesen|inszeniert)\s+(?:by|por|par|von))\s*$",
    re.IGNORECASE,
)


def _credited(text: str, start: int, end: int) -> bool:
    """Whether the name at `text[start:end]` is credited as the author or director of a titled
    work (the tagger may put the lowercase "de" of the credit into the span)."""
    first = next((m.start() for m in re.finditer(r"\S+", text[start:end]) if m[0][:1].isupper()), 0)
    return bool(CREDIT.search(text[max(0, start - 40) : start + first]))


# lowercase particles inside a name ("Luis de Góngora", "Ludwig van Beethoven")
PARTICLES = {"de", "del", "la", "le", "du", "des", "van", "von", "der", "den", "di", "da", "dos",
             "das", "y", "e", "bin", "ibn", "al", "el", "zu", "ter"}  # fmt: skip


def _name_word(word: str) -> bool:
    """A Titlecase word, or a hyphenated compound of them ("Marie-Ève", "Saint-Benoît-du-Lac"
    are one word: a compound first name or a place), that is not a title, greeting or place word."""
    parts = word.split("-")
    return (
        parts[0][:1].isupper()
        and all(
            (p[:1].isupper() and p[1:].islower() and p.isalpha()) or p.lower() in PARTICLES
            for p in parts
        )
        and word.lower() not in NOT_NAME_WORDS
        and parts[0].lower() not in NOT_NAME_WORDS
    )


def _place_word(word: str) -> bool:
    """A capitalized place or business word: "Road", "Bridge", "Wallet"."""
    return word[:1].isupper() and word.lower() in NOT_NAME_WORDS


def _with_next_word(text: str, start: int, end: int) -> str:
    """The span and, when it is a place or business word, the word after it ("Adesanya Road")."""
    following = text[end:].split(maxsplit=1) if text[end : end + 1].isspace() else []
    word = following[0].strip(".,;:!?'’()") if following else ""
    return text[start:end] + (" " + word if _place_word(word) else "")


def _is_full_name(span_text: str, min_tokens: int) -> bool:
    """`min_tokens` name words in one run, lowercase particles allowed between them (no
    comma, colon or other word between: "Reply STOP", "Tom, Stretch", "Mensaje de la app más
    pesada de España" are not) that are not titles, greetings, verbs or place words, the
    first of them a given name ("Hot Sale", "Semana Santa", "Melton Mowbray" are not), and
    that does not run on into a capitalized place or business word ("Abraham Adesanya Road",
    "Carter Bridge", "Kora Wallet": `span_text` may carry the word after the tagger's span)."""
    for part in re.split(r"[,;:!?]", span_text):
        run = 0
        for raw in part.split():
            word = raw.strip(".'’()")
            if _name_word(word) and (run or is_given_name(word)):
                run += 1
                continue
            if run >= min_tokens and not _place_word(word):
                return True
            if not (run and word.lower() in PARTICLES):
                run = 0
        if run >= min_tokens:
            return True
    return False


def pii_findings(
    text: str,
    results: Iterable[Any],
    policy: Policy,
    *,
    first_name: str | None = None,
    allowed_values: Iterable[str] = (),
    field: str = "text",
) -> list[Finding]:
    """Findings for Presidio `results` on `text` (see module doc)."""
    allowed = value_spans(text, [*allowed_values, first_name or ""])
    german = detect_language(text) == "de"
    findings: dict[tuple[int, int], Finding] = {}
    # a street read as a person ("Jean Jaurès" in "8 avenue Jean Jaurès"): formats first
    for r in sorted(results, key=lambda r: (r.entity_type == "PERSON", -r.score)):
        rule = policy.pii_entities.get(r.entity_type)
        if rule is None or r.score < rule.min_score or rule.severity == "off":
            continue
        span_text = text[r.start : r.end]
        if rule.min_tokens > 1 and (
            german
            or not _is_full_name(_with_next_word(text, r.start, r.end), rule.min_tokens)
            or _staff(text, r.start, r.end)
            or _credited(text, r.start, r.end)
        ):
            # not a full name, staff or a credited author; in German copy, where every noun
            # is capitalized, an English NER model reads nouns as names
            continue
        if rule.allow_in_values and (
            _inside(r.start, r.end, allowed)
            or (first_name and span_text.strip().lower() == first_name.strip().lower())
        ):
            continue
        if any(s < r.end and r.start < e for s, e in findings):
            continue  # one finding per span: the highest-scoring entity wins
        findings[(r.start, r.end)] = Finding(
            code=rule.code,
            category="pii",
            severity=rule.severity,
            start=r.start,
            end=r.end,
            message=f"Contains {rule.label}: {quote(text, r.start, r.end)}",
            field=field,
        )
    return sorted(findings.values(), key=lambda f: f.start)
