"""`GraphDirectory`: approver groups and principals read from Microsoft Graph v1.0 (REST over httpx).

Groups are found by display name (`$filter=displayName eq '...'`), users by UPN (`$filter=userPrincipalName eq`,
which also takes the UPNs `/users/{upn}` cannot address, such as guests' `#EXT#` ones), service principals by
app id. Membership is the group's `transitiveMembers`, read once per group and process and kept as a set of
object ids (`resolve`): one set answers every approver of that group, and the file fallback (object ids in
principals.yaml) gives the same shape, so the two compose. No `ConsistencyLevel` header: these are Graph's
default queries (eq on indexed properties, no $count or $search), which it answers without one.
"""

from __future__ import annotations

import re
import threading

from fabctl.adapters.directory.graph_http import FALLBACK, GraphClient
from fabctl.application.errors import DirectoryUnavailable
from fabctl.domain.errors import NotFound

GROUPS = "GroupMember.Read.All"
USERS = "User.Read.All"
APPLICATIONS = "Application.Read.All"
PAGE = "999"  # Graph's largest page: the fewest round trips through a large group
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class GraphDirectory:
    """The `Directory` port through Graph; answers are kept for the life of the process (a CLI run, a worker's
    command), so a change in Entra reaches fabctl with its next process."""

    def __init__(self, client: GraphClient) -> None:
        self._graph = client
        self._lock = threading.Lock()
        self._members: dict[str, frozenset[str]] = {}
        self._principals: dict[str, str | None] = {}

    def is_member(self, group: str, *, actor: str, object_id: str = "") -> bool:
        members = self.resolve(group)
        principal = object_id.lower() or self.principal_id(actor)
        return principal is not None and principal in members

    def resolve(self, group: str) -> frozenset[str]:
        """The object ids of every member of `group` (display name or object id), through nested groups."""
        key = group.casefold()
        with self._lock:
            if key in self._members:
                return self._members[key]
        members = frozenset(self._transitive_members(self.group_id(group)))
        with self._lock:
            self._members[key] = members
        return members

    def group_id(self, group: str) -> str:
        """The object id of the one group named `group`; `NotFound` when Graph has none."""
        if _GUID.match(group):
            found = self._graph.get(f"/groups/{group}", params={"$select": "id"}, permission=GROUPS)
            if found is None:
                raise NotFound(f"Microsoft Graph has no group with object id {group}")
            return str(found["id"]).lower()
        hits = self._ids("/groups", "displayName", group, GROUPS)
        if not hits:
            raise NotFound(f"Microsoft Graph has no group named {group!r} (principals.yaml names it)")
        if len(hits) > 1:
            raise DirectoryUnavailable(
                f"{len(hits)} groups in Microsoft Graph are named {group!r}: name the group by its object id "
                f"in principals.yaml, {FALLBACK}"
            )
        return hits[0]

    def principal_id(self, actor: str) -> str | None:
        """The object id of the user (by UPN) or service principal (by app id) `actor`; None when Graph has
        none, or `actor` is neither a UPN nor an app id (it then belongs to no group)."""
        key = actor.casefold()
        with self._lock:
            if key in self._principals:
                return self._principals[key]
        if "@" in actor:
            hits = self._ids("/users", "userPrincipalName", actor, USERS)
        elif _GUID.match(actor):
            hits = self._ids("/servicePrincipals", "appId", actor, APPLICATIONS)
        else:
            hits = []
        principal = hits[0] if len(hits) == 1 else None
        with self._lock:
            self._principals[key] = principal
        return principal

    def _ids(self, collection: str, prop: str, value: str, permission: str) -> list[str]:
        params = {"$filter": f"{prop} eq {_literal(value)}", "$select": "id"}
        return [str(o["id"]).lower() for o in self._pages(collection, params, permission)]

    def _transitive_members(self, group_id: str) -> set[str]:
        params = {"$select": "id", "$top": PAGE}
        return {str(o["id"]).lower() for o in self._pages(f"/groups/{group_id}/transitiveMembers", params, GROUPS)}

    def _pages(self, path: str, params: dict[str, str], permission: str) -> list[dict[str, object]]:
        """Every object of a collection, following `@odata.nextLink` (which carries the query itself)."""
        objects: list[dict[str, object]] = []
        url: str | None = path
        query: dict[str, str] | None = params
        while url is not None:
            page = self._graph.get(url, params=query, permission=permission)
            if page is None:
                raise NotFound(f"Microsoft Graph has no {path}")
            value = page.get("value", [])
            if not isinstance(value, list):
                raise DirectoryUnavailable(f"Microsoft Graph answered {path} without a list of objects")
            objects.extend(o for o in value if isinstance(o, dict) and "id" in o)
            link = page.get("@odata.nextLink")
            url, query = (link, None) if isinstance(link, str) else (None, None)
        return objects


def _literal(value: str) -> str:
    """`value` as an OData string literal: a quote inside is written twice, so a name cannot end the clause."""
    return "'" + value.replace("'", "''") + "'"
