"""Keep the C allocator from holding on to freed memory (glibc only; elsewhere a no-op).

Two glibc defaults make a deployment's resident memory grow beyond what it uses:

- **The dynamic mmap threshold.** glibc serves an allocation above its mmap threshold with a mapping
  of its own, returned to the system when freed. But each time such a block is freed, glibc raises
  the threshold to its size (up to 32 MiB), so later definition-sized buffers (hundreds of KB) come
  from the heap instead. Freed among small long-lived objects, they leave holes the heap cannot
  give back: at 800 items, 25 of 44 MiB of heap were free but held (mallinfo2; docs/benchmarks.md).
  A fixed threshold keeps large buffers in their own mappings, so freeing one returns it at once.
- **One heap per thread.** glibc gives each new thread a heap (arena) of its own, up to eight per
  CPU. A deployment runs 64 workers, and each heap keeps its own free space between the objects
  its thread allocated: at 800 items, two heaps instead of sixteen cut the growth per item by a
  quarter (docs/adr/0015-upload-window.md). Workers allocate mostly while holding the GIL, so
  sharing a heap rarely makes one wait.
"""

from __future__ import annotations

import ctypes
import sys

# glibc's mallopt parameter numbers (malloc.h); setting the threshold also stops its adjustment.
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD_BYTES = 64 * 1024
ARENAS = 2


def tune_malloc() -> bool:
    """Fix glibc's mmap threshold and its number of heaps; True when both were set. Safe on any platform."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (or no C library to ask): nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    threshold = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    arenas = bool(mallopt(M_ARENA_MAX, ARENAS))
    return threshold and arenas
