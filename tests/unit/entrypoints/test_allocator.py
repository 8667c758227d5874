"""The CLI's allocator settings: on glibc, definition-sized buffers get mappings of their own (given back to
the system when freed) and threads share two heaps instead of one each; on any other C library nothing
happens, and `tune_malloc` says so.

Checked in fresh interpreters, one with the setting and one without, each allocating the same buffers:
the test process's own heap has a history that would decide where a few buffers land. What glibc does is
measured only where the C library is glibc (asked of the library itself, not of the code under test);
everywhere else the same settings are checked to change nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fabctl.entrypoints import allocator


def glibc_version() -> str | None:
    """glibc's version ("2.36") when the C library is glibc: only glibc answers this `confstr` name."""
    try:
        answer = os.confstr("CS_GNU_LIBC_VERSION")  # "glibc 2.36"; musl answers ""
    except (AttributeError, ValueError, OSError):  # no confstr (Windows), or a name the platform lacks (macOS)
        return None
    name, _, version = (answer or "").partition(" ")
    return version if name == "glibc" else None


GLIBC = glibc_version()
on_glibc = pytest.mark.skipif(GLIBC is None, reason="measures glibc's allocator; this C library is not glibc")

BUFFERS = 100
# Each buffer: 100 KiB, above the fixed threshold (64 KiB) and below glibc's default one (128 KiB,
# which only rises from there as large blocks are freed).
# glibc 2.33 added mallinfo2 (size_t fields); before it, mallinfo (int fields) counts the same blocks.
PROBE = f"""
import ctypes, sys
from fabctl.entrypoints import allocator
libc = ctypes.CDLL(None)
mallinfo2, field = (libc.mallinfo2, ctypes.c_size_t) if hasattr(libc, "mallinfo2") else (libc.mallinfo, ctypes.c_int)
class Info(ctypes.Structure):
    _fields_ = [(n, field) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]
mallinfo2.restype = Info
if sys.argv[1] == "tuned":
    assert allocator.tune_malloc()
before = mallinfo2().hblks  # blocks served by a mapping of their own
buffers = [bytearray(100 * 1024) for _ in range({BUFFERS})]
print(mallinfo2().hblks - before)
"""


def mapped_buffers(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True)
    return int(done.stdout)


@on_glibc
def test_on_glibc_definition_sized_buffers_get_mappings_of_their_own() -> None:
    tuned, untouched = mapped_buffers("tuned"), mapped_buffers("untouched")

    assert untouched == 0
    # Nearly all of them: the first few may still fit in the free space at the top of the heap.
    assert tuned >= BUFFERS * 0.9


# Eight threads alive at once, each allocating from the C heap (above pymalloc's 512 bytes, below the threshold);
# then glibc's own report of its heaps (malloc_info's XML, one <heap> per arena) is read from a file.
HEAPS_PROBE = """
import ctypes, sys, tempfile, threading
from fabctl.entrypoints import allocator
if sys.argv[1] == "tuned":
    assert allocator.tune_malloc()
together = threading.Barrier(8)
def work():
    held = [bytearray(4096) for _ in range(50)]
    together.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
with tempfile.NamedTemporaryFile(suffix=".xml") as report:
    stream = libc.fopen(report.name.encode(), b"w")
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    print(open(report.name).read().count("<heap nr="))
"""


def heaps(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", HEAPS_PROBE, mode], capture_output=True, text=True, check=True)
    return int(done.stdout)


@on_glibc
def test_on_glibc_threads_share_two_heaps() -> None:
    tuned, untouched = heaps("tuned"), heaps("untouched")

    assert untouched > allocator.ARENAS  # one per thread, as glibc does by default (8 per CPU at most)
    assert tuned <= allocator.ARENAS


def test_the_settings_are_taken_exactly_where_the_c_library_is_glibc_on_linux() -> None:
    # Runs everywhere. On glibc, `tune_malloc` must report both settings taken, so the measurements above
    # cannot be skipped on a glibc the code misses; elsewhere it must change nothing and say so.
    assert tuned_in_a_fresh_interpreter() is (GLIBC is not None and sys.platform.startswith("linux"))


def tuned_in_a_fresh_interpreter() -> bool:
    probe = "from fabctl.entrypoints import allocator; print(allocator.tune_malloc())"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return {"True": True, "False": False}[done.stdout.strip()]


def test_off_linux_nothing_is_tuned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allocator.sys, "platform", "darwin")

    assert allocator.tune_malloc() is False
