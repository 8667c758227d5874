"""Keep the C allocator from holding on to freed definition buffers (glibc only; elsewhere a no-op).

glibc serves an allocation above its mmap threshold with a mapping of its own, returned to the system
when freed. But each time such a block is freed, glibc raises the threshold to its size (up to 32 MiB),
so later definition-sized buffers (a JSON body, a base64 string, a bound text: hundreds of KB) come
from the heap instead. Freed among small long-lived objects, they leave holes the heap cannot give
back, and with one heap per busy thread the unused part grew with every item deployed: at 800 items,
25 of 44 MiB of heap were free but held (measured with mallinfo2; docs/benchmarks.md). A fixed
threshold keeps large buffers in their own mappings, so freeing one returns it at once.
"""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number (malloc.h); setting it also stops the adjustment
MMAP_THRESHOLD_BYTES = 64 * 1024


def keep_large_buffers_out_of_the_heap() -> bool:
    """Fix glibc's mmap threshold; True when it was set. Safe to call on any platform."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (or no C library to ask): nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
