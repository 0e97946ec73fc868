"""A sensitive word about a product, venue, menu or show is not about the reader (rules layer)."""

from __future__ import annotations

import pytest

from guardrails.policy import default_policy
from guardrails.rules.about_things import about_a_thing
from guardrails.rules.health_condition import HealthConditionRule


@pytest.mark.parametrize(
    ("text", "term", "excused"),
    [
        ("Our wheelchair-accessible studio opens on Monday.", "wheelchair", True),
        ("Halal, kosher and vegan options are marked on every menu.", "Halal", True),
        ("Islamic savings accounts are now live.", "Islamic", True),
        ("Prison drama fans: the final season is out.", "Prison", True),
        ("A documentary about refugees rebuilding their lives.", "refugees", True),
        ("A drama about a family after a divorce tops the chart.", "divorce", True),
        ("Injury-prevention tips from our physio team.", "Injury", True),
        ("Yoga prenatal los martes, abierto a todas.", "prenatal", True),
        # an open audience, with no reader in the sentence: people in general
        ("Half-price courses for anyone over 60 run all year round.", "over 60", True),
        ("Iftar boxes on evening flights, for any passenger who wants one.", "Iftar", True),
        ("Islamkonforme Sparpläne gibt es ab sofort für alle Kundinnen und Kunden.", "Islam", True),
        ("Séance seniors ouverte à toutes celles et tous ceux qui aiment bouger", "seniors", True),
        ("Anyone over 60 like you should slow down.", "over 60", False),
        ("Para todas las temporadas, con tu prisión domiciliaria.", "prisión", False),
        ("Mientras dure la prisión domiciliaria, hay para todas las temporadas.", "prisión", False),
        # the reader is in the sentence: never excused
        ("Since your divorce, treat yourself to a class.", "divorce", False),
        ("With your diabetes, our meals are perfect.", "diabetes", False),
        ("Your diabetes and our new menu.", "diabetes", False),
        ("Now that you're pregnant, our prenatal class awaits.", "pregnant", False),
        ("Rosaries and prayer cards, picked for you.", "prayer", False),
        ("Pregnant? Our class is for you.", "Pregnant", False),
        ("Diabetic? These meals are for you.", "Diabetic", False),
        # "for" is targeting, not subject matter
        ("Films for the freshly divorced.", "divorced", False),
        ("Overweight members love our class.", "Overweight", False),
    ],
)
def test_about_a_thing(text: str, term: str, excused: bool) -> None:
    start = text.find(term)
    assert about_a_thing(text, start, start + len(term)) is excused


def test_a_rule_drops_the_excused_term_and_keeps_the_readers() -> None:
    rule = HealthConditionRule(default_policy().raw["rules"]["health_condition"])
    assert rule.check("Diabetic-friendly desserts from our partner bakery, now on the menu.") == []
    assert [f.code for f in rule.check("Managing your diabetes? Try our menu.")] == [
        "creepy_health"
    ]
