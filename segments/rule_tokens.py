"""The activation-rule language, first step: tokens, and the error every later step raises.

`tokenize` turns a rule into `Token`s with their [start, end) positions, so
that the parser, the type checker and the SQL compiler can all point at the
offending text with `RuleError`'s caret line. The grammar is in `rule_parser`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from segments.errors import SegmentsError

KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false"}
COMPARISONS = {"=", "==", "!=", "<>", "<", "<=", ">", ">="}

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
