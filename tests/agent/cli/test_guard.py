"""`winback guard check`: the JSON contract, the table, and bad input line by line."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agent.cli import app
from guardrails.message import MAX_TEXT_CHARS

runner = CliRunner()
GOOD = {"id": "ok", "channel": "sms", "text": "Hi Paris, your yoga class is back. Reply STOP"}
BAD = {"id": "bad", "channel": "sms", "text": "Since your divorce, you deserve a treat. Reply STOP"}


def run(lines: list[str | bytes], *args: str):
    data = b"\n".join(x if isinstance(x, bytes) else x.encode() for x in lines) + b"\n"
    return runner.invoke(app, ["guard", "check", "-", *args], input=data)


def out_lines(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_json_contract(analyzer):
    result = run([json.dumps(GOOD), json.dumps(BAD)], "--json")
    assert result.exit_code == 0, result.output
    good, bad = out_lines(result)
    assert good == {"id": "ok", "verdict": "pass", "findings": []}
    assert bad["verdict"] == "block"
    for finding in bad["findings"]:
        assert {"code", "category", "severity", "start", "end", "message"} <= set(finding)
    spans = {BAD["text"][f["start"] : f["end"]] for f in bad["findings"]}
    assert "divorce" in spans or any("divorce" in s for s in spans), spans


def test_file_argument_and_table(analyzer, tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(BAD) + "\n")
    result = runner.invoke(app, ["guard", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "block" in result.stdout and "divorce" in result.stdout and "pass" in result.stdout


BAD_LINES = [
    (json.dumps({"id": "e", "channel": "sms", "text": "  "}), "'text' is empty"),
    (b'{"id": "u", "channel": "sms", "text": "caf\xe9"}', "not valid UTF-8"),
    ("this is not json", "not valid JSON"),
    (json.dumps({"id": "nt", "channel": "sms"}), "missing 'text'"),
    (json.dumps({"id": "ch", "channel": "fax", "text": "hi"}), "unknown channel 'fax'"),
    (json.dumps({"id": "big", "channel": "sms", "text": "a" * (1 << 20)}), f"{MAX_TEXT_CHARS:,}"),
    (json.dumps([1, 2]), "expected a JSON object"),
    (json.dumps({"id": "inc", "channel": "sms", "text": "x", "incentive": 5}), "'incentive'"),
]


def test_each_bad_line_gets_an_error_and_the_others_are_checked(analyzer):
    lines = [json.dumps(GOOD)] + [line for line, _ in BAD_LINES] + [json.dumps(BAD)]
    result = run(lines, "--json")
    assert result.exit_code == 2
    rows = out_lines(result)
    assert len(rows) == len(BAD_LINES) + 2
    assert rows[0]["verdict"] == "pass" and rows[-1]["verdict"] == "block"
    for row, (_, expected) in zip(rows[1:-1], BAD_LINES, strict=True):
        assert expected in row["error"], row
        assert "line" in row and "id" in row
    assert "lines could not be checked" in result.stderr


def test_table_mode_reports_bad_lines_on_stderr(analyzer):
    result = run([json.dumps(GOOD), "not json"])
    assert result.exit_code == 2
    assert "line 2: not valid JSON" in result.stderr
    assert "ok" in result.stdout


def test_malformed_policy_names_the_key(tmp_path):
    policy = tmp_path / "p.yaml"
    policy.write_text("rules:\n  age: {severity: loud}\n")
    result = run([json.dumps(GOOD)], "--policy", str(policy))
    assert result.exit_code == 2
    assert "rules.age.severity must be one of off, warn, block" in result.stderr
    policy.write_text("rules: [unclosed\n")
    result = run([json.dumps(GOOD)], "--policy", str(policy))
    assert result.exit_code == 2 and "not valid YAML" in result.stderr
    result = run([json.dumps(GOOD)], "--policy", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_policy_override_changes_the_verdict(analyzer, tmp_path):
    policy = tmp_path / "p.yaml"
    # the rule layer alone: the semantic layer would block this message on its own
    policy.write_text(
        "rules:\n  family_relationship: {severity: warn}\nsemantic:\n  enabled: false\n"
    )
    result = run([json.dumps(BAD)], "--json", "--policy", str(policy))
    assert out_lines(result)[0]["verdict"] == "warn"


def test_missing_file_and_missing_model_are_one_line_errors(tmp_path):
    result = runner.invoke(app, ["guard", "check", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 2 and "Cannot read" in result.stderr
    result = run([json.dumps(GOOD)], "--spacy-model", "en_core_web_absent")
    assert result.exit_code == 2 and "pip install en-core-web-absent" in result.stderr


def test_table_shows_square_brackets_literally(analyzer):
    """Ids, messages and findings are data: rich must not read `[link]` or `[/bold]` as markup."""
    lines = [
        {"id": "promo[link]", "channel": "sms", "text": "Hi {{ first_name }}, [link] Reply STOP"},
        {"id": "x[/bold]", "channel": "sms", "text": "Hi [FIRST NAME], back [/bold] Reply STOP"},
    ]
    result = runner.invoke(
        app,
        ["guard", "check", "-"],
        input="\n".join(map(json.dumps, lines)) + "\n",
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "promo[link]" in out and "x[/bold]" in out
    assert "Hi {{ first_name }}, [link] Reply STOP" in out
    assert "Unresolved placeholder or template syntax: '[link]'" in out
    assert "Unresolved placeholder or template syntax: '[FIRST NAME]'" in out
    assert "back [/bold] Reply STOP" in out
