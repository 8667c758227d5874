"""The application the functions use: bootstrapped lazily, once per worker thread.

The Python worker runs synchronous functions on a thread pool, several invocations at once. A unit
of work holds one open session (a SQLite connection, the Azure store's read set) and is not shared
between threads, so each thread gets its own application: they meet only in the state store, whose
concurrency control (leases, optimistic commits) already keeps separate processes apart.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fabctl.entrypoints.bootstrap import App

_built = threading.local()


def current() -> App:
    """This thread's application, built from the settings (FABCTL_* app settings) on first use."""
    built: App | None = getattr(_built, "app", None)
    if built is None:
        from fabctl.entrypoints.bootstrap import bootstrap

        built = bootstrap()
        _built.app = built
    return built


def forget() -> None:
    """Drop this thread's application, so the next invocation builds one from the settings as they are now."""
    _built.app = None
