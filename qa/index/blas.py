"""numpy's OpenBLAS on one thread, for the calling thread only, while a block runs.

The query path multiplies small matrices (a 10-30 token query through MiniLM) or
streams one vector past many (flat search).  Neither gains from a second BLAS
thread, and on a busy two-core machine the threads wait on each other: a query
through the numpy encoder took 1.6 s instead of 70 ms in a measured case.  OpenBLAS's
``openblas_set_num_threads_local`` changes the count for the calling thread only
and returns the old one, so servers with several worker threads are unaffected.
Without OpenBLAS (another BLAS, another platform) this does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run numpy's OpenBLAS on one thread in the calling thread, then restore it."""
    set_local = _openblas_set_threads_local()
    if set_local is None:
        yield
        return
    previous = set_local(1)
    try:
        yield
    finally:
        set_local(previous)


@lru_cache(maxsize=1)
def _openblas_set_threads_local():
    """numpy's OpenBLAS ``openblas_set_num_threads_local`` (returns the old count), if any."""
    import ctypes

    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    paths = sorted({ln.split()[-1] for ln in maps.splitlines() if "openblas" in ln.lower() and "numpy" in ln})
    for path in paths:
        try:
            fn = ctypes.CDLL(path).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
        return fn
    return None
