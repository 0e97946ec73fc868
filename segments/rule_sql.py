"""The activation rule compiled to SQL: the same tree, run where the cohort lives.

`compile_rule(rule, columns)` type-checks the rule with `rule_types.check_rule`
against the types of the table's columns (so a bad rule fails with the same
message, caret and fix as for a file, before any query runs) and turns the
typed tree into one SQLAlchemy boolean expression, which SQLAlchemy renders
for each dialect (PostgreSQL, DuckDB, BigQuery, Snowflake, Spark SQL...).

Three-valued logic needs no translation: SQL's NULL is the in-memory
evaluator's unknown, a comparison with NULL is unknown, `and`/`or`/`not` are
Kleene's in both, and a WHERE clause drops unknown rows exactly as the mask
does (`na_value=False`). Two places differ and are bridged here:

- a floating-point NaN is a missing value in memory, but an ordinary value in
  SQL (greater than every number in PostgreSQL and DuckDB); each float column
  is read through `NULLIF(column, 'NaN')`;
- a date written as a string literal is parsed in Python (the same
  `pandas.Timestamp` the in-memory evaluator uses), converted to UTC, and bound
  as a timestamp: naive for a `TIMESTAMP` column (stored values are taken as
  UTC, as validation does for files), aware for `TIMESTAMP WITH TIME ZONE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa

from segments.rule_tree import Column, Compare, InList, IsNull, Literal, Logical, Node
from segments.rule_types import check_rule

_OPS = {"=": "__eq__", "==": "__eq__", "!=": "__ne__", "<>": "__ne__", "<": "__lt__",
        "<=": "__le__", ">": "__gt__", ">=": "__ge__"}  # fmt: skip


def sql_rule_type(type_: sa.types.TypeEngine) -> str:
    """The rule type (number, string, boolean, datetime) of a SQL column type."""
    if isinstance(type_, sa.Boolean):
        return "boolean"
    if isinstance(type_, sa.Integer | sa.Numeric | sa.Float):
        return "number"
    if isinstance(type_, sa.DateTime | sa.Date):
        return "datetime"
    return "string"


def _is_float(type_: sa.types.TypeEngine) -> bool:
    return isinstance(type_, sa.Float) or (
        isinstance(type_, sa.Numeric) and not isinstance(type_, sa.Integer)
        and getattr(type_, "asdecimal", True) is False
    )  # fmt: skip


def _timezone_aware(type_: sa.types.TypeEngine) -> bool:
    return bool(getattr(type_, "timezone", False))


class _Compiler:
    def __init__(self, columns: Mapping[str, sa.ColumnElement]) -> None:
        self.columns = columns

    def column(self, name: str) -> sa.ColumnElement:
        col = self.columns[name]
        if _is_float(col.type):
            return sa.func.nullif(col, sa.cast(sa.literal("NaN"), col.type), type_=col.type)
        return col

    def operand(self, node: Node, other: Node | None = None) -> sa.ColumnElement:
        if isinstance(node, Column):
            return self.column(node.name)
        if isinstance(node, Literal):
            return self.literal(node, other)
        return self.test(node)

    def literal(self, node: Literal, other: Node | None) -> sa.ColumnElement:
        if other is not None and other.type == "datetime" and node.literal_type == "string":
            return sa.literal(self.timestamp(str(node.value), other))
        if node.literal_type == "boolean":
            return sa.true() if node.value else sa.false()
        if node.literal_type == "number":
            return sa.literal(float(node.value), sa.Float())  # type: ignore[arg-type]
        return sa.literal(str(node.value), sa.String())

    def timestamp(self, text: str, column: Node) -> datetime:
        import pandas as pd

        stamp = pd.Timestamp(text)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        aware = isinstance(column, Column) and _timezone_aware(self.columns[column.name].type)
        return stamp.to_pydatetime() if aware else stamp.tz_localize(None).to_pydatetime()

    def test(self, node: Node) -> sa.ColumnElement:
        if isinstance(node, Logical):
            parts = [self.test(p) for p in node.parts]
            if node.op == "not":
                return sa.not_(parts[0])
            return sa.and_(*parts) if node.op == "and" else sa.or_(*parts)
        if isinstance(node, IsNull):
            value = self.operand(node.operand)  # type: ignore[arg-type]
            return value.is_not(None) if node.negate else value.is_(None)
        if isinstance(node, InList):
            value = self.operand(node.operand)  # type: ignore[arg-type]
            wanted = [self.literal(lit, node.operand) for lit in node.values]
            return value.not_in(wanted) if node.negate else value.in_(wanted)
        if isinstance(node, Compare):
            left = self.operand(node.left, node.right)  # type: ignore[arg-type]
            right = self.operand(node.right, node.left)  # type: ignore[arg-type]
            return getattr(left, _OPS[node.op])(right)
        if isinstance(node, Literal):
            return sa.true() if node.value else sa.false()
        return self.column(node.name)  # type: ignore[attr-defined]  # a bare boolean column


def compile_rule(rule: str, columns: Mapping[str, sa.ColumnElement]) -> sa.ColumnElement:
    """Type-check `rule` against `{our column name: SQL column}` and compile it; `RuleError`."""
    types = {name: sql_rule_type(col.type) for name, col in columns.items()}
    tree = check_rule(rule, types)
    return _Compiler(columns).test(tree)
