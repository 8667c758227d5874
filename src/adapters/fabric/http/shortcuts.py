"""A lakehouse's OneLake shortcuts over REST: list (paged), create with `CreateOrOverwrite`, delete.

Creating with `CreateOrOverwrite` sets the shortcut at its path and name whatever was there, so a
retried create (the first answer lost) lands on the same end state: no duplicate-create guard is
needed. A delete whose first answer was lost finds the shortcut gone and counts as done.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any
from urllib.parse import quote

from fabctl.adapters.fabric.http.base import FabricRestBase
from fabctl.adapters.fabric.http.paging import iterate_pages
from fabctl.application.errors import ItemNotFound
from fabctl.domain.shortcuts import Shortcut

OVERWRITE = "CreateOrOverwrite"


def _shortcut(body: dict[str, Any]) -> Shortcut:
    return Shortcut.from_fabric(body)


class OneLakeShortcuts(FabricRestBase):
    def list_shortcuts(self, workspace_id: str, item_id: str) -> list[Shortcut]:
        pages = iterate_pages(self._client, f"workspaces/{workspace_id}/items/{item_id}/shortcuts")
        return self._list(pages, _shortcut)

    def put_shortcut(self, workspace_id: str, item_id: str, shortcut: Shortcut) -> Shortcut:
        url = f"workspaces/{workspace_id}/items/{item_id}/shortcuts?shortcutConflictPolicy={OVERWRITE}"
        return self._read(self._client.request("POST", url, json=shortcut.to_fabric()), _shortcut)

    def delete_shortcut(self, workspace_id: str, item_id: str, path: str, name: str) -> None:
        url = f"workspaces/{workspace_id}/items/{item_id}/shortcuts/{quote(path)}/{quote(name, safe='')}"
        with suppress(ItemNotFound):  # gone already, e.g. a retry after a lost answer: the goal holds
            self._client.request("DELETE", url)
