"""`winback guard check` without the CLI: JSONL lines in, one result per line out.

Each input line is decoded, parsed and checked on its own. A line that is not
UTF-8, not JSON, lacks `text`, names an unknown channel, is empty or too long
yields `{"id", "line", "error"}` and the other lines are still checked. Valid
messages are checked in chunks so Presidio can batch them (`nlp.pipe`).
Results come back in input order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from guardrails.check_message import check_messages
from guardrails.message import Message, MessageError, parse_message
from guardrails.policy import Policy

CHUNK = 256


def _parse_line(raw: bytes, lineno: int) -> Message:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MessageError(
            f"not valid UTF-8 (byte {exc.start})", "Save the file as UTF-8."
        ) from None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise MessageError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    return parse_message(obj, f"line-{lineno}")


def _guess_id(raw: bytes, lineno: int) -> str:
    try:
        obj = json.loads(raw.decode("utf-8"))
        if isinstance(obj, dict) and "id" in obj:
            return str(obj["id"])
    except (UnicodeDecodeError, json.JSONDecodeError):
        pass
    return f"line-{lineno}"


def check_jsonl(
    lines: Iterable[bytes], policy: Policy, model_name: str | None = None
) -> Iterator[dict[str, Any]]:
    """One result dict per non-blank line: a verdict, or `{"id", "line", "error"}`."""
    pending: list[tuple[int, Message | dict[str, Any]]] = []

    def flush() -> Iterator[dict[str, Any]]:
        messages = [m for _, m in pending if isinstance(m, Message)]
        verdicts = iter(check_messages(messages, policy, model_name)) if messages else iter(())
        for _, item in pending:
            yield next(verdicts).to_dict() if isinstance(item, Message) else item
        pending.clear()

    for lineno, raw in enumerate(lines, start=1):
        raw = raw.rstrip(b"\r\n")
        if not raw.strip():
            continue
        try:
            pending.append((lineno, _parse_line(raw, lineno)))
        except MessageError as exc:
            pending.append(
                (lineno, {"id": _guess_id(raw, lineno), "line": lineno, "error": str(exc)})
            )
        if len(pending) >= CHUNK:
            yield from flush()
    yield from flush()
