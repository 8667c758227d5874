"""The CLI's allocator setting: on glibc, definition-sized buffers get mappings of their own (given back to
the system when freed) instead of places in a heap; on any other platform nothing happens.

Checked in fresh interpreters, one with the setting and one without, each allocating the same buffers:
the test process's own heap has a history that would decide where a few buffers land.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from fabctl.entrypoints import allocator

BUFFERS = 100
# Each buffer: 100 KiB, above the fixed threshold (64 KiB) and below glibc's default one (128 KiB,
# which only rises from there as large blocks are freed).
PROBE = f"""
import ctypes, sys
from fabctl.entrypoints import allocator
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]
mallinfo2 = ctypes.CDLL(None).mallinfo2
mallinfo2.restype = Info
if sys.argv[1] == "tuned":
    assert allocator.keep_large_buffers_out_of_the_heap()
before = mallinfo2().hblks  # blocks served by a mapping of their own
buffers = [bytearray(100 * 1024) for _ in range({BUFFERS})]
print(mallinfo2().hblks - before)
"""


def mapped_buffers(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_on_glibc_definition_sized_buffers_get_mappings_of_their_own() -> None:
    # CI runs on Linux with glibc, where the setting must take effect.
    tuned, untouched = mapped_buffers("tuned"), mapped_buffers("untouched")

    assert untouched == 0
    # Nearly all of them: the first few may still fit in the free space at the top of the heap.
    assert tuned >= BUFFERS * 0.9


def test_elsewhere_nothing_is_tuned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allocator.sys, "platform", "darwin")

    assert allocator.keep_large_buffers_out_of_the_heap() is False
