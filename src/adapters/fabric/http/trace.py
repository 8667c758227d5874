"""An opt-in HTTP trace: one JSON line per request attempt, safe to attach to a bug report.

The `Authorization` header (and any other credential-bearing header) is never written; every
configured secret value is replaced wherever it appears (URL, headers, bodies, error text); bodies
are cut to a maximum length so definitions do not flood the file. A definition upload is streamed, not
kept, so its line has no request body.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

REDACTED = "***"
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-ms-authorization"})


_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")


def _hide_encoded(run: str, secrets: list[str]) -> str:
    try:
        decoded = base64.b64decode(run[: len(run) - len(run) % 4], validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return run
    return f"{REDACTED} (base64)" if any(secret in decoded for secret in secrets) else run


class HttpTrace:
    """Appends JSON lines to `path`; thread-safe. Secrets may be added later (e.g. resolved values)."""

    def __init__(self, path: str | Path, *, secrets: Iterable[str] = (), max_body_chars: int = 2000) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._secrets: set[str] = set()
        self._max_body = max_body_chars
        self._lock = threading.Lock()
        self._file: TextIO | None = None
        self.add_secrets(secrets)

    def add_secrets(self, secrets: Iterable[str]) -> None:
        with self._lock:
            # Very short values would redact ordinary text; a secret is never that short.
            self._secrets.update(s for s in secrets if len(s) >= 4)

    def record(
        self,
        *,
        method: str,
        url: str,
        status: int | None,
        duration_s: float,
        request_id: str = "",
        request_headers: Mapping[str, str] | None = None,
        request_body: bytes | None = None,
        response_body: bytes | None = None,
        error: str = "",
        attempt: int = 1,
    ) -> None:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "method": method,
            "url": url,
            "status": status,
            "durationMs": round(duration_s * 1000, 1),
            "requestId": request_id,
            "attempt": attempt,
            "requestHeaders": self._headers(request_headers or {}),
        }
        if request_body:
            entry["requestBody"] = self._body(request_body)
        if response_body:
            entry["responseBody"] = self._body(response_body)
        if error:
            entry["error"] = error
        line = self._redact(json.dumps(entry, ensure_ascii=False))
        with self._lock:
            if self._file is None:
                self._file = self._path.open("a", encoding="utf-8")
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def _headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {name: REDACTED if name.lower() in _SECRET_HEADERS else value for name, value in headers.items()}

    def _body(self, body: bytes) -> str:
        # Redact before cutting, so a secret straddling the cut cannot leak its first half.
        text = self._redact(body.decode("utf-8", errors="replace"))
        if len(text) <= self._max_body:
            return text
        return f"{text[: self._max_body]}...[{len(text) - self._max_body} more chars]"

    def _redact(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            # Look for the value both raw and as JSON escapes it (the line is JSON).
            for form in {secret, json.dumps(secret, ensure_ascii=False)[1:-1]}:
                text = text.replace(form, REDACTED)
        if secrets:
            # Definition parts travel base64-encoded: a part holding a secret is hidden whole.
            text = _BASE64_RUN.sub(lambda run: _hide_encoded(run.group(0), secrets), text)
        return text
