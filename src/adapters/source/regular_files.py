"""Reading a user's file without ever waiting on it: only regular files are read.

Opening a FIFO to read waits for a writer, and reading `/dev/zero` never ends; a source folder or a
settings path can name either. Each file is checked with `stat` before it is opened, and opened
without blocking and checked again, so a file swapped for a FIFO in between cannot hang fabctl.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotARegularFile(OSError):
    """The path names a directory, a FIFO, a device or a socket: fabctl reads only regular files."""

    def __init__(self, mode: int) -> None:
        kind = next((name for test, name in _KINDS if test(mode)), "not a plain file")
        super().__init__(errno.EINVAL, f"is not a regular file (it is {kind}); fabctl reads only regular files")


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """`path` opened to read bytes, or `NotARegularFile` (or another `OSError`) without blocking."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotARegularFile(mode)
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(mode)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_regular(path: str | os.PathLike[str]) -> bytes:
    """The bytes of the regular file `path` (see `open_regular`)."""
    with open_regular(path) as file:
        return file.read()


def reason(error: OSError) -> str:
    """What went wrong, in words: the OS's own ('Permission denied'), or ours for a non-regular file."""
    if isinstance(error, NotARegularFile):
        return str(error.strerror)
    return f"cannot be read: {error.strerror or error}"
