"""Every YAML file a user gives winback fails the same clear ways."""

from __future__ import annotations

import pytest

from agent.drafts.render import load_baseline_copy
from agent.errors import ConfigError, UserError
from prompts.yaml_file import parse_yaml_mapping, read_yaml_mapping


@pytest.mark.parametrize(
    ("content", "kwargs", "message", "fix"),
    [
        (None, {}, "Thing file {p} does not exist", "Check the path."),
        (b"a: [b\n", {}, "Thing file {p} is not valid YAML: ", "Fix it."),
        (b"a: 1\nb: [2\n", {}, "(line 3)", "Fix it."),
        (b"model: \xff\xfe\n", {}, "is not valid YAML: 'utf-8' codec", "Fix it."),
        (b"- a\n- b\n", {"kind": "a mapping of keys"}, "{p} must be a mapping of keys", "Fix it."),
        (b"", {"empty_ok": False}, "{p} must be a mapping", "Fix it."),
    ],
    ids=["missing", "syntax", "line", "not-utf8", "list", "empty-not-ok"],
)
def test_each_failure_names_the_file_and_the_fix(tmp_path, content, kwargs, message, fix):
    path = tmp_path / "thing.yaml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UserError) as err:
        read_yaml_mapping(path, "Thing file", fix="Fix it.", **kwargs)
    assert message.format(p=path) in err.value.message
    assert err.value.fix == fix


def test_parse_names_the_line_of_the_whole_file():
    with pytest.raises(UserError, match=r"Header of x.j2 is not valid YAML: .* \(line 4\)"):
        parse_yaml_mapping("name: a\nb: [", "Header of x.j2", fix="Fix it.", first_line=3)


def test_a_folder_is_named_as_such(tmp_path):
    with pytest.raises(UserError, match="is a folder, not a file"):
        read_yaml_mapping(tmp_path, "Thing file", fix="Fix it.")


def test_empty_file_is_an_empty_mapping_and_error_class_is_kept(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    assert read_yaml_mapping(path, "Config file", fix="f") == {}
    path.write_text("- a\n")
    with pytest.raises(ConfigError):
        read_yaml_mapping(path, "Config file", fix="f", error=ConfigError)


def test_baseline_copy_that_is_a_list_is_a_clear_error(tmp_path):
    path = tmp_path / "baseline.yaml"
    path.write_text("- email\n")
    with pytest.raises(UserError, match=r"Baseline copy file .* must be a mapping"):
        load_baseline_copy(path, ["first_name"])
