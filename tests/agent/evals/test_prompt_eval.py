"""`winback prompts eval`: suite validation, each assertion type, and recorded runs.

Loader and assertion tests work on hand-made suites and output dicts. The
runner tests replay the embedded model's recorded replies (cassettes) for a
shipped suite and for a side-by-side comparison of two prompt versions.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from agent.cli import app
from agent.errors import StructuredOutputError, WinbackError
from agent.evals.assertions import Assertion, AssertionResult, EvalContext, run_assertion
from agent.evals.suite import (
    EVALS_DIR,
    PromptResult,
    load_suite,
    run_case,
    run_suite,
    score_case,
)
from agent.llm.client import LLM
from agent.llm.prompt_library import TEMPLATES_DIR, PromptLibrary
from guardrails.policy import load_policy

runner = CliRunner()
LIBRARY = PromptLibrary()
POLICY = load_policy()
PLACEHOLDERS = ["first_name", "favorite_category", "days_since_last_activity", "incentive"]
SEGMENT = {
    "cluster_id": 0,
    "name": "Silent loyalists",
    "description": "Long-time members who quietly stopped.",
    "tone": "warm",
    "message_angle": "welcome them back",
    "incentive_tier": "medium",
}
PUSH_VARS = {
    "segment": SEGMENT,
    "placeholders": PLACEHOLDERS,
    "n": 2,
    "brand_voice": "Friendly.",
    "feedback": "",
}
PROFILES = [{"cluster_id": 0, "size": 10}, {"cluster_id": 1, "size": 20}]
SEG_VARS = {"profiles": PROFILES, "brand_voice": "Friendly."}
GOOD_PUSH = {
    "variants": [
        {"title": "Your mat misses you", "body": "Hi {{ first_name }}, a new yoga class is ready."},
        {
            "title": "Back on the mat",
            "body": "Come back to {{ favorite_category }} with {{ incentive }} this month.",
        },
    ]
}
BAD_PUSH = {
    "variants": [
        {"title": "We miss you", "body": "Since your knee injury, we noticed you stopped."},
        {"title": "Hi", "body": "{{ user.email }} come back"},
    ]
}


def _plan(
    cid: int, name: str, description: str = "Members who trained often then stopped."
) -> dict:
    return {
        "cluster_id": cid,
        "name": name,
        "description": description,
        "defining_traits": ["long tenure", "frequent classes"],
        "pain_points": ["busy schedule"],
        "tone": "warm and appreciative",
        "message_angle": "welcome them back to their classes",
        "incentive_tier": "low",
        "rationale": "They were loyal for years and stopped recently.",
    }


GOOD_PLANS = {"segments": [_plan(0, "Silent loyalists"), _plan(1, "Trial and gone")]}
BAD_PLANS = {
    "segments": [
        _plan(0, "Silent loyalists", "Members who are depressed since their divorce."),
        _plan(0, "1.5", "x"),
    ]
}


def _ctx(prompt: str, variables: dict) -> EvalContext:
    return EvalContext(LIBRARY.get(prompt), variables, POLICY, {"name": "t", "vars": variables})


# -- assertions ------------------------------------------------------------------
ROWS = [
    # (assertion, prompt, vars, output, expected pass)
    ({"type": "schema-valid"}, "push_variants@1", PUSH_VARS, GOOD_PUSH, True),
    ({"type": "schema-valid"}, "push_variants@1", PUSH_VARS, BAD_PUSH, False),
    ({"type": "schema-valid"}, "push_variants@1", PUSH_VARS, {"variants": [{"x": 1}]}, False),
    ({"type": "schema-valid"}, "push_variants@1", PUSH_VARS, {"variants": []}, False),
    ({"type": "schema-valid"}, "segment_synthesis@1", SEG_VARS, GOOD_PLANS, True),
    ({"type": "schema-valid"}, "segment_synthesis@1", SEG_VARS, BAD_PLANS, False),
    ({"type": "guard-pass"}, "push_variants@1", PUSH_VARS, GOOD_PUSH, True),
    ({"type": "guard-pass"}, "push_variants@1", PUSH_VARS, BAD_PUSH, False),
    ({"type": "guard-pass"}, "segment_synthesis@1", SEG_VARS, GOOD_PLANS, True),
    ({"type": "guard-pass"}, "segment_synthesis@1", SEG_VARS, BAD_PLANS, False),
    ({"type": "contains", "value": "YOGA"}, "push_variants@1", PUSH_VARS, GOOD_PUSH, True),
    (
        {"type": "contains", "value": ["yoga", "pilates"]},
        "push_variants@1",
        PUSH_VARS,
        GOOD_PUSH,
        False,
    ),
    ({"type": "not-contains", "value": "Injury"}, "push_variants@1", PUSH_VARS, GOOD_PUSH, True),
    ({"type": "not-contains", "value": "Injury"}, "push_variants@1", PUSH_VARS, BAD_PUSH, False),
    (
        {"type": "regex", "value": r"\{\{ incentive \}\}"},
        "push_variants@1",
        PUSH_VARS,
        GOOD_PUSH,
        True,
    ),
    ({"type": "regex", "value": r"(?i)^hurry"}, "push_variants@1", PUSH_VARS, GOOD_PUSH, False),
    (
        {"type": "max-chars", "value": 40, "field": "title"},
        "push_variants@1",
        PUSH_VARS,
        GOOD_PUSH,
        True,
    ),
    (
        {"type": "max-chars", "value": 30, "field": "body"},
        "push_variants@1",
        PUSH_VARS,
        GOOD_PUSH,
        False,
    ),
    ({"type": "max-chars", "value": 200}, "push_variants@1", PUSH_VARS, GOOD_PUSH, True),
    ({"type": "max-chars", "value": 50}, "push_variants@1", PUSH_VARS, GOOD_PUSH, False),
    ({"type": "segment-count"}, "segment_synthesis@1", SEG_VARS, GOOD_PLANS, True),
    ({"type": "segment-count", "value": 3}, "segment_synthesis@1", SEG_VARS, GOOD_PLANS, False),
    ({"type": "segment-count"}, "segment_synthesis@1", SEG_VARS, {"segments": []}, False),
    (
        {"type": "python", "value": "prompts.evals.checks:mentions_offer_placeholder"},
        "push_variants@1",
        PUSH_VARS,
        GOOD_PUSH,
        True,
    ),
    (
        {"type": "python", "value": "prompts.evals.checks:mentions_offer_placeholder"},
        "push_variants@1",
        PUSH_VARS,
        BAD_PUSH,
        False,
    ),
    (
        {"type": "python", "value": "prompts.evals.checks:no_fake_urgency"},
        "push_variants@1",
        PUSH_VARS,
        {"variants": [{"title": "Hurry", "body": "The offer disappears tonight!"}]},
        False,
    ),
    (
        {"type": "python", "value": "prompts.evals.checks:distinct_variants"},
        "push_variants@1",
        PUSH_VARS,
        GOOD_PUSH,
        True,
    ),
    (
        {"type": "python", "value": "prompts.evals.checks:distinct_variants", "threshold": 0.9},
        "push_variants@1",
        PUSH_VARS,
        {"variants": [GOOD_PUSH["variants"][0]] * 2},
        False,
    ),
]


@pytest.mark.parametrize(("assertion", "prompt", "variables", "output", "expected"), ROWS)
def test_assertion_table(assertion, prompt, variables, output, expected):
    result = run_assertion(Assertion(**assertion), output, _ctx(prompt, variables))
    assert result.passed is expected, result.reason
    assert 0.0 <= result.score <= 1.0
    assert result.reason
    if expected and assertion["type"] != "python":
        assert result.score == 1.0


def test_no_output_fails_every_assertion_with_the_reason():
    for kind in ("schema-valid", "guard-pass", "not-contains"):
        a = Assertion(type=kind, value="x" if kind == "not-contains" else None)
        r = run_assertion(a, None, _ctx("push_variants@1", PUSH_VARS), "title: Field required")
        assert not r.passed and r.score == 0.0 and "title: Field required" in r.reason


def test_python_assertion_errors_and_return_shapes(monkeypatch):
    import prompts.evals.checks as checks

    ctx = _ctx("push_variants@1", PUSH_VARS)
    monkeypatch.setattr(checks, "boom", lambda o, c: 1 / 0, raising=False)
    monkeypatch.setattr(checks, "half", lambda o, c: 0.5, raising=False)
    monkeypatch.setattr(checks, "text", lambda o, c: "yes", raising=False)
    r = run_assertion(Assertion(type="python", value="prompts.evals.checks:boom"), GOOD_PUSH, ctx)
    assert not r.passed and "ZeroDivisionError" in r.reason
    r = run_assertion(Assertion(type="python", value="prompts.evals.checks:half"), GOOD_PUSH, ctx)
    assert r.passed and r.score == 0.5
    r = run_assertion(Assertion(type="python", value="prompts.evals.checks:text"), GOOD_PUSH, ctx)
    assert not r.passed and "not bool/float/dict" in r.reason


@pytest.mark.parametrize(
    ("scores", "threshold", "expected"),
    [
        ([(True, 1.0, False), (False, 0.0, False)], 1.0, False),
        ([(True, 1.0, True), (True, 1.0, False)], 1.0, True),
        (
            [(True, 1.0, True), (True, 1.0, True), (True, 1.0, True), (False, 0.0, False)],
            0.75,
            True,
        ),
        (
            [(False, 0.0, True), (True, 1.0, False), (True, 1.0, False), (True, 1.0, False)],
            0.5,
            False,
        ),
        ([(True, 1.0, True), (False, 0.0, False), (False, 0.0, False)], 0.75, False),
    ],
)
def test_case_score_threshold_and_required(scores, threshold, expected):
    results = [AssertionResult("x", p, s, "", 1.0, req) for p, s, req in scores]
    assert score_case("c", results, threshold, {"variants": []}).passed is expected


# -- loader ------------------------------------------------------------------------
def _suite(tmp_path: Path, data: dict, name: str = "suite.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


BASE = {
    "prompt": "push_variants@1",  # the error rows name this version
    "threshold": 0.5,
    "vars": {"placeholders": PLACEHOLDERS, "n": 2, "brand_voice": "Friendly.", "feedback": ""},
    "default": [{"type": "schema-valid"}],
    "cases": [{"name": "one", "vars": {"segment": SEGMENT}, "assert": []}],
}


def _with(**changes) -> dict:
    data = json.loads(json.dumps(BASE))
    for key, value in changes.items():
        data[key] = value
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_with(treshold=0.8), "treshold: unknown key"),
        (
            _with(cases=[{"name": "one", "vars": {"segment": SEGMENT}, "asert": []}]),
            "cases[0] ('one').asert: unknown key",
        ),
        (
            _with(default=[{"type": "schema-valid", "wieght": 2}]),
            "default[0].wieght: unknown key",
        ),
        (
            _with(default=[{"type": "llm-rubric", "value": "nice"}]),
            "default[0].type: unknown assertion type 'llm-rubric'",
        ),
        (
            _with(cases=[{"name": "one", "vars": {}}]),
            "cases[0] ('one').vars: missing segment for push_variants@1",
        ),
        (
            _with(cases=[{"name": "one", "vars": {"segment": SEGMENT, "n": "two"}}]),
            "variable 'n' must be int",
        ),
        (
            _with(default=[{"type": "python", "value": "prompts.evals.checks:nope"}]),
            "default[0].value: bad python reference: module 'prompts.evals.checks' has no "
            "function 'nope'",
        ),
        (
            _with(default=[{"type": "python", "value": "no_such_module_xyz:f"}]),
            "cannot import module 'no_such_module_xyz'",
        ),
        (
            _with(default=[{"type": "python", "value": "prompts.evals.checks"}]),
            "is not 'module.path:function'",
        ),
        (_with(default=[{"type": "regex", "value": "("}]), "invalid regex"),
        (_with(default=[{"type": "contains"}]), "assertion contains needs a value"),
        (_with(default=[{"type": "max-chars", "value": "ten"}]), "needs a whole number"),
        (_with(default=[{"type": "segment-count"}]), "segment-count only applies to segment plans"),
        (_with(prompt="push_variants@9"), "prompt: Prompt push_variants has no version '9'"),
        (_with(cases=[]), "cases: List should have at least 1 item"),
    ],
)
def test_bad_suite_names_file_and_key(tmp_path, data, message):
    path = _suite(tmp_path, data)
    with pytest.raises(WinbackError) as info:
        load_suite(path)
    assert str(path) in info.value.message
    assert message in info.value.message


def test_bad_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("prompt: [unclosed\n")
    with pytest.raises(WinbackError, match="is not valid YAML"):
        load_suite(bad)
    with pytest.raises(WinbackError, match="does not exist"):
        load_suite(tmp_path / "missing.yaml")


def test_cli_bad_suite_is_exit_2_with_one_line(tmp_path):
    path = _suite(tmp_path, _with(default=[{"type": "llm-rubric"}]))
    result = runner.invoke(app, ["prompts", "eval", str(path)])
    assert result.exit_code == 2
    assert "unknown assertion type 'llm-rubric'" in result.stderr
    assert "Traceback" not in result.output


def test_every_shipped_prompt_has_a_suite_that_loads():
    suites = {p.stem: load_suite(p) for p in sorted(EVALS_DIR.glob("*.yaml"))}
    assert {p.name for p in LIBRARY.all()} <= set(suites)
    for name, loaded in suites.items():
        assert [p.name for p in loaded.prompts] == [name]
        assert 3 <= len(loaded.suite.cases) <= 8  # variant suites: 4 cases + 4 quality cases
        kinds = {a.type for a in loaded.suite.default}
        assert {"schema-valid", "guard-pass"} <= kinds
        assert any("adversarial" in c.name for c in loaded.suite.cases)


def test_prompt_override_replaces_the_suite_prompt():
    loaded = load_suite(EVALS_DIR / "push_variants.yaml", ["push_variants@1", "push_variants@1"])
    assert [p.ref for p in loaded.prompts] == ["push_variants@1", "push_variants@1"]


# -- runner ----------------------------------------------------------------------
class _NeverValid:
    """An LLM whose output never validates (the error path of the runner)."""

    def structured(self, schema, messages, **kwargs):
        raise StructuredOutputError(
            schema.__name__, [{"raw": '{"variants": [{}]}', "errors": "variants.0.title: missing"}]
        )


def test_invalid_output_fails_every_assertion_without_crashing():
    loaded = load_suite(EVALS_DIR / "push_variants.yaml")
    case = loaded.suite.cases[0]
    result = run_case(_NeverValid(), loaded.prompts[0], case, loaded.suite, POLICY)
    assert not result.passed and result.output is None
    assert result.error == "variants.0.title: missing"
    assert result.assertions and all(not a.passed for a in result.assertions)
    assert all("variants.0.title: missing" in a.reason for a in result.assertions)


@pytest.mark.vcr
def test_shipped_sms_suite_on_recorded_model(llm_settings):
    loaded = load_suite(EVALS_DIR / "sms_variants.yaml")
    settings = llm_settings.model_copy(update={"timeout": 900.0})  # slow when recording
    with LLM(settings) as llm:
        results = run_suite(loaded, llm, POLICY)
        usage = llm.usage.summary()
    assert [r.prompt for r in results] == ["sms_variants@2"]
    result = results[0]
    assert [c.name for c in result.cases] == [c.name for c in loaded.suite.cases]
    assert usage["calls"] == len(loaded.suite.cases)  # one call per case, no re-asks
    expected_types = {"schema-valid", "guard-pass", "max-chars", "python"}
    assert expected_types <= set(result.by_assertion())
    for case in result.cases:
        assert len(case.assertions) >= len(loaded.suite.default) + 1  # quality cases: 2-3
        if case.output is None:  # never validated: every assertion failed, with the reason
            assert not case.passed and all(not a.passed for a in case.assertions)
    rate = sum(c.passed for c in result.cases) / len(result.cases)
    assert result.pass_rate == rate
    assert result.passed is (rate >= loaded.suite.threshold)
    doc = result.to_dict()
    assert set(doc) >= {"prompt", "pass_rate", "passed", "cases", "by_assertion"}


V2_RULES = """Rules that beat the brand voice:
- Talk about the app, its classes and the reader's favorite activity only.
- Never mention weight, body, injury, recovery, health, age, family or money.
- No deadlines and no pressure: never write "tonight", "hurry", "last chance" or "ends soon".
- Never say you watched or tracked the reader, and never use the segment's name.
- A title of 2-6 words (under 40 characters) and a body of one sentence (under 120 characters).

Example: title "Your mat misses you", body "Hi {{ '{{ first_name }}' }}, a new \
{{ '{{ favorite_category }}' }} class is waiting for you.\""""


def push_v2() -> str:
    """push_variants@1 copied and edited the way the README walkthrough does it."""
    v1 = (TEMPLATES_DIR / "push_variants.v1.j2").read_text(encoding="utf-8")
    edits = [
        ("version: 1", "version: 2"),
        (
            "description: Writes win-back push notification templates for one segment, "
            "with allow-listed placeholders only.",
            "description: Writes win-back push notification templates for one segment; "
            "v2 spells out the safety rules and gives an example.",
        ),
        (
            "Use no other placeholder. Never mention health, body, age, family, money trouble "
            "or anything personal; never say you watched or tracked the reader; no guilt, "
            "no fake urgency.\nA title under 40 characters and a body under 120 characters.",
            V2_RULES,
        ),
        (
            "Segment: {{ segment.name }} — {{ segment.description }}",
            "Who they are: {{ segment.description }}",
        ),
    ]
    for old, new in edits:
        assert old in v1, old
        v1 = v1.replace(old, new)
    return v1


@pytest.fixture
def prompt_folder(tmp_path: Path) -> Path:
    """The shipped prompts plus a push_variants v2."""
    folder = tmp_path / "my-prompts"
    shutil.copytree(TEMPLATES_DIR, folder)
    (folder / "push_variants.v2.j2").write_text(push_v2(), encoding="utf-8")
    return folder


@pytest.mark.vcr
def test_cli_compares_two_versions_side_by_side(prompt_folder, llm_cli_env):
    suite = str(EVALS_DIR / "push_variants.yaml")
    args = ["prompts", "eval", suite, "--folder", str(prompt_folder)]
    args += ["--prompt", "push_variants@1", "--prompt", "push_variants@2"]
    first = runner.invoke(app, [*args, "--json"], env=llm_cli_env)
    assert first.exit_code in (0, 1), first.output
    doc = json.loads(first.stdout)
    assert set(doc) >= {"suite", "results", "llm"}
    assert [r["prompt"] for r in doc["results"]] == ["push_variants@1", "push_variants@2"]
    n_cases = len(load_suite(suite).suite.cases)
    assert doc["llm"]["calls"] == 2 * n_cases
    for r in doc["results"]:
        assert len(r["cases"]) == n_cases
        assert r["passed"] is (r["pass_rate"] >= doc["threshold"])
        assert r["by_assertion"]["schema-valid"]["total"] == n_cases
    assert first.exit_code == (0 if all(r["passed"] for r in doc["results"]) else 1)

    # the same run as a table, from the response cache (no model calls)
    table = runner.invoke(app, args, env=llm_cli_env)
    assert table.exit_code == first.exit_code, table.output
    assert "push_variants@1" in table.stdout and "push_variants@2" in table.stdout
    assert "diff" in table.stdout and "cases (overall)" in table.stdout
    assert "0 calls" in table.stdout or "cached" in table.stdout


def test_eval_table_shows_square_brackets_literally():
    """Case names and failure reasons are data: `[link]` and `[/b]` are not rich markup."""
    from io import StringIO

    from rich.console import Console

    from agent.cli.prompts import _print_eval

    reason = "Unresolved placeholder or template syntax: '[link]'"
    result = PromptResult("email_variants@1", 0.75)
    failed = AssertionResult("guard-pass", False, 0.0, reason)
    result.cases.append(score_case("case [/b]", [failed], 1.0, {"variants": []}))
    doc = {
        "suite": "suite[/b].yaml",
        "description": "d",
        "threshold": 0.75,
        "results": [result.to_dict()],
        "llm": {"provider": "local", "model": "m", "calls": 1, "cached_calls": 0,
                "input_tokens": 1, "output_tokens": 1},
    }  # fmt: skip
    out = StringIO()
    _print_eval(doc, Console(file=out, width=200))
    text = out.getvalue()
    assert f"guard-pass: {reason}" in text
    assert "case [/b]" in text and "suite[/b].yaml" in text
