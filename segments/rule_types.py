"""The activation rule's type checker: every column known, both sides of a test alike.

`check_rule(rule, {column: type})` parses the rule and types each node
(number, string, boolean, datetime). An unknown column gets "did you mean"
suggestions (close spellings and the schema's aliases); a string literal
compared with a datetime must parse as a date; `<`, `>` order only numbers and
dates. The same checks run before the rule is evaluated in memory or compiled
to SQL, so a bad rule fails the same way wherever the cohort lives.
"""

from __future__ import annotations

import difflib

from segments.cohort_schema import ALIASES
from segments.rule_parser import parse_rule
from segments.rule_tokens import RuleError
from segments.rule_tree import Column, Compare, InList, IsNull, Literal, Logical, Node

ORDERING = {"<", "<=", ">", ">="}
TYPES = ("number", "string", "boolean", "datetime")


def check_rule(rule: str, column_types: dict[str, str]) -> Node:
    """Parse and type-check a rule against `{column: type}`; the typed tree."""
    tree = parse_rule(rule)
    _Checker(rule, column_types).boolean(tree)
    return tree


class _Checker:
    def __init__(self, rule: str, column_types: dict[str, str]) -> None:
        self.rule = rule
        self.types = column_types

    def error(self, node: Node, message: str, fix: str | None = None) -> RuleError:
        return RuleError(self.rule, node.start, node.end, message, fix)

    def boolean(self, node: Node) -> None:
        kind = self.value(node)
        if kind != "boolean":
            hint = ""
            if isinstance(node, Column):
                hint = (
                    f"Compare it, e.g. `{node.name} > 0`"
                    if kind == "number"
                    else (f"Compare it, e.g. `{node.name} = 'text'`")
                )
            raise self.error(
                node, f"Type error in the rule: {self._describe(node)} is a {kind}, not a test",
                hint or None,
            )  # fmt: skip

    def _describe(self, node: Node) -> str:
        if isinstance(node, Column):
            return f"column '{node.name}'"
        return repr(self.rule[node.start : node.end])

    def value(self, node: Node) -> str:
        node.type = self._type(node)
        return node.type

    def _type(self, node: Node) -> str:
        if isinstance(node, Literal):
            return node.literal_type
        if isinstance(node, Column):
            if node.name not in self.types:
                raise self.error(node, *self._unknown(node.name))
            return self.types[node.name]
        if isinstance(node, Logical):
            for part in node.parts:
                self.boolean(part)
            return "boolean"
        if isinstance(node, IsNull):
            self.value(node.operand)  # type: ignore[arg-type]
            return "boolean"
        if isinstance(node, InList):
            kind = self.value(node.operand)  # type: ignore[arg-type]
            for lit in node.values:
                self._compatible(node.operand, lit, kind, lit.literal_type, "in")  # type: ignore[arg-type]
            return "boolean"
        if isinstance(node, Compare):
            lt = self.value(node.left)  # type: ignore[arg-type]
            rt = self.value(node.right)  # type: ignore[arg-type]
            self._compatible(node.left, node.right, lt, rt, node.op)  # type: ignore[arg-type]
            if node.op in ORDERING and lt not in ("number", "datetime"):
                raise self.error(
                    node,
                    f"Type error in the rule: '{node.op}' orders numbers or dates, "
                    f"and {self._describe(node.left)} is a {lt}",  # type: ignore[arg-type]
                    "Use = or != (or `in [...]`) for text and true/false.",
                )
            return "boolean"
        raise AssertionError(f"unknown node {node!r}")  # pragma: no cover

    def _compatible(self, left: Node, right: Node, lt: str, rt: str, op: str) -> None:
        if lt == rt:
            return
        if {lt, rt} == {"datetime", "string"}:
            lit = right if rt == "string" else left
            if isinstance(lit, Literal):
                from pandas import Timestamp

                try:
                    Timestamp(str(lit.value))
                    return
                except ValueError:
                    raise self.error(
                        lit,
                        f"Type error in the rule: {lit.value!r} is not a date",
                        "Write dates as 'YYYY-MM-DD' or an ISO 8601 timestamp.",
                    ) from None
        culprit = right if isinstance(right, Literal) else left
        raise self.error(
            culprit,
            f"Type error in the rule: {self._describe(left)} is a {lt} but "
            f"{self._describe(right)} is a {rt} ('{op}' needs the same type on both sides)",
            "Quote text ('yoga'), leave numbers bare (0.7), write booleans as true/false.",
        )

    def _unknown(self, name: str) -> tuple[str, str]:
        known = sorted(self.types)
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        alias = ALIASES.get(name.lower())
        if alias in self.types and alias not in close:
            close.insert(0, alias)
        message = f"Unknown column '{name}' in the rule"
        if close:
            message += "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
        listed = ", ".join(known[:30]) + (" ..." if len(known) > 30 else "")
        return message, f"Columns in this cohort: {listed}."
