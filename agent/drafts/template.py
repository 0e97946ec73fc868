"""Per-user rendering of variant templates: LLM output is data, not code.

A variant template written by the model (or by a marketer, in the baseline
copy) may contain only literal text and `{{ placeholder }}` outputs whose
names are on the campaign's allow-list. Everything else is rejected when the
template is validated, before a single user is rendered:

- statements and raw blocks (`{% ... %}`), comments (`{# ... #}`), line statements;
- attribute and item access (`{{ user.email }}`, `{{ user['email'] }}`);
- calls, operators, literals, tests, conditionals (`{{ a() }}`, `{{ a ~ b }}`, `{{ "x" }}`);
- names not on the allow-list (`{{ email }}`);
- filters, except an explicit opt-in set of four argument-free text filters
  (`capitalize`, `lower`, `upper`, `title`), off by default: the prompts tell
  the model not to use filters, and a name is inserted exactly as stored.

Validation lexes the source (comments and blocks are visible only there) and
then walks the AST from `SandboxedEnvironment.parse`: the template body may
hold only `Output` nodes made of `TemplateData` and `Name` (optionally inside
one allowed `Filter`). A validated template is therefore just text and names,
so `compile_template` turns it into a `str.format` pattern and renders 100,000
users with plain string operations; the tests prove it equals Jinja's own
sandboxed, `StrictUndefined` render (`jinja_render`).

Missing values. Rendering is strict: a placeholder without a value for a user
raises `MissingPlaceholderValue` (`render`) or leaves that user unrendered
(`render_many` returns `None` for them and names the placeholder), just like
`StrictUndefined` does in Jinja. Fallbacks are applied earlier, when the
per-user values are prepared (`placeholder_values`), and only where the
sentence still reads well: `first_name` -> "there" ("Hi there"). There is no
fallback for `favorite_category`, `days_since_last_activity` or `incentive`:
such a user needs a variant that does not use the placeholder (or the
baseline copy). A value is missing when it is absent, null/NaN or blank.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from agent.drafts.placeholders import DEFAULT_PLACEHOLDERS
from agent.errors import WinbackError

DEFAULT_FALLBACKS: dict[str, str] = {"first_name": "there"}
SUPPORTED_FILTERS = frozenset({"capitalize", "lower", "upper", "title"})
FORBIDDEN_TOKENS = {
    "block_begin": "template statements ({% ... %}) are not allowed",
    "raw_begin": "raw blocks ({% raw %}) are not allowed",
    "comment_begin": "comments ({# ... #}) are not allowed",
    "linestatement_begin": "line statements are not allowed",
    "linecomment_begin": "line comments are not allowed",
}
NODE_PROBLEMS: dict[type[nodes.Node], str] = {
    nodes.Getattr: "attribute access ({{ x.y }}) is not allowed",
    nodes.Getitem: "item access ({{ x[...] }}) is not allowed",
    nodes.Call: "calls ({{ x() }}) are not allowed",
    nodes.Const: "literal values ({{ 'text' }}) are not allowed; write the text outside {{ }}",
    nodes.Test: "tests ({{ x is ... }}) are not allowed",
    nodes.CondExpr: "conditional expressions ({{ a if b else c }}) are not allowed",
}


class TemplateRejected(WinbackError):
    """A template uses something other than text and allow-listed placeholders."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "Template rejected: " + "; ".join(problems),
            "Use only plain text and {{ placeholder }} with an allowed name.",
        )


class MissingPlaceholderValue(WinbackError):
    """A user has no value for a placeholder the template uses."""

    def __init__(self, placeholder: str) -> None:
        self.placeholder = placeholder
        super().__init__(
            f"No value for placeholder '{placeholder}'",
            "Fill the column, add a fallback, or use a variant without this placeholder.",
        )


def make_environment() -> SandboxedEnvironment:
    """The sandbox both paths agree on: strict, no autoescape, no globals, text kept verbatim."""
    env = SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
    env.globals.clear()
    return env


_ENV = make_environment()


@dataclass(frozen=True)
class Slot:
    """One `{{ name }}` (or `{{ name | filter }}`) output in a compiled template."""

    name: str
    filter: str | None = None


@dataclass(frozen=True)
class CompiledTemplate:
    """A validated template as literal text and slots; renders without Jinja."""

    source: str
    parts: tuple[str | Slot, ...]
    names: tuple[str, ...] = field(default=())
    _pattern: str = field(default="", repr=False)
    _slots: tuple[Slot, ...] = field(default=(), repr=False)

    def render(self, values: Mapping[str, Any]) -> str:
        """This template for one user; raises `MissingPlaceholderValue` like StrictUndefined."""
        args = []
        for slot in self._slots:
            value = values.get(slot.name)
            if _is_missing(value):
                raise MissingPlaceholderValue(slot.name)
            text = value if isinstance(value, str) else str(value)
            args.append(_apply(slot.filter, text))
        return self._pattern.format(*args)

    def render_many(self, values: pd.DataFrame) -> tuple[list[str | None], list[str | None]]:
        """Texts for many users (one per row) and, per row, the placeholder that was missing."""
        n = len(values)
        columns: list[list[Any]] = []
        for slot in self._slots:
            if slot.name not in values:
                return [None] * n, [slot.name] * n
            column = values[slot.name]
            present = column.notna() & (column.astype("string").str.strip() != "")
            strings = column.astype("string").where(present)
            if slot.filter is not None:
                strings = strings.map(
                    lambda s, f=slot.filter: s if s is pd.NA else _apply(f, s), na_action="ignore"
                )
            columns.append(strings.astype(object).where(present, None).tolist())
        pattern = self._pattern.format
        if not columns:
            text = pattern()
            return [text] * n, [None] * n
        texts: list[str | None] = []
        missing: list[str | None] = []
        for row in zip(*columns, strict=True):
            if None in row:
                texts.append(None)
                missing.append(self._slots[row.index(None)].name)
            else:
                texts.append(pattern(*row))
                missing.append(None)
        return texts, missing


def template_problems(
    source: str,
    placeholders: Iterable[str] = DEFAULT_PLACEHOLDERS,
    *,
    filters: Iterable[str] = (),
) -> list[str]:
    """Why `source` is not an allowed template (empty list: it is allowed)."""
    problems, _ = _analyse(source, frozenset(placeholders), _allowed_filters(filters))
    return problems


def compile_template(
    source: str,
    placeholders: Iterable[str] = DEFAULT_PLACEHOLDERS,
    *,
    filters: Iterable[str] = (),
) -> CompiledTemplate:
    """Validate `source` and compile it to text and slots; raises `TemplateRejected`."""
    problems, parts = _analyse(source, frozenset(placeholders), _allowed_filters(filters))
    if problems:
        raise TemplateRejected(problems)
    merged: list[str | Slot] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    slots = tuple(p for p in merged if isinstance(p, Slot))
    pattern = "".join(
        p.replace("{", "{{").replace("}", "}}") if isinstance(p, str) else "{}" for p in merged
    )
    names = tuple(dict.fromkeys(s.name for s in slots))
    return CompiledTemplate(source, tuple(merged), names, pattern, slots)


def placeholders_in(source: str) -> list[str]:
    """Names of the `{{ name }}` placeholders a valid template uses, in order of first use."""
    return list(compile_template(source, _names_anywhere(source), filters=SUPPORTED_FILTERS).names)


def jinja_render(source: str, values: Mapping[str, Any]) -> str:
    """Reference render with Jinja's own sandbox (slow path, for checks and tests)."""
    return _ENV.from_string(source).render(**values)


def placeholder_values(
    frame: pd.DataFrame,
    names: Sequence[str] = DEFAULT_PLACEHOLDERS,
    *,
    extra: Mapping[str, pd.Series] | None = None,
    fallbacks: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Per-user placeholder values as text (missing: NA), fallbacks applied (module doc)."""
    fallbacks = DEFAULT_FALLBACKS if fallbacks is None else fallbacks
    extra = extra or {}
    out: dict[str, pd.Series] = {}
    for name in names:
        if name in extra:
            series = extra[name].reindex(frame.index)
        elif name in frame:
            series = frame[name]
        else:
            series = pd.Series(pd.NA, index=frame.index, dtype="object")
        text = _as_text(series)
        if name in fallbacks:
            text = text.fillna(fallbacks[name])
        out[name] = text
    return pd.DataFrame(out, index=frame.index, dtype="string")


def _as_text(series: pd.Series) -> pd.Series:
    """Text for each value: whole numbers without '.0', other numbers to 2 decimals."""
    if pd.api.types.is_bool_dtype(series):
        text = series.astype("string")
    elif pd.api.types.is_numeric_dtype(series):
        numbers = pd.to_numeric(series, errors="coerce").astype("float64")
        whole = numbers.notna() & (numbers == numbers.round())
        text = pd.Series(pd.NA, index=series.index, dtype="string")
        text[whole] = numbers[whole].astype("int64").astype("string")
        rest = numbers.notna() & ~whole
        text[rest] = numbers[rest].map(lambda v: f"{v:.2f}").astype("string")
    else:
        text = series.astype("string").str.strip()
    return text.mask(text == "")


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _apply(filter_name: str | None, text: str) -> str:
    return text if filter_name is None else _ENV.filters[filter_name](text)


def _allowed_filters(filters: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(filters)
    unsupported = sorted(chosen - SUPPORTED_FILTERS)
    if unsupported:
        raise ValueError(
            f"unsupported filter(s) {', '.join(unsupported)}; "
            f"supported: {', '.join(sorted(SUPPORTED_FILTERS))}"
        )
    return chosen


def _names_anywhere(source: str) -> frozenset[str]:
    try:
        ast = _ENV.parse(source)
    except TemplateSyntaxError:
        return frozenset()
    return frozenset(n.name for n in ast.find_all(nodes.Name))


def _analyse(
    source: str, placeholders: frozenset[str], filters: frozenset[str]
) -> tuple[list[str], list[str | Slot]]:
    if not isinstance(source, str):
        return [f"template must be text, got {type(source).__name__}"], []
    problems: list[str] = []
    try:
        for _, token, _ in _ENV.lex(source):
            message = FORBIDDEN_TOKENS.get(token)
            if message and message not in problems:
                problems.append(message)
        ast = _ENV.parse(source)
    except TemplateSyntaxError as exc:
        return [*problems, f"template syntax error on line {exc.lineno}: {exc.message}"], []
    if problems:
        return problems, []
    parts: list[str | Slot] = []
    for stmt in ast.body:
        if not isinstance(stmt, nodes.Output):
            _add(problems, "template statements ({% ... %}) are not allowed")
            continue
        for node in stmt.nodes:
            if isinstance(node, nodes.TemplateData):
                parts.append(node.data)
            else:
                slot = _slot(node, placeholders, filters, problems)
                if slot is not None:
                    parts.append(slot)
    return problems, parts


def _slot(
    node: nodes.Node, placeholders: frozenset[str], filters: frozenset[str], problems: list[str]
) -> Slot | None:
    filter_name = None
    if isinstance(node, nodes.Filter):
        plain = not (node.args or node.kwargs or node.dyn_args or node.dyn_kwargs)
        if node.name not in filters:
            allowed = f" (allowed: {', '.join(sorted(filters))})" if filters else ""
            _add(problems, f"filter '{node.name}' is not allowed{allowed}")
            return None
        if not plain or node.node is None:
            _add(problems, f"filter '{node.name}' must be used without arguments")
            return None
        filter_name, node = node.name, node.node
    if isinstance(node, nodes.Name):
        if node.name not in placeholders:
            allowed = ", ".join(sorted(placeholders)) or "none"
            _add(problems, f"unknown placeholder '{node.name}' (allowed: {allowed})")
            return None
        return Slot(node.name, filter_name)
    message = NODE_PROBLEMS.get(type(node))
    if message is None:
        message = f"expressions ({type(node).__name__}) are not allowed; use {{{{ name }}}} only"
    _add(problems, message)
    return None


def _add(problems: list[str], message: str) -> None:
    if message not in problems:
        problems.append(message)
