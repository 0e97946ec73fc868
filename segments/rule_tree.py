"""The activation rule as a tree: what the parser builds and every evaluator walks.

The in-memory evaluator (`activation_rules`) and the SQL compiler
(`rule_sql`) read the same nodes; `rule_types.check_rule` sets each node's
`type` (number, string, boolean, datetime) before either runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Node:
    """Base of the rule tree; `start`/`end` locate it in the rule text."""

    start: int
    end: int
    type: str = field(default="", init=False)


@dataclass
class Literal(Node):
    """A number, string or boolean written in the rule."""

    value: object = None
    literal_type: str = "number"


@dataclass
class Column(Node):
    """A reference to a cohort column."""

    name: str = ""


@dataclass
class Compare(Node):
    """`left op right`."""

    op: str = "="
    left: Node | None = None
    right: Node | None = None


@dataclass
class InList(Node):
    """`operand [not] in [values]`."""

    operand: Node | None = None
    values: list[Literal] = field(default_factory=list)
    negate: bool = False


@dataclass
class IsNull(Node):
    """`operand is [not] null`."""

    operand: Node | None = None
    negate: bool = False


@dataclass
class Logical(Node):
    """`and` / `or` over two or more parts, or `not` over one."""

    op: str = "and"
    parts: list[Node] = field(default_factory=list)
