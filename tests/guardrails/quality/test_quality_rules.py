"""Every copy-quality rule as a table: rows that must fire (and what they flag), rows that must not.

Each row is (channel, fields, expected) where expected lists (code, flagged
text) for the rule under test; a negative row expects nothing from that rule.
The context is a fitness brand's (its words come from its own copy), as in the
demo. The issue's examples of `pass` drafts that were nonsense are rows here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrails.quality import QualityContext, brand_stems, check_copy, load_quality_policy

BRAND = brand_stems(
    ["workout", "class", "session", "fitness", "yoga", "HIIT", "studio", "coach"],
    ["Your favorite {{ favorite_category }} classes are still here for you."],
)
CTX = QualityContext(
    placeholders=("first_name", "favorite_category", "incentive"), brand_words=BRAND
)
GOOD_PUSH = {"title": "Your mat misses you", "body": "{{ first_name }}, book a yoga class today."}
GOOD_EMAIL = {
    "subject": "{{ first_name }}, your next {{ favorite_category }} session",
    "preheader": "Pick up where you left off, at your own pace.",
    "body": "Your favorite {{ favorite_category }} classes are still here for you. "
    "One session is a great restart.",
    "call_to_action": "Book a class",
}


def flagged(code: str, channel: str, fields: dict, ctx: QualityContext = CTX) -> list[tuple]:
    """(code, flagged text) of the findings of one rule."""
    result = check_copy(channel, fields, ctx)
    out = []
    for f in result.findings:
        if f.code == code:
            text = fields[f.field.removeprefix("variant.")]
            out.append((f.code, text[f.start : f.end]))
    return out


def run_table(code, rows):
    for channel, fields, expected in rows:
        got = flagged(code, channel, fields)
        if expected == "whole":
            assert got, (code, fields)
        else:
            assert sorted(got) == sorted((code, e) for e in expected), (fields, got)


NONSENSE_1 = (
    "We have a new member who has just made it to the 4th of July, and is making up with our "
    "team. She's very talented and she loves going to the beach with her family."
)
NONSENSE_2 = "Your work is being offered to you, so be sure to act now!"


@pytest.mark.parametrize(
    ("channel", "fields", "expected"),
    [
        ("push", {"title": "News", "body": NONSENSE_1}, "whole"),
        ("push", {"title": "Hello there", "body": "A yoga class is on."}, "whole"),
        ("push", GOOD_PUSH, []),
        ("push", {"title": "Back?", "body": "{{ first_name }}, a yoga class is on."}, []),
        ("sms", {"text": "Your yoga class is waiting. Book it now!"}, []),
    ],
)
def test_second_person(channel, fields, expected):
    run_table("second_person", [(channel, fields, expected)])


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"title": "My favorite class", "body": "I loved my run, you should book one."},
            ["My", "I", "my"],
        ),
        ({"title": "Come back", "body": "I'm waiting for you at the studio. Book now."}, ["I'm"]),
        (GOOD_PUSH, []),
        ({"title": "We miss you", "body": "We saved your spot: book a class."}, []),
    ],
)
def test_first_person_narrator(fields, expected):
    run_table("first_person_narrator", [("push", fields, expected)])


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"title": "News", "body": NONSENSE_1}, ["a new member", "She's", "she", "her", "family"]),
        ({"title": "Hi", "body": "Bring a friend to your yoga class. Book now."}, ["friend"]),
        ({"title": "Hi", "body": "He said you would book a class."}, ["He"]),
        (GOOD_PUSH, []),
        ({"title": "Hi", "body": "Here is your class: book it now."}, []),  # 'here' is not 'her'
    ],
)
def test_third_party(fields, expected):
    run_table("third_party", [("push", fields, expected)])


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"title": "News", "body": NONSENSE_1}, ["4th of July", "beach"]),
        (
            {"title": "Merry Christmas", "body": "Book a class with Coach Anna in Miami."},
            ["Christmas", "Anna", "Miami"],
        ),
        ({"title": "Deal", "body": "Get 20% off your next yoga class."}, ["20%"]),
        ({"title": "See you", "body": "Book a class on Monday, 12/05."}, ["Monday", "12/05"]),
        (GOOD_PUSH, []),
        (
            {
                "title": "Your Next Yoga Class Awaits",
                "body": "Book a HIIT class, {{ first_name }}.",
            },
            [],
        ),
        ({"title": "Offer", "body": "Enjoy {{ incentive }} on a yoga class. Book now."}, []),
    ],
)
def test_invented_specifics(fields, expected):
    run_table("invented_specifics", [("push", fields, expected)])


def test_invented_specifics_names_a_listed_date_the_same_way_under_any_string_hashing():
    """'Saturday' is both a calendar word and a capitalised word: the message must not depend
    on PYTHONHASHSEED (it once did, and a cassette's recorded feedback stopped matching)."""
    import subprocess
    import sys

    code = (
        "from tests.guardrails.quality.test_quality_rules import CTX; "
        "from guardrails.quality import check_copy; "
        "r = check_copy('push', {'title': 'See you', 'body': 'Come back this Saturday, "
        "friend.'}, CTX); print([f.message for f in r.findings if f.code == "
        "'invented_specifics'])"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": str(seed), "PATH": ""},
            cwd=Path(__file__).resolve().parents[3],
        ).stdout
        for seed in range(6)
    }
    assert len(seen) == 1 and "is a date the model made up" in seen.pop()


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"title": "Act now", "body": NONSENSE_2}, "whole"),
        ({"title": "Hello", "body": "You deserve something nice. Come back."}, "whole"),
        (GOOD_PUSH, []),
        ({"title": "Hey you", "body": "Your {{ favorite_category }} awaits. Come back."}, []),
        ({"title": "Hey you", "body": "Your workouts miss you. Come back."}, []),  # stem match
    ],
)
def test_brand_world(fields, expected):
    run_table("brand_world", [("push", fields, expected)])


def test_brand_world_is_silent_without_brand_words():
    assert (
        flagged("brand_world", "push", {"title": "Hi", "body": NONSENSE_2}, QualityContext()) == []
    )


@pytest.mark.parametrize(
    ("channel", "fields", "expected"),
    [
        ("push", {"title": "Act now", "body": NONSENSE_2}, "whole"),  # 'be sure to' is no action
        ("push", {"title": "Book now", "body": "Join a class. Try yoga. Claim a spot."}, "whole"),
        ("email", {**GOOD_EMAIL, "call_to_action": "More"}, "whole"),
        (
            "email",
            {**GOOD_EMAIL, "call_to_action": "Click here to find out about all our classes"},
            "whole",
        ),
        ("push", GOOD_PUSH, []),
        (
            "push",
            {
                "title": "Ready for a restart?",
                "body": "{{ first_name }}, a yoga class is a great way back in.",
            },
            [],
        ),
        ("email", GOOD_EMAIL, []),
        ("sms", {"text": "Your yoga class is waiting. Book it now! Reply STOP to opt out."}, []),
        ("sms", {"text": "Hi {{ first_name }}, restart with {{ incentive }} on yoga classes."}, []),
    ],
)
def test_call_to_action(channel, fields, expected):
    run_table("call_to_action", [(channel, fields, expected)])


@pytest.mark.parametrize(
    ("channel", "fields", "expected"),
    [
        ("push", {"title": "Hey", "body": "We hate you!"}, "whole"),
        ("email", {**GOOD_EMAIL, "body": "Come back."}, "whole"),
        ("sms", {"text": " ".join(["Book your yoga class now and enjoy it a lot"] * 5)}, "whole"),
        ("push", GOOD_PUSH, []),
        ("email", GOOD_EMAIL, []),
    ],
)
def test_readability(channel, fields, expected):
    run_table("readability", [(channel, fields, expected)])


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {
                **GOOD_EMAIL,
                "preheader": "{{ first_name }}, your next {{ favorite_category }} session",
            },
            "whole",
        ),
        (
            {
                **GOOD_EMAIL,
                "subject": "Your yoga class awaits",
                "preheader": "Your yoga class awaits you",
            },
            "whole",
        ),
        (GOOD_EMAIL, []),
    ],
)
def test_subject_repeats_preheader(fields, expected):
    run_table("subject_repeats_preheader", [("email", fields, expected)])


def test_subject_rule_is_email_only():
    assert (
        flagged("subject_repeats_preheader", "push", {"title": "Book yoga", "body": "Book yoga"})
        == []
    )


@pytest.mark.parametrize(
    ("fields", "siblings", "expected"),
    [
        (GOOD_PUSH, [GOOD_PUSH], True),
        (GOOD_PUSH, [{**GOOD_PUSH, "title": "Your mat misses you!"}], True),
        (
            GOOD_PUSH,
            [{"title": "Ready for a restart?", "body": "Try a HIIT session, it is quick."}],
            False,
        ),
        (GOOD_PUSH, [], False),
    ],
)
def test_distinct_variants(fields, siblings, expected):
    from guardrails.quality import CopyText

    ctx = QualityContext(brand_words=BRAND, siblings=tuple(CopyText("push", s) for s in siblings))
    assert bool(flagged("distinct_variants", "push", fields, ctx)) is expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"title": "Hi [Name]", "body": "Book at https://gym.example.com now."},
            ["[Name]", "https://gym.example.com"],
        ),
        ({"title": "Hi {name}", "body": "Book a class at www.gym.com."}, ["{name}", "www.gym.com"]),
        ({"title": "Hi <first name>", "body": "Book a yoga class, XXX."}, ["<first name>", "XXX"]),
        (GOOD_PUSH, []),
        ({"title": "Hi {{ first_name }}", "body": "Book a yoga class today."}, []),
    ],
)
def test_unfilled_placeholders(fields, expected):
    run_table("unfilled_placeholders", [("push", fields, expected)])


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"title": "Your mat misses you", "body": "Enjoy a little {{ incentive }} this week!"},
            ["a little {{ incentive }}"],
        ),
        (
            {
                "title": "Claim your {{incentive}}",
                "body": "Book a yoga class, use the {{ incentive }}.",
            },
            ["your {{incentive}}", "the {{ incentive }}"],
        ),
        ({"title": "A gift for you", "body": "Enjoy {{ incentive }} on your next class."}, []),
        ({"title": "Back to the mat", "body": "Here is {{ incentive }}: book a class."}, []),
        ({"title": "Your mat misses you", "body": "Book your {{ favorite_category }} class."}, []),
    ],
)
def test_placeholder_articles(fields, expected):
    run_table("placeholder_articles", [("push", fields, expected)])


def test_score_and_verdict():
    good = check_copy("push", GOOD_PUSH, CTX)
    assert (good.score, good.verdict, good.findings) == (100, "pass", [])
    bad = check_copy("push", {"title": "News", "body": NONSENSE_1}, CTX)
    assert bad.verdict == "block" and bad.score < 40
    assert all(f.category == "quality" and f.field.startswith("variant.") for f in bad.findings)
    assert all(f.message and f.end >= f.start for f in bad.findings)


def test_the_brands_own_baseline_copy_passes_its_gate():
    """The shipped fitness baseline copy is the standard the gate holds the model to."""
    from agent.drafts.render import BASELINE_COPY
    from prompts.yaml_file import read_yaml_mapping

    copy = read_yaml_mapping(BASELINE_COPY, "baseline", fix="-")
    ctx = QualityContext(
        brand_words=brand_stems([], [v for f in copy.values() for v in f.values()])
    )
    for key, fields in copy.items():
        channel = key.split("_with_")[0]
        result = check_copy(channel, fields, ctx)
        assert result.verdict != "block", (key, [f.message for f in result.findings])


LIMITS = {"push": {"body": [5, 25]}}


def test_policy_turns_a_rule_off(tmp_path):
    from guardrails.quality.quality_policy import quality_policy_from_data

    policy = quality_policy_from_data(
        {"rules": {"third_party": {"severity": "off"}, "readability": {"words": LIMITS}}}, "t"
    )
    assert [r.code for r in policy.rules] == ["readability"]
    assert check_copy("push", {"title": "News", "body": NONSENSE_1}, CTX, policy).codes == [
        "readability"
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "no `rules:`"),
        ({"rules": {"nonsense": {}}}, "unknown rule(s) nonsense"),
        ({"rules": {"third_party": {"severity": "loud"}}}, "severity 'loud'"),
        ({"rules": {"third_party": {"weight": 500}}}, "weight 500"),
        ({"rules": {"third_party": "yes"}}, "must be a mapping"),
    ],
)
def test_bad_policy_is_a_clear_error(data, message):
    from guardrails.errors import GuardrailsError
    from guardrails.quality.quality_policy import quality_policy_from_data

    with pytest.raises(GuardrailsError) as exc:
        quality_policy_from_data(data, "p.yaml")
    assert message in str(exc.value) and exc.value.exit_code == 2


def test_bad_policy_file_names_the_file(tmp_path):
    from guardrails.errors import GuardrailsError

    path = tmp_path / "q.yaml"
    path.write_text("rules: [1, 2")
    with pytest.raises(GuardrailsError, match=r"q\.yaml"):
        load_quality_policy(path)
