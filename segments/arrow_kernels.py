"""Arrow's compute kernels called by name, without importing `pyarrow.compute`.

`import pyarrow.compute` builds a Python wrapper, with its docstring, for each
of Arrow's several hundred kernels: about 70 ms, a tenth of `winback cohort
check` on a 1M-row file. The Arrow engine calls a dozen kernels; `call`
reaches them through the registry, as the wrappers themselves do
(`pyarrow._compute.call_function`), and the functions below are the ones that
take options. The arrays' own methods that compute (`cast`, `filter`,
`drop_null`, `is_null`, ...) import `pyarrow.compute` too, so the engine
calls the kernels instead (a test checks the module is never imported).
Defaults are the wrappers' defaults: aggregates skip nulls, `filter` drops
the rows a null selects, `cast` is safe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

try:
    import pyarrow._compute as _compute
except ImportError:  # pragma: no cover - a pyarrow that moved its registry: the public module
    import pyarrow.compute as _compute

if TYPE_CHECKING:
    import pyarrow as pa


def call(name: str, *args: Any, options: Any = None) -> Any:
    """The kernel `name` on `args` (arrays, chunked arrays or scalars)."""
    return _compute.call_function(name, list(args), options)


def truth(name: str, values: Any) -> bool:
    """The aggregate `all` or `any` of a boolean column as a Python bool (nulls skipped)."""
    return bool(call(name, values).as_py())


def cast(values: Any, kind: pa.DataType) -> Any:
    """`values` as `kind`; raises `ArrowInvalid` for a value that does not fit."""
    return call("cast", values, options=_compute.CastOptions.safe(kind))


def is_in(values: Any, value_set: pa.Array) -> Any:
    """Whether each value is one of `value_set`; false for a null, as in `pyarrow.compute`."""
    return call("is_in", values, options=_compute.SetLookupOptions(value_set))


def matches(values: Any, pattern: str) -> Any:
    """Whether each text value matches the regular expression `pattern` (RE2 syntax)."""
    return call("match_substring_regex", values, options=_compute.MatchSubstringOptions(pattern))


def trim(values: Any, characters: str) -> Any:
    """Each text value without the leading and trailing `characters`."""
    return call("utf8_trim", values, options=_compute.TrimOptions(characters))
