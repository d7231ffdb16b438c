"""numpy for the passes that hash text into arrays, imported on first use with one BLAS thread,
and the small sorted-array helpers they share."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

_np: Any = None


def numpy() -> Any:
    """The numpy module, imported on first use (a run without these passes never pays for it)."""
    global _np
    if _np is None:
        # One BLAS thread: the matrices here are small, and OpenBLAS's idle worker threads spin
        # on the cores the run's other processes use (LexRank ran 6x slower with them).
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")
        import numpy as module

        _np = module
    return _np


def array(hex_digits: str) -> Any:
    """Constants written out in hex as a uint64 numpy array (little-endian in the text)."""
    np = numpy()
    return np.frombuffer(bytes.fromhex(hex_digits), dtype="<u8").astype(np.uint64)


def run_starts(ordered: "np.ndarray") -> "np.ndarray":
    """True where a sorted array's run of equal values starts."""
    np = numpy()
    out = np.empty(len(ordered), dtype=bool)
    out[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=out[1:])
    return out


def distinct(values: "np.ndarray") -> "np.ndarray":
    """`np.unique` of a flat array, without its check for masked arrays (which imports numpy.ma at
    each start of an editor hook)."""
    ordered = numpy().sort(values)
    return ordered[run_starts(ordered)]
