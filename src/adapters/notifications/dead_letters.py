"""Dead letters as JSON files in a folder of the state dir: one file per event and subscriber.

A file, not the state store: a notification's failure is no part of a promotion's state, and every store
(memory, SQLite, Azure) then keeps dead letters the same way. Each file is written whole and renamed into
place, so a crash leaves the old letter or the new one, never half of one. The record holds the event, the
subscriber's name and the failure's reason: never a URL or a key (the subscription holds only references).
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from fabctl.application.notifier import DeadLetter
from fabctl.application.ports import OutboxMessage

_SAFE = re.compile(r"[^A-Za-z0-9._-]")


class FileDeadLetters:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def add(self, letter: DeadLetter) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(letter.id)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(_to_json(letter), indent=2), encoding="utf-8")
        os.replace(temporary, path)

    def list(self) -> list[DeadLetter]:
        if not self.folder.is_dir():
            return []
        letters = [_from_json(json.loads(p.read_text(encoding="utf-8"))) for p in self.folder.glob("*.json")]
        return sorted(letters, key=lambda letter: (letter.failed_at, letter.id))

    def remove(self, letter_id: str) -> None:
        self._path(letter_id).unlink(missing_ok=True)

    def _path(self, letter_id: str) -> Path:
        return self.folder / f"{_SAFE.sub('_', letter_id)}.json"


def _to_json(letter: DeadLetter) -> dict[str, Any]:
    message = letter.message
    return {
        "id": letter.id,
        "subscription": letter.subscription,
        "reason": letter.reason,
        "attempts": letter.attempts,
        "failed_at": letter.failed_at.isoformat(),
        "event": {
            "id": message.id,
            "type": message.type,
            "payload": message.payload,
            "created_at": message.created_at.isoformat(),
        },
    }


def _from_json(document: dict[str, Any]) -> DeadLetter:
    event = document["event"]
    message = OutboxMessage(event["id"], event["type"], event["payload"], datetime.fromisoformat(event["created_at"]))
    return DeadLetter(
        id=document["id"],
        subscription=document["subscription"],
        message=message,
        reason=document["reason"],
        attempts=int(document["attempts"]),
        failed_at=datetime.fromisoformat(document["failed_at"]),
    )
