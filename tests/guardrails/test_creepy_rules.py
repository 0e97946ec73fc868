"""Creepy-factor rules as tables: a positive and a negative row per rule.

The word-list layer alone (`semantic=False`): the semantic layer has its own tests.
"""

from __future__ import annotations

import pytest

from guardrails.check_message import text_findings
from guardrails.policy import default_policy, load_policy

ROWS = [
    # health
    ("Since your blood pressure went up, try cardio.", [("creepy_health", "blood pressure")]),
    ("Are you depressed?", [("creepy_health", "depressed")]),
    ("Your health journey continues with healthy habits.", []),
    ("Train in your heart-rate zones.", []),
    # body
    ("Ready to lose that belly fat?", [("creepy_body", "belly fat")]),
    ("The weight room has new free weights.", []),
    # pregnancy
    (
        "Expecting? Try prenatal yoga.",
        [("creepy_pregnancy", "Expecting")],  # "prenatal yoga" is a product, allowed
    ),
    ("Expect new classes soon.", []),
    # disability
    ("Wheelchair users like you love this.", [("creepy_disability", "Wheelchair users")]),
    ("Step-free entrances at every studio.", []),
    # religion
    ("Fasting this Ramadan?", [("creepy_religion", "Ramadan")]),
    ("Our Christmas sale starts Friday.", []),
    # sexuality / gender
    ("As a gay man, you'll love this.", [("creepy_sexuality_gender", "gay")]),
    ("To celebrate Pride month we donate 5%.", []),
    # ethnicity
    ("Made for Black hair like yours.", [("creepy_ethnicity", "Black hair")]),
    ("Black Friday deals are live.", []),
    # politics
    (
        "Union member discount for Teamsters.",
        [("creepy_politics", "Union member"), ("creepy_politics", "Teamsters")],
    ),
    ("Our new progressive overload plan.", []),
    # financial
    ("Behind on your bills? Pause for free.", [("creepy_financial", "Behind on your bills")]),
    ("Just $9.99 a month.", []),
    # criminal
    ("Now that your probation is over...", [("creepy_criminal", "probation")]),
    ("Our new boxing class packs a punch.", []),
    # age
    ("At your age, every workout counts.", [("creepy_age", "At your age")]),
    ("Meet our senior instructor. Kids' camps for ages 6 to 12.", []),
    ("14 new flows under 20 minutes.", []),
    # family
    ("Since your divorce, you deserve a treat", [("creepy_family", "divorce")]),
    ("Our family plan covers 4 people. Mother's Day gift guide inside.", []),
    # surveillance
    ("We've been tracking your runs.", [("creepy_surveillance", "We've been tracking")]),
    (
        "You viewed the running shoes 7 times this week.",
        [("creepy_surveillance", "viewed the running shoes 7 times")],
    ),
    ("It's been 10 days since your last workout.", []),
    # shaming
    ("Getting lazy?", [("creepy_shaming", "lazy")]),
    ("We miss you! Come back anytime.", []),
    # urgency
    (
        "Only 2 spots left! Expires in 10 minutes.",
        [("creepy_urgency", "Only 2 spots"), ("creepy_urgency", "Expires in 10 minutes")],
    ),
    ("Sale ends Sunday: 20% off your next month.", []),
    # template syntax
    (
        "Hi {{ first_name }}, hi [FIRST NAME], hi {first_name}",
        [
            ("unresolved_placeholder", "{{ first_name }}"),
            ("unresolved_placeholder", "[FIRST NAME]"),
            ("unresolved_placeholder", "{first_name}"),
        ],
    ),
    ("Your favorite yoga class is back [new].", []),
    # round 9: things and events named by a sensitive word, words that only look sensitive
    ("Roadside phone lines are fully staffed over both the Easter and Eid weekends.", []),
    ("Halal chicken thighs and kosher salt beef are both in the meat aisle.", []),
    ("Halal-Grillfleisch gibt es am Samstag vor dem Markt.", []),
    ("Visite guidée du quartier juif du Marais.", []),  # "du" is "of the", not "you"
    ("La médecine du sport est ouverte, sans condition d'âge ni de niveau.", []),
    ("We planted a tree for every member. Over 40,000 so far.", []),
    ("Cancel any time in Settings. No phone call, no guilt trip.", []),
    ("The course now has a slower-speed option for tricky sentences.", []),
    ("Personne ne te spoile la fin. Parole de modo.", []),
    ("Custody weekends? A second SIM makes it easier.", [("creepy_family", "Custody")]),
    (
        "We know the community sentence takes up your weekends.",
        [("creepy_criminal", "community sentence")],
    ),
    ("Served your sentence? Welcome back.", [("creepy_criminal", "Served your sentence")]),
    ("Feeling guilty about skipping? Come back.", [("creepy_shaming", "Feeling guilty")]),
    ("Halal-Grillfleisch, extra für dich reserviert.", [("creepy_religion", "Halal")]),
    # people in general who have it, with no "you" in the sentence
    ("Passengers with hidden disabilities may request a lanyard at check-in.", []),
    ("Apto para personas con diabetes, con instrumental esterilizado.", []),
    ("A cooking class for people with diabetes like you.", [("creepy_health", "diabetes")]),
    (
        "Visit us at [link] or tap [CTA].",
        [
            ("unresolved_placeholder", "[link]"),
            ("unresolved_placeholder", "[CTA]"),
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), ROWS)
def test_rules_table(text, expected, assert_findings):
    assert_findings(text_findings(text, default_policy(), semantic=False), text, expected)


def test_recipient_first_name_is_not_a_belief(assert_findings):
    text = "Hi Christian, new HIIT times."
    assert_findings(
        text_findings(text, default_policy(), first_name="Christian", semantic=False), text, []
    )
    assert text_findings(text, default_policy(), semantic=False) != []


def test_reviewer_message_quotes_the_span():
    (finding,) = text_findings(
        "Since your divorce, you deserve a treat", default_policy(), semantic=False
    )
    assert finding.message == "Refers to family status or a relationship event: 'divorce'"
    assert finding.severity == "block"


def test_policy_can_soften_disable_and_extend_a_rule(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        "rules:\n"
        "  age: {severity: warn}\n"
        "  shaming_guilt: {enabled: false}\n"
        "  health_condition: {terms: ['sniffles']}\n"
    )
    policy = load_policy(path)
    found = {
        f.code: f.severity
        for f in text_findings("At your age? Lazy! Sniffles? Diabetes", policy, semantic=False)
    }
    assert found == {"creepy_age": "warn", "creepy_health": "block"}
    assert (
        len(text_findings("Diabetes and sniffles", policy, semantic=False)) == 1
    )  # terms replaced, not added
