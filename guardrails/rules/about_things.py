"""A sensitive word about a product, venue, menu or show is not about the reader.

The word-list rules flag a sensitive term wherever it appears, but in real copy
most such words describe what the brand sells or shows: "wheelchair-accessible
studio", "halal, kosher and vegan options", "Islamic savings accounts",
"prison drama fans", "a documentary about refugees". Listing those phrases one
by one does not generalize, so this module recognizes the two shapes instead:

- the term modifies a *thing noun* that follows it, within a few descriptive
  words (hyphens, commas, "and"/"or" allowed; "you", "your", verbs of being
  and sentence punctuation are not): `<term> [-word|word|, word]{0,3} <noun>`;
- the term is the subject of a *media noun* that comes before it in the same
  clause: `<film|series|podcast|...> about|on ... <term>`, within six words
  (a drama about a divorce), or with any other words between, within ten
  ("a documentary series follows life inside a women's prison"). "for" is not
  enough: "films for the freshly divorced" targets the reader.

A term in a sentence addressed to an open audience ("half-price for anyone
over 60", "für alle Kundinnen und Kunden", "pour tous ceux qui") is about
people in general, like a venue is.

Thing nouns are products, venues, menus, media and programmes in English,
Spanish, French and German. A sentence that addresses the reader in the
second person ("picked for you", "your diabetic box", "like you") is never
excused: a product aimed at the reader's attribute is the violation itself.
"""

from __future__ import annotations

import re

NOUNS = (
    # venues, programmes, staff areas
    r"class(?:es)?|studio|studios|session|sessions|workshop|workshops|club|clinic|pool|"
    r"entrance|room|rooms|floor|team|course|courses|programme|program|challenge|event|"
    r"events|festival|timetable|"
    # products and menus
    r"menu|menus|option|options|dish|dishes|meal|meals|box|boxes|bowl|bowls|range|"
    r"collection|collections|edit|line|sizes?|section|aisle|store|stores|shop|"
    r"products?|gifts?|gifting|sets?|candles|specials|deals?|desserts|snacks|"
    r"clothing|wear|jeans|trainers|shoes|account|accounts|card|cards|plan|plans|"
    r"savings|loans?|mortgages?|guide|guides|tips|pillows?|cushions?|bras?|kits?|tools?|"
    r"cafe|café|bar|bakery|deli|kitchen|restaurant|hampers?|lights|decorations|tableware|"
    r"parking|bays?|spaces?|toilets?|lifts?|assistance|services?|"
    r"shoppers|customers|athletes|players|rugby|basketball|tennis|football|sports?|"
    r"league|tournament|bagels|breads?|cakes?|pastries|pizzas?|burgers?|sandwiches|wines?|"
    r"cheeses?|sushi|rolls|platters?|dinners?|brunch|treats|sweets|chocolates?|"
    r"grills?|skewers|wraps?|curr(?:y|ies)|kebabs?|steaks?|noodles|tacos|salads?|soups?|"
    r"stews?|mains|starters|recipes?|food|foods|cuisine|selection|choices|alternatives|"
    # media
    r"podcast|podcasts|documentar(?:y|ies)|series|films?|movies?|shows?|drama|dramas|"
    r"season|episodes?|titles|books?|fans|charit(?:y|ies)|"
    # ES / FR / DE
    r"clases?|menú|opciones|platos|ropa|colección|tallas|cours|carte|plats|vêtements|"
    r"kurs|kurse|karte|gerichte|kollektion|mode|"
    # shelves, lists, calendars, tours and meat counters (round 9's clean copy)
    r"shelf|shelves|lists?|literature|fiction|poetry|reading|templates?|calendars?|"
    r"holidays?|weekends?|quarter|street|tours?|visits?|hotels?|resorts?|guesthouses?|"
    r"training|awareness|height|hire|sheets?|labels?|guidance|filters?|"
    r"meat|beef|chicken|lamb|thighs|dates|fittings?|lanyards?|"
    r"estantes?|listas?|lecturas?|visitas?|rayons?|listes?|lectures?|visites?|regale?|listen"
)
STOP = (
    r"(?:you|your|yours|you're|we|our|my|the|a|an|their|his|her|to|in|at|is|are|was|were|"
    r"be|been|has|have|had|still|again|now|since|after)"
)
_WORD = r"[^\W\d_][\w'’]*"
READER_WORDS = r"(?:you|your|yours|you're|you’re)"
AFTER = re.compile(
    rf"^\+?(?:(?:\s*[-,]\s*|\s+)(?!{STOP}\b){_WORD}(?:-{_WORD})*){{0,3}}?[-\s]+(?:{NOUNS})\b",
    re.IGNORECASE,
)
MEDIA = (
    r"podcast|podcasts|documentar(?:y|ies)|series|films?|movies?|shows?|drama|dramas|"
    r"books?|talks?|exhibition|documental|película|serie|documentaire|film|dokumentation"
)
BEFORE = re.compile(
    rf"\b(?:{MEDIA})\s+(?:about|on|sobre|sur|über)\b"
    rf"(?:\s+(?!{READER_WORDS}\b)[\w'’-]+){{0,6}}?\s*$",
    re.IGNORECASE,
)
# a show named earlier in the clause, whatever the verb: "a documentary series follows life
# inside a women's prison" (not "for": "films for the freshly divorced" targets the reader)
MEDIA_EARLIER = re.compile(
    rf"\b(?:{MEDIA})\b(?:\s+(?!(?:for|para|pour|für)\b)[\w'’-]+){{1,10}}?\s*$",
    re.IGNORECASE,
)
SECOND_PERSON = re.compile(
    r"\b(?:you|your|yours|yourself|you're|you’re|u|tu|tus|te|ti|usted|toi|ton|ta|tes|vous|votre|"
    r"vos|du|dich|dir|dein|deine|deinen|deiner|sie|ihr|ihre)\b",
    re.IGNORECASE,
)
# the reader in one language: French "du" is "of the", German "sie"/"ihr" are "she"/"her"
# unless capitalized (the formal "Sie", "Ihr"); a sentence in none of them uses SECOND_PERSON
SECOND_PERSON_BY_LANG = {
    "en": re.compile(r"\b(?:you|your|yours|yourself|yourselves|you're|you’re|u)\b", re.I),
    "es": re.compile(r"\b(?:tú|tu|tus|te|ti|contigo|usted|ustedes|vosotros|os)\b", re.I),
    "fr": re.compile(r"\b(?:tu|toi|ton|ta|tes|te|t'|vous|votre|vos)\b", re.I),
    "de": re.compile(
        r"\b(?:[dD]u|[dD]ich|[dD]ir|[dD]ein\w*|[eE]uch|[eE]uer\w*|Sie|Ihr|Ihre|Ihrem|Ihren|Ihrer|"
        r"Ihres|Ihnen)\b"
    ),
}
READER = re.compile(
    r"\b(?:your|you're|you’re|you are|tu|tus|ton|ta|tes|dein|deine|deinen)\s+$", re.I
)
# the sentence speaks to an open audience, not to the reader: "for anyone over 60",
# "wheelchair users, amputees, ANYONE who wants to lift", "für alle Kundinnen und Kunden"
OPEN_AUDIENCE = re.compile(
    r"\b(?:anyone|anybody|everyone|everybody|whoever|"
    r"any (?:member|customer|guest|passenger|learner|student|parent|one|traveller|traveler)s?|"
    r"all (?:members|customers|guests|passengers|learners|students|ages|welcome)|"
    r"open to all|"
    r"para (?:todo el mundo|todos y todas|cualquier|quien(?:es)? (?:quiera|lo necesite))|"
    r"todo el mundo|abierto a todos|abierta a todas?|"
    r"pour tous|pour toutes|à tous|tout le monde|ouverte? à (?:tous|toutes)|"
    r"toutes celles et tous ceux|tous ceux qui|toutes celles qui|"
    r"für alle|alle sind|für jeden|für jede|allen (?:kund|mitglied|gäst))",
    re.IGNORECASE,
)
# a group of people named by the term, in a sentence without "you": "a cooking show for
# people with diabetes", "passengers with hidden disabilities may request a lanyard"
PEOPLE_WITH = re.compile(
    r"\b(?:people|persons|adults|children|kids|passengers|members|customers|guests|"
    r"travell?ers|users|clients|patients|learners|students|personas|gente|pacientes|"
    r"personnes|patients?|menschen|kunden|gäste|patienten)"
    r"\s+(?:who (?:are |have |live )|living |diagnosed |recovering )?(?:with|con|avec|mit)"
    r"(?:\s+[\w'’-]+){0,2}?\s*$",
    re.IGNORECASE,
)
# a German compound noun the term starts: "Halal-Grillfleisch" (a capitalized noun after a hyphen)
GERMAN_COMPOUND = re.compile(r"-[A-ZÄÖÜ][a-zäöüß]{2,}")
# a noun right before the term, as ES/FR put adjectives after ("yoga prenatal")
BEFORE_ADJ = re.compile(rf"\b(?:{NOUNS}|yoga|pilates)\s*$", re.IGNORECASE)


# a menu or a preference list: the term beside another diet ("halal only, vegetarian, no pork")
DIETS = re.compile(
    r"\b(?:vegetarian|vegan|kosher|halal|gluten[- ]free|dairy[- ]free|nut[- ]free|pescatarian|"
    r"végétarien\w*|végane?s?|vegetarian[oa]s?|veganos?|sin gluten|sans gluten|glutenfrei|"
    r"vegetarisch\w*|koscher|casher|cacher)\b",
    re.IGNORECASE,
)
# a title in quotation marks: "Divorce Court Confidential", « Le Cancer du siècle »
QUOTES = {"“": "”", "«": "»", "„": "“", '"': '"'}


def _in_quoted_title(sentence: str, start: int, end: int) -> bool:
    """Whether `sentence[start:end]` lies inside a quoted span that opens capitalized."""
    for i in range(start - 1, max(start - 60, -1), -1):
        close = QUOTES.get(sentence[i])
        if close is None:
            continue
        j = sentence.find(close, end)
        opens = sentence[i + 1 : i + 3].lstrip()
        return 0 <= j - end <= 60 and opens[:1].isupper()
    return False


def _addresses_reader(sentence: str) -> bool:
    """Whether the sentence speaks to the reader in the second person, in its own language."""
    from guardrails.semantic.language import detect_language

    pattern = SECOND_PERSON_BY_LANG.get(detect_language(sentence) or "", SECOND_PERSON)
    return bool(pattern.search(sentence))


def about_a_thing(text: str, start: int, end: int) -> bool:
    """Whether the term at `text[start:end]` describes a product, venue, menu or show."""
    sentence_start = max(text.rfind(c, 0, start) for c in ".!?\n") + 1
    ends = [i for i in (text.find(c, end) for c in ".!?\n") if i >= 0]
    sentence_end = min(ends or [len(text)])
    sentence = text[sentence_start:sentence_end]
    if _addresses_reader(sentence) or text[sentence_end : sentence_end + 1] == "?":
        # "picked for you", "your diabetic box": the reader is in the sentence; and a question
        # asks the reader ("Custody weekends?")
        return False
    if OPEN_AUDIENCE.search(sentence):
        return True  # "for anyone over 60": people in general, with no "you" in the sentence
    if _in_quoted_title(sentence, start - sentence_start, end - sentence_start):
        return True  # a show's or a book's title, with no "you" in the sentence
    clause_start = max(text.rfind(c, 0, start) for c in ".!?;:\n") + 1
    before = text[clause_start:start]
    if BEFORE.search(before) or BEFORE_ADJ.search(before) or MEDIA_EARLIER.search(before):
        return True
    if PEOPLE_WITH.search(before):
        return True  # people in general who have it, with no "you" in the sentence
    diets = [m.span() for m in DIETS.finditer(text, clause_start, clause_end(text, end))]
    if any(not (s < end and start < e) for s, e in diets):
        return True  # one diet among others: a menu or a preference list
    if GERMAN_COMPOUND.match(text, end):
        return True  # "Halal-Grillfleisch", "Diabetes-Kochkurs": the term names a kind of thing
    return bool(AFTER.match(text[end : clause_end(text, end)]))


def clause_end(text: str, end: int) -> int:
    """Where the clause that goes on at `end` stops."""
    return min([i for i in (text.find(c, end) for c in ".!?;:\n") if i >= 0] or [len(text)])
