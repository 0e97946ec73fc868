"""The activation rule counted over Arrow columns, with the in-memory evaluator's semantics.

`count_rule(rule, values, types, rows)` type-checks the rule exactly as the pandas
evaluator does (`rule_types.check_rule`, so the same `RuleError`s) and walks
the same tree with Arrow's kernels (`arrow_kernels`): a comparison is null where either side
is null, `and`/`or`/`not` are Kleene's (`and_kleene`, `or_kleene`), `in` is
null for a null operand, `is null` is never null, and only rows that are
true are counted. These are the rules `activation_rules` applies with
pandas' nullable booleans. Numbers are compared as float64, as there.

Dates are not evaluated here: a rule that reads a date column raises
`NotEvaluable`, and the caller uses the pandas path (pandas' own timestamp
parsing decides what a date literal means).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from segments.arrow_kernels import call, cast, is_in
from segments.arrow_literals import literal, literal_array
from segments.rule_tree import Column, Compare, InList, IsNull, Literal, Logical, Node
from segments.rule_types import check_rule

if TYPE_CHECKING:
    import pyarrow as pa

COMPARE = {"=": "equal", "==": "equal", "!=": "not_equal", "<>": "not_equal",
           "<": "less", "<=": "less_equal", ">": "greater", ">=": "greater_equal"}  # fmt: skip


class NotEvaluable(Exception):
    """The rule needs an evaluation only the pandas path makes (dates)."""


def count_rule(
    rule: str, values: Callable[[str], pa.ChunkedArray], types: dict[str, str], rows: int
) -> int:
    """Rows (of `rows`) for which `rule` is true; `values(name)` gives a column's values
    (read only for the columns the rule names). `RuleError` for a bad rule, `NotEvaluable`
    for one that reads dates."""
    tree = check_rule(rule, types)
    result = _Evaluator(values).boolean(tree)
    if isinstance(result, bool):
        return rows if result else 0
    return int(call("sum", result).as_py() or 0)  # the true rows: null and false add nothing


class _Evaluator:
    def __init__(self, values: Callable[[str], pa.ChunkedArray]) -> None:
        self.values = values

    def operand(self, node: Node) -> object:
        """A column's values (float64 for numbers), a literal's Python value, or a test."""
        import pyarrow as pa

        if node.type == "datetime":
            raise NotEvaluable("dates are compared by the pandas path")
        if isinstance(node, Literal):
            return _python(node)
        if isinstance(node, Column):
            column = self.values(node.name)
            return cast(column, pa.float64()) if node.type == "number" else column
        return self.test(node)

    def test(self, node: Node) -> object:
        if isinstance(node, Logical):
            parts = [self.boolean(p) for p in node.parts]
            if node.op == "not":
                return _not(parts[0])
            out = parts[0]
            for part in parts[1:]:
                out = _combine(node.op, out, part)
            return out
        if isinstance(node, IsNull):
            values = self.operand(node.operand)  # type: ignore[arg-type]
            if not _is_array(values):
                return (values is None) != node.negate
            return call("is_valid" if node.negate else "is_null", values)
        if isinstance(node, InList):
            values = self.operand(node.operand)  # type: ignore[arg-type]
            wanted = [_python(lit) for lit in node.values]
            if not _is_array(values):
                return (values in wanted) != node.negate
            import pyarrow as pa

            hit = is_in(values, literal_array(wanted, values.type))
            hit = call("if_else", call("is_null", values), literal(None, pa.bool_()), hit)
            return call("invert", hit) if node.negate else hit
        if isinstance(node, Compare):
            left = self.operand(node.left)  # type: ignore[arg-type]
            right = self.operand(node.right)  # type: ignore[arg-type]
            if not _is_array(left) and not _is_array(right):
                import operator

                return bool(getattr(operator, _PY[node.op])(left, right))
            if not _is_array(left):
                left = literal(left, right.type)  # type: ignore[attr-defined]
            if not _is_array(right):
                right = literal(right, left.type)  # type: ignore[attr-defined]
            return call(COMPARE[node.op], left, right)
        return self.operand(node)  # a bare boolean column or literal

    def boolean(self, node: Node) -> object:
        if isinstance(node, Column | Literal):
            value = self.operand(node)
            return value if _is_array(value) else bool(value)
        return self.test(node)


def _python(node: Literal) -> object:
    """A literal's value as the pandas evaluator compares it (numbers as floats)."""
    return float(node.value) if node.literal_type == "number" else node.value  # type: ignore[arg-type]


_PY = {"=": "eq", "==": "eq", "!=": "ne", "<>": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


def _is_array(value: object) -> bool:
    return hasattr(value, "type") and hasattr(value, "null_count")


def _not(value: object) -> object:
    return call("invert", value) if _is_array(value) else not value


def _combine(op: str, left: object, right: object) -> object:
    """Kleene `and`/`or` of two tests, either of which may be a constant."""
    if not _is_array(left) and not _is_array(right):
        return (left and right) if op == "and" else (left or right)
    if not _is_array(left):
        left, right = right, left
    if not _is_array(right):  # a constant: `x and true` is x, `x and false` is false (Kleene)
        if op == "and":
            return left if right else False
        return True if right else left
    return call(f"{op}_kleene", left, right)
