"""Variant templates: the allow-list validator, the fast path vs Jinja, missing values."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import UndefinedError

from agent.drafts.template import (
    DEFAULT_PLACEHOLDERS,
    MissingPlaceholderValue,
    TemplateRejected,
    compile_template,
    jinja_render,
    placeholder_values,
    placeholders_in,
    template_problems,
)
from agent.errors import WinbackError

VALUES = {
    "first_name": "Maria",
    "favorite_category": "yoga",
    "days_since_last_activity": "12",
    "incentive": "a free week of Premium",
}

ALLOWED = [
    "Hi {{ first_name }}, your {{ favorite_category }} mat misses you.",
    "{{first_name}}{{incentive}}",
    "No placeholders at all.",
    "",
    "It has been {{ days_since_last_activity }} days.\n\nSee you soon!\n",
    "Get 50% off {} {x} [y] #tag -- {{ incentive }}",
    "Hi {{- first_name -}} !",
    "{{ first_name }} {{ first_name }}",
]

REJECTED = [
    ("{% if first_name %}Hi{% endif %}", "template statements ({% ... %}) are not allowed"),
    ("{% set x = 1 %}", "template statements ({% ... %}) are not allowed"),
    ("{% for c in favorite_category %}{{ c }}{% endfor %}", "template statements"),
    ("{% raw %}{{ email }}{% endraw %}", "raw blocks ({% raw %}) are not allowed"),
    ("Hi {# note #}{{ first_name }}", "comments ({# ... #}) are not allowed"),
    ("{{ email }}", "unknown placeholder 'email' (allowed: days_since_last_activity, "),
    ("{{ user_id }}", "unknown placeholder 'user_id'"),
    ("{{ first_name.upper }}", "attribute access ({{ x.y }}) is not allowed"),
    ("{{ user.email }}", "attribute access ({{ x.y }}) is not allowed"),
    ("{{ first_name.__class__ }}", "attribute access"),
    ("{{ first_name['x'] }}", "item access ({{ x[...] }}) is not allowed"),
    ("{{ first_name[0] }}", "item access"),
    ("{{ first_name() }}", "calls ({{ x() }}) are not allowed"),
    ("{{ range(10) }}", "calls"),
    ("{{ lipsum() }}", "calls"),
    ("{{ first_name | title }}", "filter 'title' is not allowed"),
    ("{{ first_name | e }}", "filter 'e' is not allowed"),
    ("{{ incentive | safe }}", "filter 'safe' is not allowed"),
    ("{{ 'text' }}", "literal values ({{ 'text' }}) are not allowed"),
    ("{{ 7 * 7 }}", "expressions (Mul) are not allowed"),
    ("{{ first_name ~ incentive }}", "expressions (Concat) are not allowed"),
    ("{{ first_name if incentive }}", "conditional expressions"),
    ("{{ first_name is defined }}", "tests ({{ x is ... }}) are not allowed"),
    ("{{ first_name", "template syntax error on line 1"),
    ("Hi {{ }}", "template syntax error"),
    ("{% if x %}", "template statements"),
]


@pytest.mark.parametrize("source", ALLOWED)
def test_allowed_templates(source: str) -> None:
    assert template_problems(source) == []
    assert compile_template(source).render(VALUES) == jinja_render(source, VALUES)


@pytest.mark.parametrize(("source", "message"), REJECTED)
def test_rejected_templates_name_the_problem(source: str, message: str) -> None:
    problems = template_problems(source)
    assert problems, source
    assert any(message in p for p in problems), problems
    with pytest.raises(TemplateRejected) as info:
        compile_template(source)
    assert isinstance(info.value, WinbackError)
    assert info.value.problems == problems


def test_every_problem_is_listed_once() -> None:
    problems = template_problems("{{ email }} {{ phone }} {{ email }} {{ a.b }}")
    assert problems == [
        "unknown placeholder 'email' (allowed: days_since_last_activity, favorite_category, "
        "first_name, incentive)",
        "unknown placeholder 'phone' (allowed: days_since_last_activity, favorite_category, "
        "first_name, incentive)",
        "attribute access ({{ x.y }}) is not allowed",
    ]


def test_allow_list_is_configurable() -> None:
    assert template_problems("{{ plan_name }}", ["plan_name"]) == []
    assert template_problems("{{ first_name }}", ["plan_name"]) == [
        "unknown placeholder 'first_name' (allowed: plan_name)"
    ]
    assert template_problems("{{ x }}", []) == ["unknown placeholder 'x' (allowed: none)"]


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    [
        ("{{ first_name | title }}", {"first_name": "mary-jane o'neil"}, "Mary-Jane O'neil"),
        ("{{ favorite_category | capitalize }}!", {"favorite_category": "hIIT"}, "Hiit!"),
        ("{{ first_name | upper }}", {"first_name": "ann"}, "ANN"),
        ("{{ first_name | lower }}", {"first_name": "ANN"}, "ann"),
    ],
)
def test_opt_in_text_filters_match_jinja(source: str, values: dict, expected: str) -> None:
    compiled = compile_template(source, filters=["title", "capitalize", "upper", "lower"])
    assert compiled.render(values) == expected == jinja_render(source, values)
    texts, _ = compiled.render_many(pd.DataFrame([values], dtype="string"))
    assert texts == [expected]


def test_filters_with_arguments_or_unsupported_are_refused() -> None:
    assert template_problems("{{ first_name | title(1) }}", filters=["title"]) == [
        "filter 'title' must be used without arguments"
    ]
    assert template_problems("{{ first_name | e }}", filters=["title"]) == [
        "filter 'e' is not allowed (allowed: title)"
    ]
    with pytest.raises(ValueError, match="unsupported filter"):
        template_problems("x", filters=["safe"])


def test_placeholders_in() -> None:
    assert placeholders_in("{{ incentive }} for {{ first_name }}, {{ incentive }}") == [
        "incentive",
        "first_name",
    ]


# --- missing values: strict, like StrictUndefined -------------------------------------------


def test_missing_value_raises_like_strict_undefined() -> None:
    source = "Hi {{ first_name }}, {{ incentive }}"
    compiled = compile_template(source)
    for values in ({"first_name": "Ann"}, {"first_name": "Ann", "incentive": None}):
        with pytest.raises(MissingPlaceholderValue) as info:
            compiled.render(values)
        assert info.value.placeholder == "incentive"
    with pytest.raises(UndefinedError):
        jinja_render(source, {"first_name": "Ann"})
    with pytest.raises(MissingPlaceholderValue):
        compiled.render({"first_name": "  ", "incentive": "x"})


def test_placeholder_values_fallbacks_and_formatting() -> None:
    cohort = pd.DataFrame(
        {
            "first_name": ["Ann", None, "   ", "Bo"],
            "favorite_category": ["yoga", None, "HIIT", ""],
            "days_since_last_activity": [12.0, 30.0, None, 7.5],
            "email": ["a@x.com"] * 4,
        }
    )
    incentive = pd.Series(["a free week", None, "20% off", None])
    values = placeholder_values(cohort, extra={"incentive": incentive})
    assert list(values.columns) == list(DEFAULT_PLACEHOLDERS)  # nothing else, no email
    assert values["first_name"].tolist() == ["Ann", "there", "there", "Bo"]
    assert values["favorite_category"].isna().tolist() == [False, True, False, True]
    assert values["days_since_last_activity"].tolist()[:2] == ["12", "30"]
    assert values["days_since_last_activity"].iloc[3] == "7.50"
    texts, missing = compile_template(
        "Hi {{ first_name }}, {{ favorite_category }} in {{ days_since_last_activity }} days"
    ).render_many(values)
    assert texts == ["Hi Ann, yoga in 12 days", None, None, None]
    assert missing == [None, "favorite_category", "days_since_last_activity", "favorite_category"]


def test_render_many_without_the_column_leaves_everyone_unrendered() -> None:
    texts, missing = compile_template("{{ incentive }}").render_many(
        pd.DataFrame({"first_name": ["A", "B"]})
    )
    assert texts == [None, None] and missing == ["incentive", "incentive"]


# --- properties: fast path == Jinja, no leaks -----------------------------------------------

SAFE_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="{}%#", blacklist_categories=("Cs",)),
    max_size=12,
)
SLOT = st.sampled_from(DEFAULT_PLACEHOLDERS).flatmap(
    lambda n: st.sampled_from([f"{{{{ {n} }}}}", f"{{{{{n}}}}}", f"{{{{- {n} -}}}}"])
)
TEMPLATE = st.lists(st.one_of(SAFE_TEXT, SLOT), max_size=8).map("".join)
VALUE = st.text(max_size=15).filter(lambda s: s.strip() != "")


@settings(max_examples=300, deadline=None)
@given(TEMPLATE, st.fixed_dictionaries({n: VALUE for n in DEFAULT_PLACEHOLDERS}))
def test_fast_path_equals_jinja_sandboxed_render(source: str, values: dict) -> None:
    compiled = compile_template(source)
    expected = jinja_render(source, values)
    assert compiled.render(values) == expected
    texts, missing = compiled.render_many(pd.DataFrame([values], dtype="string"))
    assert texts == [expected] and missing == [None]


SECRETS = {
    "email": "SECRET-mail@example.com",
    "phone": "SECRET-555-0100",
    "user_id": "SECRET-u000001",
    "user": {"email": "SECRET-nested@example.com"},
}


@settings(max_examples=200, deadline=None)
@given(TEMPLATE, st.fixed_dictionaries({n: st.sampled_from(["x", "Ann"]) for n in VALUES}))
def test_rendering_never_leaks_a_variable_outside_the_allow_list(source: str, values: dict) -> None:
    context = {**values, **SECRETS}
    out = compile_template(source).render(context)
    assert "SECRET" not in out
    assert "SECRET" not in jinja_render(source, context)


@pytest.mark.parametrize(
    "source",
    [
        "{{ email }}",
        "{{ user.email }}",
        "{{ user['email'] }}",
        "{{ first_name ~ phone }}",
        "{% for k in user %}{{ k }}{% endfor %}",
        "{{ self }}",
        "{{ first_name.__class__.__mro__ }}",
    ],
)
def test_templates_reaching_for_secrets_are_rejected(source: str) -> None:
    with pytest.raises(TemplateRejected):
        compile_template(source)


def test_fast_path_renders_100k_users_as_jinja_would() -> None:
    """Scale and sameness; speed is measured by scripts/bench_run.py, not asserted here."""
    n = 100_000
    values = pd.DataFrame(
        {
            "first_name": ["Maria", "Kofi", "Chen", "Ines"] * (n // 4),
            "favorite_category": ["yoga", "HIIT", "running", "cycling"] * (n // 4),
            "days_since_last_activity": ["12", "30", "15", "21"] * (n // 4),
            "incentive": ["a free week of Premium"] * n,
        },
        dtype="string",
    )
    source = (
        "Hi {{ first_name }}, it has been {{ days_since_last_activity }} days since your last "
        "{{ favorite_category }} session. Come back with {{ incentive }}."
    )
    compiled = compile_template(source)
    texts, _ = compiled.render_many(values)
    assert len(texts) == n
    for i in (0, 1, 2, 3, n - 1):
        assert texts[i] == jinja_render(source, values.iloc[i].to_dict())
