"""Graph mode with principals.yaml: the file names groups' members by UPN, group name or app id, and Microsoft
Graph says which object ids those names are (a group's, through its transitive members).

A group the rules name that the file defines holds the file's members, each resolved through Graph: a UPN is
a user, a GUID an app id (a service principal), a group's object id (its transitive members) or, failing
both, a principal's object id; any other name is a Graph group by display name. A group the file does not
define (or no file at all) is asked of Graph by its name. The file's own object ids still count without a
Graph call, so the fallback (object ids in the file) keeps working in this mode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fabctl.adapters.directory.graph import GraphDirectory
from fabctl.adapters.directory.principals_file import PrincipalsFileDirectory
from fabctl.domain.errors import NotFound

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass
class GraphPrincipalsDirectory:
    graph: GraphDirectory
    file: PrincipalsFileDirectory

    def is_member(self, group: str, *, actor: str, object_id: str = "") -> bool:
        names = self.file.members(group) if self.file.exists() else None
        if names is None:
            return self.graph.is_member(group, actor=actor, object_id=object_id)
        approver = set(self.file.aliases(actor)) | ({object_id.lower()} if object_id else set())
        if approver & names:  # named in the file, by a name or an object id it gives: no Graph call
            return True
        principal = object_id.lower() or self.graph.principal_id(actor)
        return principal is not None and any(principal in self._object_ids(name) for name in sorted(names))

    def _object_ids(self, name: str) -> frozenset[str]:
        if "@" in name:
            found = self.graph.principal_id(name)
            return frozenset({found} if found else ())
        if _GUID.match(name):
            service_principal = self.graph.principal_id(name)  # an app id
            if service_principal:
                return frozenset({service_principal})
            try:
                return self.graph.resolve(name)  # a group's object id
            except NotFound:
                return frozenset({name})  # a user's or service principal's object id
        return self.graph.resolve(name)  # a Graph group by display name
