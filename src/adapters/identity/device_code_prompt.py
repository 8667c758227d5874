"""What a person signing in by device code is asked to do, written to stderr.

azure-identity prints its prompt to stdout by default; fabctl's stdout is its result (a report, JSON a
pipeline parses), so the prompt goes where fabctl's other messages to people go. It carries only the
verification URL and the one-time user code, never a token.
"""

from __future__ import annotations

import sys
from datetime import datetime


def prompt_on_stderr(verification_uri: str, user_code: str, expires_on: datetime) -> None:
    until = expires_on.strftime("%H:%M:%S %Z").strip()
    print(
        f"To sign in, open {verification_uri} in a browser and enter the code {user_code} (valid until {until}).",
        file=sys.stderr,
        flush=True,
    )
