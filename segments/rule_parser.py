"""The activation-rule language: tokenizer, recursive-descent parser and type checker.

    churn_score > 0.7 and days_since_last_activity >= 10 and lifetime_orders > 3
    favorite_category in ['yoga', 'pilates'] or not (email_opt_in = false)
    locale is not null and `plan name` != "free"

Grammar (keywords are case-insensitive):

    rule     := or_expr EOF
    or_expr  := and_expr ("or" and_expr)*
    and_expr := not_expr ("and" not_expr)*
    not_expr := "not" not_expr | test
    test     := operand [ CMP operand | ["not"] "in" list | "is" ["not"] "null" ]
    operand  := NUMBER | STRING | "true" | "false" | COLUMN | "(" or_expr ")"
    list     := "[" literal ("," literal)* "]"
    CMP      := "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="

A column is a bare name or a `backquoted name`. Nothing is ever passed to
`eval`: the parser builds a small tree of dataclasses, `check_rule` types it
against the cohort's columns (number, string, boolean, datetime) and every
error points at the offending text with a caret line. Null follows SQL: a
comparison with a missing value is unknown, and unknown rows are not selected
(`not (x > 1)` does not select rows where x is missing; use `x is null`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from segments.cohort_schema import ALIASES
from segments.errors import SegmentsError

KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false"}
COMPARISONS = {"=", "==", "!=", "<>", "<", "<=", ">", ">="}
ORDERING = {"<", "<=", ">", ">="}
TYPES = ("number", "string", "boolean", "datetime")

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<quoted>`[^`]+`)
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<op>==|!=|<>|<=|>=|=|<|>)
  | (?P<punct>[()\[\],-])
    """,
    re.VERBOSE,
)


class RuleError(SegmentsError):
    """A rule that does not parse or type-check; shows where, with a caret line."""

    def __init__(self, rule: str, start: int, end: int, message: str, fix: str | None) -> None:
        self.rule = rule
        self.start = start
        self.end = max(end, start + 1)
        super().__init__(f"{message} (at column {start + 1} of the rule)", fix)

    def pointer(self) -> str:
        """The rule and a caret line under the offending text."""
        return f"  {self.rule}\n  {' ' * self.start}{'^' * (self.end - self.start)}"

    def __str__(self) -> str:
        text = f"{self.message}\n{self.pointer()}"
        return f"{text}\n{self.fix}" if self.fix else text


@dataclass(frozen=True)
class Token:
    """One lexical token and its [start, end) position in the rule."""

    kind: str
    text: str
    start: int
    end: int
    value: object = None


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


def tokenize(rule: str) -> list[Token]:
    """The tokens of a rule; a character that starts no token is a `RuleError`."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(rule):
        m = _TOKEN.match(rule, pos)
        if not m:
            ch = rule[pos]
            hint = "Close the string with a matching quote." if ch in "'\"`" else None
            what = "unclosed quote" if ch in "'\"`" else f"unexpected character {ch!r}"
            raise RuleError(rule, pos, pos + 1, f"Syntax error in the rule: {what}", hint)
        kind, text = m.lastgroup or "", m.group()
        if kind == "number":
            tokens.append(Token("number", text, pos, m.end(), float(text)))
        elif kind == "string":
            value = re.sub(r"\\(.)", r"\1", text[1:-1])
            tokens.append(Token("string", text, pos, m.end(), value))
        elif kind == "quoted":
            tokens.append(Token("name", text, pos, m.end(), text[1:-1]))
        elif kind == "name":
            low = text.lower()
            if low in KEYWORDS:
                tokens.append(Token(low, text, pos, m.end()))
            else:
                tokens.append(Token("name", text, pos, m.end(), text))
        elif kind in ("op", "punct"):
            tokens.append(Token(text, text, pos, m.end()))
        pos = m.end()
    tokens.append(Token("eof", "", len(rule), len(rule)))
    return tokens


class _Parser:
    def __init__(self, rule: str) -> None:
        self.rule = rule
        self.tokens = tokenize(rule)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, tok: Token, message: str, fix: str | None = None) -> RuleError:
        shown = "the end of the rule" if tok.kind == "eof" else repr(tok.text)
        return RuleError(
            self.rule, tok.start, tok.end, f"Syntax error in the rule: {message}, got {shown}", fix
        )

    def expect(self, kind: str, what: str) -> Token:
        if self.tok.kind != kind:
            raise self.fail(self.tok, f"expected {what}")
        return self.take()

    def parse(self) -> Node:
        if self.tok.kind == "eof":
            raise self.fail(self.tok, "the rule is empty", "Write e.g. `churn_score > 0.7`.")
        node = self.or_expr()
        if self.tok.kind != "eof":
            raise self.fail(
                self.tok, "expected 'and', 'or' or the end of the rule", "Join tests with and/or."
            )
        return node

    def _chain(self, op: str, sub) -> Node:
        first = sub()
        parts = [first]
        while self.tok.kind == op:
            self.take()
            parts.append(sub())
        if len(parts) == 1:
            return first
        return Logical(first.start, parts[-1].end, op=op, parts=parts)

    def or_expr(self) -> Node:
        return self._chain("or", self.and_expr)

    def and_expr(self) -> Node:
        return self._chain("and", self.not_expr)

    def not_expr(self) -> Node:
        if self.tok.kind == "not":
            tok = self.take()
            inner = self.not_expr()
            return Logical(tok.start, inner.end, op="not", parts=[inner])
        return self.test()

    def test(self) -> Node:
        left = self.operand()
        tok = self.tok
        if tok.kind in COMPARISONS:
            self.take()
            right = self.operand()
            return Compare(left.start, right.end, op=tok.kind, left=left, right=right)
        if tok.kind == "not" and self.tokens[self.i + 1].kind == "in":
            self.take()
            return self.in_list(left, negate=True)
        if tok.kind == "in":
            return self.in_list(left, negate=False)
        if tok.kind == "is":
            self.take()
            negate = False
            if self.tok.kind == "not":
                self.take()
                negate = True
            end = self.expect("null", "'null' after 'is'")
            return IsNull(left.start, end.end, operand=left, negate=negate)
        return left

    def in_list(self, left: Node, negate: bool) -> Node:
        self.expect("in", "'in'")
        self.expect("[", "'[' to open the list, e.g. in ['a', 'b']")
        values = [self.literal()]
        while self.tok.kind == ",":
            self.take()
            values.append(self.literal())
        end = self.expect("]", "',' or ']' to close the list")
        return InList(left.start, end.end, operand=left, values=values, negate=negate)

    def literal(self) -> Literal:
        node = self.operand()
        if not isinstance(node, Literal):
            raise RuleError(
                self.rule,
                node.start,
                node.end,
                "Syntax error in the rule: a list holds numbers, strings or true/false only",
                None,
            )
        return node

    def operand(self) -> Node:
        tok = self.tok
        if tok.kind == "-" and self.tokens[self.i + 1].kind == "number":
            self.take()
            num = self.take()
            return Literal(tok.start, num.end, value=-float(num.value), literal_type="number")  # type: ignore[arg-type]
        if tok.kind == "number":
            self.take()
            return Literal(tok.start, tok.end, value=tok.value, literal_type="number")
        if tok.kind == "string":
            self.take()
            return Literal(tok.start, tok.end, value=tok.value, literal_type="string")
        if tok.kind in ("true", "false"):
            self.take()
            return Literal(tok.start, tok.end, value=tok.kind == "true", literal_type="boolean")
        if tok.kind == "name":
            self.take()
            return Column(tok.start, tok.end, name=str(tok.value))
        if tok.kind == "(":
            self.take()
            inner = self.or_expr()
            close = self.expect(")", "')' to close the parenthesis")
            inner.start, inner.end = tok.start, close.end
            return inner
        if tok.kind == "null":
            raise self.fail(tok, "null is tested with 'is null' or 'is not null'")
        raise self.fail(tok, "expected a column name, a number, a string, true/false or '('")


def parse_rule(rule: str) -> Node:
    """The syntax tree of a rule (no column check yet)."""
    return _Parser(rule).parse()


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
