"""The words and shapes a cohort's values must have: boolean tokens, time zones, locales.

The pandas path (`cohort_validation`) checks every value against these; the
scans that never build a frame (Arrow, DuckDB, a database) check a column's
distinct values with `distinct_values_pass`, so all engines accept the same
values. Imports no pandas.
"""

from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache

TRUE_TOKENS = {"true", "t", "yes", "y", "1", "1.0"}
FALSE_TOKENS = {"false", "f", "no", "n", "0", "0.0"}
LOCALE = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$"
# a date or timestamp every engine reads the same way (pandas, Arrow, DuckDB)
ISO_DATE = r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?"
# what Python's str.strip() removes (the pandas path strips ids and tokens with it)
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


@lru_cache(maxsize=1)
def zones() -> frozenset[str]:
    """Every IANA time zone name this machine knows."""
    return frozenset(zoneinfo.available_timezones())


def distinct_values_pass(kind: str, name: str, values: list[str]) -> bool:
    """True when the pandas path accepts each of a column's distinct values (booleans,
    time zones and locales), so a scan may answer "clean" for the column."""
    if kind == "boolean":
        return all(v.strip().lower() in TRUE_TOKENS | FALSE_TOKENS for v in values)
    if name == "timezone":
        return set(values) <= zones()
    if name == "locale":
        return all(re.match(LOCALE, v) for v in values)
    return True
