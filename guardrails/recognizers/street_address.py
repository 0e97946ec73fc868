"""Street addresses in US, UK, German, French and Spanish formats, and PO boxes.

Presidio does not recognize addresses at all (its PERSON model read "Baker
Street" as a name). Each format needs a house number *and* a street word, so
prices and counts never match:

- US/UK: number, one to four capitalized words, street type ("12 Oak Street",
  "1600 Pennsylvania Ave NW", "221B Baker St."), an optional flat or suite,
  and an optional UK postcode ("Leeds LS6 2AB");
- German: street name ending in -straße/-str./-weg/-allee/-platz/... then the
  number ("Hauptstraße 12", "Goethestr. 7a"), optionally ", 10115 Berlin";
- French: number, then rue/avenue/boulevard/place/... and a name
  ("14 rue de la Paix"), optionally ", 75002 Paris";
- Spanish: Calle/Avenida/Paseo/Plaza/... a name, then the number
  ("Calle Mayor 12", "Avenida de la Constitución 45"), floor and door
  ("3º B") and postcode optional;
- any of these without a street word when a house number, a comma and a
  5-digit postcode with its town follow ("Am Markt 3a, 80331 München").
"""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern

from guardrails.recognizers.declared_pattern import DeclaredPatternRecognizer

STREET_TYPES = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|"
    "Terrace|Way|Parkway|Pkwy|Highway|Hwy|Square|Sq|Crescent|Close|Circle|Cir|Trail|"
    "Grove|Gardens|Row|Mews"
)
STREET = (
    r"\b\d{1,5}[A-Za-z]?(?:-\d{1,4})?\s+(?:[NSEW]\.?\s+)?(?:[A-Z][a-zA-Z'.-]+\s+){1,4}"
    rf"(?:{STREET_TYPES})\b\.?(?:\s+(?:NE|NW|SE|SW|N|S|E|W)\b)?"
    r"(?:,?\s+(?:Apt|Apartment|Suite|Unit|Flat)\.?\s*#?\s*\w+)?"
)
UK_POSTCODE = r"(?:,?\s+[A-Z][a-z]+)?,?\s+[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b"
US_ZIP = r"(?:,\s+[A-Z][a-z]+(?:\s[A-Z][a-z]+)?,\s+[A-Z]{2}\s+\d{5}(?:-\d{4})?\b)"
STREET_FULL = rf"{STREET}(?:{UK_POSTCODE}|{US_ZIP})?"
EU_POSTCODE = r"(?:,?\s+\d{5}\s+[A-ZÄÖÜÉÈ][\wäöüßéèàçñ-]+(?:\s(?:am|an|de|sur)\s[A-Z][\w-]+)?)?"
DE_STREET = (
    r"\b[A-ZÄÖÜ][a-zäöüß-]*(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee)"
    r"\s+\d{1,4}[a-z]?\b" + EU_POSTCODE
)
FR_STREET = (
    r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|av\.|boulevard|bd|place|allée|impasse|"
    r"chemin|quai|cours|route)\s+(?:(?:de|du|des|la|le|l'|d')\s*)*[A-ZÉÈ][\w'-]+"
    r"(?:\s+[A-ZÉÈ][\w'-]+)*" + EU_POSTCODE
)
ES_STREET = (
    r"\b(?:Calle|C/|Avenida|Avda\.?|Paseo|Plaza|Camino|Carrer|Ronda|Travesía)\s+"
    r"(?:(?:de|del|la|las|los|el)\s+)*[A-ZÁÉÍÓÚÑ][\wáéíóúñ'-]+"
    r"(?:\s+(?:(?:de|del|la)\s+)*[A-ZÁÉÍÓÚÑ][\wáéíóúñ'-]+)*,?\s+\d{1,4}"
    r"(?:,?\s+\d{1,2}º\s?[A-Z]?)?" + EU_POSTCODE
)
# any street without a street word, when a house number, a comma and a 5-digit postcode
# with its town follow ("Am Markt 3a, 80331 München", "Carrer Gran 5, 08012 Barcelona")
POSTCODE_ADDRESS = (
    r"\b[A-ZÄÖÜÁÉÍÓÚ][\wäöüßáéíóúñç.'-]*(?:\s+[\wäöüßÄÖÜáéíóúñç.'-]+){0,2}?"
    r"\s+\d{1,4}[a-z]?,\s*\d{5}\s+[A-ZÄÖÜÉÈÁÍÓÚ][\wäöüßéèàçñ-]+"
)
PO_BOX = r"\bP\.?\s?O\.?\s+Box\s+\d{1,6}\b"


class StreetAddressRecognizer(DeclaredPatternRecognizer):
    """Street addresses and PO boxes."""

    ENTITY = "STREET_ADDRESS"
    CASE_SENSITIVE = True  # street words are capitalized

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("street address", STREET_FULL, 0.6),
        Pattern("german street address", DE_STREET, 0.6),
        Pattern("french street address", FR_STREET, 0.6),
        Pattern("spanish street address", ES_STREET, 0.6),
        Pattern("po box", PO_BOX, 0.6),
        Pattern("house number and postcode", POSTCODE_ADDRESS, 0.55),
    ]
    CONTEXT: ClassVar[list[str]] = [
        "address",
        "live",
        "lives",
        "living",
        "deliver",
        "ship",
        "home",
        "near",
    ]
