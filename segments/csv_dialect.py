"""A CSV file's dialect as every cohort reader decides it: delimiter, decimal mark, lines.

Shared by the pandas reader (`cohort_csv`) and the scans that never build a
frame (`csv_scan_plan`), so each reads a file with the same separator and
decimal mark. Imports nothing heavier than the standard library.
"""

from __future__ import annotations

import re
from pathlib import Path

DELIMITERS = [",", ";", "\t", "|"]


def sniff_delimiter(head: str) -> str:
    """The delimiter the header line uses most (comma when it has none)."""
    first = head.splitlines()[0] if head else ""
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def decimal_mark(sep: str, head: str) -> str:
    """ "," for a semicolon file whose first rows write numbers like 0,5; otherwise "."."""
    body = head.split("\n", 1)[1] if "\n" in head else ""
    return "," if sep == ";" and re.search(r"\d,\d", body) else "."


def count_lines(where: Path | bytes) -> int:
    """Physical lines (a last line without a newline counts), streaming a file in 1 MB reads."""
    if isinstance(where, bytes):
        newlines, last = where.count(b"\n"), where[-1:]
    else:
        newlines, last, buf = 0, b"", bytearray(1 << 20)
        with where.open("rb") as fh:
            while size := fh.readinto(buf):
                newlines += buf.count(b"\n", 0, size)
                last = bytes(buf[size - 1 : size])
    return newlines + (0 if last in (b"\n", b"") else 1)
