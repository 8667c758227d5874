"""Builds the binding context: real ids of the target, and the resolver of dynamic values.

Dynamic values are every form fabric-cicd documents (see `domain/dynamic_values.py`): the target
workspace's id, name and URL-encoded name; another workspace's id; an item's id, its SQL endpoint
(`$sqlendpoint`, `$sqlendpointid`) or its query service URI (`$queryserviceuri`), of the types
fabric-cicd reads each of (the gateway reads them from the item's typed route), in the target or in
another workspace. Without a gateway, or while an item is not yet created (a plan), gateway-backed
values are placeholders; content to be written (`final`) never gets one: a value Fabric provisions
after creating the item is waited for (up to `PROVISIONING_WAIT_S`).
Unknown items or workspaces raise `InvalidConfiguration` before anything is written. `$ENV:NAME`
never reaches here: the source reader substitutes it when it reads the file. `$secret:NAME` does: it
is read from the rules' secret store when bound, so the rules (and what is pinned or journaled from
them) keep the marker, and only the environment being deployed has its secrets read.

Logical ids are those of the source's `.platform` files and, for items no longer in the source but
still in the target, those of fabctl's deployment records (`DeploymentInputs.target_logical_ids`).

spark_pool targets are looked up by name and type in the target workspace's pools (one
`list_spark_pools` per context, as fabric-cicd lists them once); a pool that is not there is an
`InvalidConfiguration` naming the rule. While the workspace does not exist yet (a plan), the id is a
placeholder, like `$sqlendpoint`.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping

from fabctl.application.deployment.inputs import DeploymentInputs
from fabctl.application.ports import FabricGateway, RemoteItem, SparkPoolInfo
from fabctl.domain.binding import BindingContext
from fabctl.domain.dynamic_values import DynamicValue, parse_dynamic_value
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.items import ItemKey, LogicalId
from fabctl.domain.parameters import SparkPool, SparkPoolTarget
from fabctl.domain.redaction import secret_name
from fabctl.domain.workspace import Workspace

_LOGICAL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Fabric provisions a new lakehouse's or mirrored database's SQL endpoint (and an eventhouse's query
# service) a while after creating the item (seconds to minutes).
PROVISIONING_WAIT_S = 300.0
PROVISIONING_POLL_S = 2.0
# What each provisioned attribute is called in messages.
_ATTRIBUTE_NAMES = {"sqlendpoint": "SQL endpoint", "sqlendpointid": "SQL endpoint id", "queryserviceuri": "query URI"}


def binding_context(
    inputs: DeploymentInputs,
    workspace_id: str,
    workspace_name: str,
    ids_by_key: Mapping[ItemKey, str],
    *,
    gateway: FabricGateway | None = None,
    asked: set[ItemKey] | None = None,
    final: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> BindingContext:
    """The context to bind the source's items for this target.

    `asked` collects the items whose `$items` values are resolved (what an item depends on beyond
    the logical ids in its content). `final` is for the content to be written: a value that is not
    known yet is an error instead of a placeholder, and a value still being provisioned is waited
    for (up to `PROVISIONING_WAIT_S`).
    """
    known = KnownLogicalIds(inputs.source, inputs.target_logical_ids)
    resolver = _Resolver(inputs, workspace_id, workspace_name, ids_by_key, gateway, asked, final, sleep)
    return BindingContext(
        environment=inputs.environment.name,
        workspace_id=workspace_id,
        workspace_name=workspace_name,
        ids_by_logical_id=_IdsByLogicalId(known, ids_by_key),
        ids_by_key=ids_by_key,
        resolve=resolver.resolve,
        resolve_pool=resolver.pool_id,
        logical_ids=known,
        source=inputs.source,
    )


class KnownLogicalIds(Mapping[str, ItemKey]):
    """Lower-case logical id -> its item: the source's first, then those fabctl recorded in the target
    for items no longer in the source. Looked up, never copied (the source may be large)."""

    def __init__(self, source: Workspace, recorded: Mapping[str, ItemKey]) -> None:
        self._source = source
        self._recorded = recorded

    def __getitem__(self, logical_id: str) -> ItemKey:
        item = self._source.by_logical_id(LogicalId(logical_id)) if _LOGICAL_ID.fullmatch(logical_id) else None
        if item is not None:
            return item.key
        # The logical id the item had when fabctl deployed it (the item may have left the source).
        return self._recorded[logical_id]

    def __iter__(self) -> Iterator[str]:
        seen = set()
        for item in self._source:
            if item.logical_id is not None:
                seen.add(item.logical_id.value)
                yield item.logical_id.value
        yield from (lid for lid in self._recorded if lid not in seen)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _IdsByLogicalId(Mapping[str, str]):
    """Lower-case logical id -> the target's id, looked up through the known logical ids, never
    copied: every item in flight binds with one, and a copy per item would grow with the workspace."""

    def __init__(self, known: Mapping[str, ItemKey], ids_by_key: Mapping[ItemKey, str]) -> None:
        self._known = known
        self._ids_by_key = ids_by_key

    def __getitem__(self, logical_id: str) -> str:
        key = self._known.get(logical_id)
        if key is None or key not in self._ids_by_key:
            raise KeyError(logical_id)
        return self._ids_by_key[key]

    def __iter__(self) -> Iterator[str]:
        return (lid for lid in self._known if self._known[lid] in self._ids_by_key)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Resolver:
    """Resolves dynamic values; gateway answers are cached for the life of one context."""

    def __init__(
        self,
        inputs: DeploymentInputs,
        workspace_id: str,
        workspace_name: str,
        ids_by_key: Mapping[ItemKey, str],
        gateway: FabricGateway | None,
        asked: set[ItemKey] | None,
        final: bool,
        sleep: Callable[[float], None],
    ) -> None:
        self.inputs = inputs
        self.workspace_id = workspace_id
        self.workspace_name = workspace_name
        self.ids_by_key = ids_by_key
        self.gateway = gateway
        self.cache: dict[str, str] = {}
        self.parsed: dict[str, DynamicValue] = {}
        self.remote_items: dict[str, list[RemoteItem]] = {}
        self.pools: list[SparkPoolInfo] | None = None
        self.connections: dict[str, str] | None = None  # display name (case folded) -> id
        self.asked = asked
        self.final = final
        self.sleep = sleep

    def pool_id(self, rule: SparkPool, target: SparkPoolTarget) -> str:
        if self.gateway is None or not self.workspace_id:
            return f"<id of {target.type} pool '{target.name}' after deployment>"
        if self.pools is None:
            self.pools = self.gateway.list_spark_pools(self.workspace_id)
        # Exact name and type, as fabric-cicd matches them.
        for pool in self.pools:
            if pool.name == target.name and pool.type == target.type:
                return pool.id
        available = ", ".join(f"'{p.name}' ({p.type})" for p in self.pools) or "none"
        raise InvalidConfiguration(
            f"no {target.type} Spark pool named '{target.name}' in workspace '{self.workspace_name}' "
            f"(its pools: {available})"
        )

    def resolve(self, value: str) -> str:
        secret = secret_name(value)
        if secret is not None:  # read now, kept by no cache here: the store's cache holds it for its TTL
            return self.inputs.rules.secret(secret)
        if value not in self.parsed:
            self.parsed[value] = self._parse(value)
        parsed = self.parsed[value]
        if self.asked is not None and parsed.names_target_item and parsed.item is not None:
            self.asked.add(parsed.item)
        if value not in self.cache:
            self.cache[value] = self._resolve(parsed)
        return self.cache[value]

    def _fail(self, message: str) -> InvalidConfiguration:
        return InvalidConfiguration(message, subject=self.inputs.rules.source, field="replace_value")

    def _parse(self, value: str) -> DynamicValue:
        try:
            return parse_dynamic_value(value)
        except InvalidConfiguration as e:
            raise self._fail(e.message) from None

    def _resolve(self, value: DynamicValue) -> str:
        if value.connection is not None:
            return self._connection_id(value)
        if value.item is None and value.workspace is None:
            if value.attribute == "id":
                return self.workspace_id or "<id of the workspace after deployment>"
            name = self.workspace_name
            return urllib.parse.quote(name, safe="") if value.attribute == "name_encoded" else name
        if value.workspace is None:
            return self._item_value(value)
        return self._other_workspace_value(value)

    def _connection_id(self, value: DynamicValue) -> str:
        """A declared connection's id: listed once; not created yet (a plan), a placeholder."""
        name = value.connection or ""
        declared = [c.name for c in self.inputs.environment.connections]
        if name.casefold() not in (d.casefold() for d in declared):
            known = ", ".join(declared) or "none"
            raise self._fail(
                f"'{value.text}' names connection '{name}', which environment '{self.inputs.environment.name}' "
                f"does not declare in its connections (declared: {known})"
            )
        if self.gateway is not None and self.connections is None:
            self.connections = {c.display_name.casefold(): c.id for c in self.gateway.list_connections()}
        found = (self.connections or {}).get(name.casefold())
        if found is not None:
            return found
        if self.final:
            raise self._fail(f"'{value.text}': connection '{name}' does not exist in Fabric")
        return f"<id of connection {name} after deployment>"

    def _item_value(self, value: DynamicValue) -> str:
        key, attribute = value.item, value.attribute
        assert key is not None
        if key not in self.inputs.source and key not in self.ids_by_key:
            raise self._fail(f"'{value.text}' names {key}, which is neither in the source nor in the workspace")
        item_id = self.ids_by_key.get(key)
        if attribute == "id" and item_id is not None:
            return item_id
        if item_id is None or self.gateway is None or not self.workspace_id:
            if self.final:  # never write a placeholder: the item it names should exist by now
                raise self._fail(f"'{value.text}': {key} is not in the workspace")
            what = _ATTRIBUTE_NAMES.get(attribute, "id")
            return f"<{what} of {key} after deployment>"
        return self._provisioned(value, self.workspace_id, key, item_id)

    def _provisioned(self, value: DynamicValue, workspace_id: str, key: ItemKey, item_id: str) -> str:
        """An attribute Fabric fills in a while after creating the item; waited for when `final`."""
        assert self.gateway is not None
        gateway, attribute = self.gateway, value.attribute
        waited = 0.0
        while (found := gateway.get_item_attribute(workspace_id, key.type, item_id, attribute)) is None:
            if not self.final or waited >= PROVISIONING_WAIT_S:
                still = f" after {waited:g}s" if waited else ""
                what = _ATTRIBUTE_NAMES[value.attribute]
                raise self._fail(
                    f"'{value.text}': the {what} of {key} is still being provisioned{still}; retry shortly"
                )
            pause = min(PROVISIONING_POLL_S, PROVISIONING_WAIT_S - waited)
            self.sleep(pause)
            waited += pause
        return found

    def _other_workspace_value(self, value: DynamicValue) -> str:
        name = value.workspace
        assert name is not None
        if self.gateway is None:
            return f"<id of {'an item of ' if value.item else ''}workspace '{name}'>"
        workspace = self.gateway.find_workspace(name)
        if workspace is None:
            raise self._fail(f"'{value.text}': no workspace named '{name}' is visible to fabctl")
        if value.item is None:
            return workspace.id
        if workspace.id not in self.remote_items:
            self.remote_items[workspace.id] = self.gateway.list_items(workspace.id)
        item = next((i for i in self.remote_items[workspace.id] if i.key == value.item), None)
        if item is None:
            raise self._fail(f"'{value.text}': workspace '{name}' has no {value.item}")
        if value.attribute == "id":
            return item.id
        return self._provisioned(value, workspace.id, value.item, item.id)
