"""The prompt library: versioned Jinja2 prompt files with a metadata header.

A prompt file lives in `prompts/templates/NAME.vN.j2` and looks like this:

    ---
    name: segment_synthesis
    version: 1
    description: Names and explains behavioural clusters from PII-free profiles.
    inputs:
      profiles: list
      brand_voice: str
    output_schema: SegmentPlans
    temperature: 0.2
    max_tokens: 900
    ---
    ### system
    You are ...
    ### user
    {{ profiles | tojson }}

The header is YAML (unknown keys are errors); the body is split into chat
messages by `### system` / `### user` / `### assistant` lines. Bodies render in
a sandbox with `StrictUndefined`: a variable the header does not declare, or a
declared one that is not given, is an error naming the file and line. Several
versions of one prompt live side by side; `NAME` means its highest version and
`NAME@N` pins one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta
from jinja2.sandbox import SandboxedEnvironment

from agent.errors import WinbackError
from prompts import PROMPTS_DIR
from prompts.yaml_file import parse_yaml_mapping

TEMPLATES_DIR = PROMPTS_DIR / "templates"
HEADER_KEYS = {
    "name",
    "version",
    "description",
    "inputs",
    "output_schema",
    "temperature",
    "max_tokens",
}
INPUT_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "list": (list, tuple),
    "dict": (dict,),
}
ROLE_LINE = re.compile(r"^###\s*(system|user|assistant)\s*$", re.MULTILINE)
FILE_NAME = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)\.v(?P<version>\d+)\.j2$")


class PromptError(WinbackError):
    """A prompt file or its variables are invalid."""


def _env() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass(frozen=True)
class PromptTemplate:
    """One version of one prompt: metadata plus the template body."""

    name: str
    version: int
    description: str
    inputs: dict[str, str]
    output_schema: str | None
    temperature: float | None
    max_tokens: int | None
    body: str
    path: Path
    body_line: int  # line number in the file where the body starts
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        """`name@version`, as recorded on batches and drafts."""
        return f"{self.name}@{self.version}"

    def render(self, variables: dict[str, Any]) -> list[dict[str, str]]:
        """The chat messages for these variables (checked against the declared inputs)."""
        missing = sorted(set(self.inputs) - set(variables))
        if missing:
            raise PromptError(
                f"Prompt {self.ref} ({self.path}) needs variable(s) {', '.join(missing)}",
                f"Provide them; declared inputs: {', '.join(self.inputs)}.",
            )
        for key, kind in self.inputs.items():
            if not isinstance(variables[key], INPUT_TYPES[kind]) or (
                kind in ("int", "float") and isinstance(variables[key], bool)
            ):
                raise PromptError(
                    f"Prompt {self.ref} variable {key!r} must be {kind}, "
                    f"got {type(variables[key]).__name__}",
                    "Fix the value passed for it (see `winback prompts show`).",
                )
        try:
            text = _env().from_string(self.body).render(**variables)
        except UndefinedError as exc:
            raise PromptError(
                f"Prompt {self.ref} ({self.path}): {exc}", "Fix the template."
            ) from exc
        return split_messages(text, self)


def split_messages(text: str, prompt: PromptTemplate) -> list[dict[str, str]]:
    """Split rendered text into chat messages at `### role` lines."""
    parts = ROLE_LINE.split(text)
    if parts[0].strip():
        raise PromptError(
            f"Prompt {prompt.ref} ({prompt.path}) has text before its first '### role' line",
            "Start the body with '### system' or '### user'.",
        )
    messages = []
    for role, content in zip(parts[1::2], parts[2::2], strict=True):
        if content.strip():
            messages.append({"role": role, "content": content.strip()})
    if not messages or messages[-1]["role"] != "user":
        raise PromptError(
            f"Prompt {prompt.ref} ({prompt.path}) must end with a non-empty '### user' message",
            "Add a '### user' section at the end of the body.",
        )
    return messages


def parse_prompt_file(path: Path) -> PromptTemplate:
    """Read and validate one prompt file; errors name the file and line."""
    text = path.read_text(encoding="utf-8")
    match = FILE_NAME.match(path.name)
    if not match:
        raise PromptError(
            f"Prompt file name {path.name} is not NAME.vN.j2", "Rename it, e.g. my_prompt.v1.j2."
        )
    if not text.startswith("---\n"):
        raise PromptError(
            f"{path}:1: a prompt file must start with a '---' metadata header",
            "See prompts/templates/*.j2 for the format.",
        )
    end = text.find("\n---\n", 4)
    if end < 0:
        raise PromptError(f"{path}: the metadata header is not closed", "End it with a '---' line.")
    header_text, body = text[4:end], text[end + 5 :]
    body_line = header_text.count("\n") + 4
    header = parse_yaml_mapping(
        header_text,
        f"{path}: the metadata header",
        fix="Fix the header: `key: value` lines between two '---' lines.",
        error=PromptError,
        first_line=2,
    )
    unknown = sorted(set(header) - HEADER_KEYS)
    if unknown:
        raise PromptError(
            f"{path}: unknown header key(s) {', '.join(unknown)}",
            f"Allowed keys: {', '.join(sorted(HEADER_KEYS))}.",
        )
    for key in ("name", "version", "description"):
        if key not in header:
            raise PromptError(f"{path}: header is missing {key!r}", f"Add a `{key}:` line.")
    if header["name"] != match["name"] or header["version"] != int(match["version"]):
        raise PromptError(
            f"{path}: header says {header['name']}@{header['version']} but the file name says "
            f"{match['name']}@{match['version']}",
            "Make the file name and the header agree.",
        )
    inputs = header.get("inputs") or {}
    if not isinstance(inputs, dict) or any(v not in INPUT_TYPES for v in inputs.values()):
        raise PromptError(
            f"{path}: inputs must map names to one of {', '.join(INPUT_TYPES)}",
            "e.g. `inputs: {profiles: list, brand_voice: str}`.",
        )
    try:
        ast = _env().parse(body)
    except TemplateSyntaxError as exc:
        raise PromptError(
            f"{path}:{body_line + exc.lineno - 1}: template syntax error: {exc.message}",
            "Fix the Jinja2 syntax.",
        ) from exc
    undeclared = sorted(meta.find_undeclared_variables(ast) - set(inputs))
    if undeclared:
        raise PromptError(
            f"{path}: the body uses undeclared variable(s) {', '.join(undeclared)}",
            "Declare them under `inputs:` in the header.",
        )
    return PromptTemplate(
        name=header["name"],
        version=int(header["version"]),
        description=str(header["description"]),
        inputs={str(k): str(v) for k, v in inputs.items()},
        output_schema=header.get("output_schema"),
        temperature=header.get("temperature"),
        max_tokens=header.get("max_tokens"),
        body=body,
        path=path,
        body_line=body_line,
    )


class PromptLibrary:
    """All prompt files in a folder, by name and version."""

    def __init__(self, folder: Path = TEMPLATES_DIR) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise PromptError(f"Prompt folder {self.folder} does not exist", "Check the path.")
        self.prompts: dict[str, dict[int, PromptTemplate]] = {}
        for path in sorted(self.folder.glob("*.j2")):
            prompt = parse_prompt_file(path)
            self.prompts.setdefault(prompt.name, {})[prompt.version] = prompt

    def get(self, ref: str) -> PromptTemplate:
        """`name` (highest version) or `name@version`."""
        name, _, version = ref.partition("@")
        versions = self.prompts.get(name)
        if not versions:
            raise PromptError(
                f"Unknown prompt {name!r}",
                f"Known prompts: {', '.join(sorted(self.prompts)) or 'none'} "
                "(see `winback prompts list`).",
            )
        if not version:
            return versions[max(versions)]
        if not version.isdigit() or int(version) not in versions:
            raise PromptError(
                f"Prompt {name} has no version {version!r}",
                f"Available: {', '.join(f'{name}@{v}' for v in sorted(versions))}.",
            )
        return versions[int(version)]

    def all(self) -> list[PromptTemplate]:
        """Every prompt version, sorted by name and version."""
        return [self.prompts[n][v] for n in sorted(self.prompts) for v in sorted(self.prompts[n])]
