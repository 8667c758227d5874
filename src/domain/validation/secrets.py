"""No secret-looking literal: a few well-known token shapes, reported by kind, never by value."""

from __future__ import annotations

import re

from fabctl.domain.validation.findings import SECRETS, Finding
from fabctl.domain.validation.lines import line_of

# (kind, shape). Shapes are anchored on a fixed prefix or a long exact run, so that ordinary
# base64 (a logo, a GUID) does not match; each says what the user must move to a secret store.
SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an Azure storage connection string's AccountKey", re.compile(r"AccountKey=[A-Za-z0-9+/]{40,}={0,2}")),
    ("a SAS token signature (sig=)", re.compile(r"[?&;\"' ]sig=[A-Za-z0-9%+/]{30,}")),
    ("an Azure storage account key", re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==")),
    ("an Entra ID (AAD) client secret", re.compile(r"(?<![\w~.-])[\w~.-]{3}\dQ~[\w~.-]{31,34}", re.ASCII)),
    ("a private key block", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})")),
)


def secret_findings(part_path: str, text: str) -> list[Finding]:
    """One finding per line holding a secret-looking literal: its kind (the first shape that
    matches there: a connection string's key is also a key) and line, and nothing of its value."""
    by_line: dict[int, Finding] = {}
    for kind, shape in SHAPES:
        for match in shape.finditer(text):
            line = line_of(text, match.start())
            message = f"holds what looks like {kind}; keep it in a secret store, not in the source"
            by_line.setdefault(line, Finding(part_path, line, SECRETS, message))
    return sorted(by_line.values())
