"""Looks for a value everywhere fabctl may have put it: text, JSON strings, base64 inside them, zlib blobs,
and every cell of every table of a SQLite file."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
import sqlite3
import zlib
from pathlib import Path


def holds(data: bytes | str, value: str, depth: int = 0) -> bool:
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    if value.encode() in raw:
        return True
    if depth > 3:
        return False
    for decoded in _decodings(raw):
        if holds(decoded, value, depth + 1):
            return True
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return False
    return any(holds(text, value, depth + 1) for text in _strings(document))


_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{16,}={0,2}")


def _decodings(raw: bytes) -> list[bytes]:
    """zlib, and every run of base64 characters at each of its four alignments (a run may be cut short,
    as a trace cuts long bodies, or start inside a longer one)."""
    found = []
    with contextlib.suppress(zlib.error):
        found.append(zlib.decompress(raw))
    for run in _BASE64_RUN.findall(raw):
        for start in range(4):
            chunk = run[start:].rstrip(b"=")
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            try:
                found.append(base64.b64decode(chunk, validate=True))
            except (binascii.Error, ValueError):
                continue
    return found


def _strings(document: object) -> list[str]:
    if isinstance(document, str):
        return [document]
    if isinstance(document, dict):
        return [s for k, v in document.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(document, list):
        return [s for v in document for s in _strings(v)]
    return []


def sqlite_cells(path: Path) -> list[bytes | str]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        cells: list[bytes | str] = []
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                cells += [c for c in row if isinstance(c, bytes | str)]
        return cells
    finally:
        connection.close()


def files_holding(folder: Path, value: str) -> list[str]:
    """Every file under `folder` (and every SQLite cell) that holds `value`, however encoded."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if holds(path.read_bytes(), value):
            found.append(str(path))
        if path.suffix == ".db":
            found += [f"{path}: a cell" for cell in sqlite_cells(path) if holds(cell, value)]
    return found
