"""Arrow arrays and scalars of Python values, built from raw buffers.

`pyarrow.array([...])`, `pyarrow.scalar(x)` and every compute call given a
plain Python value first ask whether the value is a pandas object, and that
question imports pandas (0.2-0.5 s). The Arrow engine of `cohort check`
exists to avoid that import, so the few literals it needs (a rule's numbers,
strings and booleans, the boolean tokens) are built here from bytes, which
pyarrow never inspects.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa


def literal_array(values: Sequence[object], kind: pa.DataType) -> pa.Array:
    """`values` (floats, booleans or strings) as an Arrow array of `kind`, without nulls."""
    n = len(values)
    if pa.types.is_floating(kind):
        data = pa.py_buffer(np.asarray(values, dtype=np.float64).tobytes())
        return pa.Array.from_buffers(pa.float64(), n, [None, data])
    if pa.types.is_boolean(kind):
        bits = np.packbits(np.asarray(values, dtype=bool), bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), n, [None, pa.py_buffer(bits.tobytes())])
    if pa.types.is_string(kind):
        encoded = [str(v).encode("utf-8") for v in values]
        offsets = np.zeros(n + 1, dtype=np.int32)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        buffers = [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(b"".join(encoded))]
        return pa.Array.from_buffers(pa.string(), n, buffers)
    raise TypeError(f"no literal of type {kind}")


def literal(value: object, kind: pa.DataType) -> pa.Scalar:
    """One value as an Arrow scalar of `kind`; None is that type's null."""
    if value is None:
        return pa.nulls(1, kind)[0]
    return literal_array([value], kind)[0]
