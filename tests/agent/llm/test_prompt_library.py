"""The prompt library: file format, validation errors, sandboxed rendering, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.llm.prompt_library import PromptError, PromptLibrary, parse_prompt_file
from agent.llm.schemas import SCHEMAS

runner = CliRunner()

GOOD = """---
name: greet
version: 1
description: Greets.
inputs:
  who: str
---
### system
Be kind.
### user
Hello {{ who }}
"""


def prompt_file(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_prompts_load_and_name_real_schemas():
    library = PromptLibrary()
    refs = [p.ref for p in library.all()]
    assert {"segment_synthesis@1", "email_variants@1", "sms_variants@1", "push_variants@1"} <= set(
        refs
    )
    for p in library.all():
        assert p.output_schema in SCHEMAS


def test_versions_side_by_side(tmp_path):
    prompt_file(tmp_path, "greet.v1.j2", GOOD)
    prompt_file(
        tmp_path, "greet.v2.j2", GOOD.replace("version: 1", "version: 2").replace("Hello", "Hi")
    )
    library = PromptLibrary(tmp_path)
    assert library.get("greet").version == 2
    assert library.get("greet@1").render({"who": "team"})[-1]["content"] == "Hello team"
    assert library.get("greet@2").render({"who": "team"}) == [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "Hi team"},
    ]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "greet.v1.j2",
            GOOD.replace("---\nname", "name", 1),
            "must start with a '---' metadata header",
        ),
        ("greet.v1.j2", GOOD.replace("\n---\n###", "\n###"), "header is not closed"),
        (
            "greet.v1.j2",
            GOOD.replace("description: Greets.", "description: Greets: bad"),
            "greet.v1.j2: the metadata header is not valid YAML: "
            "mapping values are not allowed here (line 4)",
        ),
        (
            "greet.v1.j2",
            GOOD.replace("version: 1", "version: 1\ncolour: red"),
            "unknown header key(s) colour",
        ),
        ("greet.v1.j2", GOOD.replace("description: Greets.\n", ""), "missing 'description'"),
        ("greet.v1.j2", GOOD.replace("who: str", "who: person"), "inputs must map names"),
        (
            "greet.v1.j2",
            GOOD.replace("Hello {{ who }}", "Hello {{ who }} {{ where }}"),
            "undeclared variable(s) where",
        ),
        (
            "greet.v1.j2",
            GOOD.replace("Hello {{ who }}", "Hello {{ who }"),
            "greet.v1.j2:11: template syntax error",
        ),
        ("greet.v2.j2", GOOD, "header says greet@1 but the file name says greet@2"),
        ("Greet.j2", GOOD, "is not NAME.vN.j2"),
    ],
)
def test_bad_prompt_files_name_file_and_problem(tmp_path, name, text, message):
    with pytest.raises(PromptError) as err:
        parse_prompt_file(prompt_file(tmp_path, name, text))
    assert message in str(err.value)
    assert err.value.exit_code == 2


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({}, "needs variable(s) who"),
        ({"who": 3}, "variable 'who' must be str, got int"),
    ],
)
def test_bad_variables(tmp_path, variables, message):
    prompt = parse_prompt_file(prompt_file(tmp_path, "greet.v1.j2", GOOD))
    with pytest.raises(PromptError, match=message.replace("(", r"\(").replace(")", r"\)")):
        prompt.render(variables)


def test_rendering_is_sandboxed(tmp_path):
    text = GOOD.replace("Hello {{ who }}", "Hello {{ who.__class__.__mro__ }}")
    prompt = parse_prompt_file(prompt_file(tmp_path, "greet.v1.j2", text))
    with pytest.raises(Exception, match=r"unsafe|__class__|undefined"):
        prompt.render({"who": "x"})


def test_body_must_end_with_user_message(tmp_path):
    text = GOOD.replace("### user\nHello {{ who }}\n", "")
    prompt = parse_prompt_file(prompt_file(tmp_path, "greet.v1.j2", text))
    with pytest.raises(PromptError, match="must end with a non-empty '### user' message"):
        prompt.render({"who": "x"})


def test_cli_list_show_render(tmp_path):
    result = runner.invoke(app, ["prompts", "list", "--json"])
    assert result.exit_code == 0
    assert "segment_synthesis@1" in [r["ref"] for r in json.loads(result.stdout)]
    result = runner.invoke(app, ["prompts", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "segment_synthesis@1" in result.stdout and "description" in result.stdout
    result = runner.invoke(app, ["prompts", "show", "sms_variants@1"])
    assert result.exit_code == 0 and "Reply STOP" in result.stdout
    vars_file = tmp_path / "vars.yaml"
    vars_file.write_text(
        "segment: {cluster_id: 0, name: Loyalists, description: Long-time members,"
        " tone: warm, message_angle: we miss you, incentive_tier: none}\n"
        "placeholders: [first_name]\nn: 2\nbrand_voice: upbeat\nfeedback: ''\n"
    )
    result = runner.invoke(
        app, ["prompts", "render", "sms_variants@1", "--vars", str(vars_file), "--json"]
    )
    assert result.exit_code == 0, result.output
    messages = json.loads(result.stdout)["messages"]
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "Write 2 different text messages." in messages[1]["content"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["prompts", "show", "nope"], "Unknown prompt 'nope'"),
        (["prompts", "show", "sms_variants@9"], "has no version '9'"),
        (["prompts", "render", "sms_variants", "--vars", "/no/file.yaml"], "does not exist"),
    ],
)
def test_cli_bad_input(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_cli_render_missing_variable(tmp_path):
    vars_file = tmp_path / "v.yaml"
    vars_file.write_text("n: 2\n")
    result = runner.invoke(app, ["prompts", "render", "sms_variants@1", "--vars", str(vars_file)])
    assert result.exit_code == 2
    assert "needs variable(s) brand_voice, feedback, placeholders, segment" in result.stderr
