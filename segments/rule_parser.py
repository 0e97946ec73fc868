"""The activation-rule language: the recursive-descent parser.

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
`eval`: the parser builds a small tree of dataclasses (`rule_tree`), and
`rule_types.check_rule` types it
against the cohort's columns (number, string, boolean, datetime) and every
error points at the offending text with a caret line. Null follows SQL: a
comparison with a missing value is unknown, and unknown rows are not selected
(`not (x > 1)` does not select rows where x is missing; use `x is null`).
"""

from __future__ import annotations

from segments.rule_tokens import COMPARISONS, RuleError, Token, tokenize
from segments.rule_tree import Column, Compare, InList, IsNull, Literal, Logical, Node


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
