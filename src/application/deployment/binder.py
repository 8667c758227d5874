"""Builds the binding context: real ids of the target, and the resolver of dynamic values.

Dynamic values (fabric-cicd's parameter.yml): `$workspace.$id`, `$workspace.$name`,
`$items.<Type>.<Name>.$id`, `$items.Lakehouse.<Name>.$sqlendpoint` (asks the gateway),
`$workspace.<name>` / `$workspace.<name>.$id` (another workspace's id) and
`$workspace.<name>.$items.<Type>.<Name>.$id` (an item of another workspace). Without a gateway, or
while an item is not yet created (a plan), gateway-backed values are placeholders. Unknown items or
workspaces raise `InvalidConfiguration` before anything is written. `$ENV:NAME` never reaches here:
the source reader substitutes it when it reads the file.

spark_pool targets are looked up by name and type in the target workspace's pools (one
`list_spark_pools` per context, as fabric-cicd lists them once); a pool that is not there is an
`InvalidConfiguration` naming the rule. While the workspace does not exist yet (a plan), the id is a
placeholder, like `$sqlendpoint`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping

from fabctl.application.deployment.inputs import DeploymentInputs
from fabctl.application.ports import FabricGateway, RemoteItem, SparkPoolInfo
from fabctl.domain.binding import BindingContext
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.items import ItemKey, LogicalId
from fabctl.domain.parameters import SparkPool, SparkPoolTarget
from fabctl.domain.workspace import Workspace

_SUPPORTED = (
    "$workspace.$id, $workspace.$name, $items.<Type>.<Name>.$id, $items.<Type>.<Name>.$sqlendpoint, "
    "$workspace.<name>.$id, $workspace.<name>.$items.<Type>.<Name>.$id"
)
_CROSS = ".$items."
_LOGICAL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Fabric provisions a new lakehouse's SQL endpoint a while after creating it (seconds to minutes).
SQL_ENDPOINT_WAIT_S = 300.0
SQL_ENDPOINT_POLL_S = 2.0


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
    known yet is an error instead of a placeholder, and a SQL endpoint still being provisioned is
    waited for (up to `SQL_ENDPOINT_WAIT_S`).
    """
    ids_by_logical_id = _IdsByLogicalId(inputs.source, ids_by_key)
    resolver = _Resolver(inputs, workspace_id, workspace_name, ids_by_key, gateway, asked, final, sleep)
    return BindingContext(
        environment=inputs.environment.name,
        workspace_id=workspace_id,
        workspace_name=workspace_name,
        ids_by_logical_id=ids_by_logical_id,
        ids_by_key=ids_by_key,
        resolve=resolver.resolve,
        resolve_pool=resolver.pool_id,
    )


class _IdsByLogicalId(Mapping[str, str]):
    """Lower-case logical id -> the target's id, looked up through the source, never copied: every
    item in flight binds with one, and a copy per item would grow with the workspace."""

    def __init__(self, source: Workspace, ids_by_key: Mapping[ItemKey, str]) -> None:
        self._source = source
        self._ids_by_key = ids_by_key

    def __getitem__(self, logical_id: str) -> str:
        item = self._source.by_logical_id(LogicalId(logical_id)) if _LOGICAL_ID.fullmatch(logical_id) else None
        if item is None or item.key not in self._ids_by_key:
            raise KeyError(logical_id)
        return self._ids_by_key[item.key]

    def __iter__(self) -> Iterator[str]:
        for item in self._source:
            if item.logical_id is not None and item.key in self._ids_by_key:
                yield item.logical_id.value

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
        self.remote_items: dict[str, list[RemoteItem]] = {}
        self.pools: list[SparkPoolInfo] | None = None
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
        if self.asked is not None and value.startswith("$items."):
            key, _ = _split_item(value[len("$items.") :])
            if key is not None:
                self.asked.add(key)
        if value not in self.cache:
            self.cache[value] = self._resolve(value)
        return self.cache[value]

    def _fail(self, message: str) -> InvalidConfiguration:
        return InvalidConfiguration(message, subject=self.inputs.rules.source, field="replace_value")

    def _resolve(self, value: str) -> str:
        if value == "$workspace.$id":
            return self.workspace_id or "<id of the workspace after deployment>"
        if value == "$workspace.$name":
            return self.workspace_name
        if value.startswith("$items."):
            return self._item_value(value)
        if value.startswith("$workspace.") and not value[len("$workspace.") :].startswith("$"):
            return self._other_workspace_value(value)
        raise self._fail(f"unknown dynamic value '{value}' (supported: {_SUPPORTED})")

    def _item_value(self, value: str) -> str:
        key, attribute = _split_item(value[len("$items.") :])
        if key is None or attribute not in ("$id", "$sqlendpoint"):
            raise self._fail(f"'{value}' is not $items.<Type>.<Name>.$id or .$sqlendpoint")
        if key not in self.inputs.source and key not in self.ids_by_key:
            raise self._fail(f"'{value}' names {key}, which is neither in the source nor in the workspace")
        item_id = self.ids_by_key.get(key)
        if key.type != "Lakehouse" and attribute == "$sqlendpoint":
            raise self._fail(f"'{value}': $sqlendpoint exists only for a Lakehouse")
        if attribute == "$id" and item_id is not None:
            return item_id
        if item_id is None or self.gateway is None or not self.workspace_id:
            if self.final:  # never write a placeholder: the item it names should exist by now
                raise self._fail(f"'{value}': {key} is not in the workspace")
            what = "id" if attribute == "$id" else "SQL endpoint"
            return f"<{what} of {key} after deployment>"
        return self._sql_endpoint(value, key, item_id)

    def _sql_endpoint(self, value: str, key: ItemKey, lakehouse_id: str) -> str:
        """The endpoint's connection string; a new lakehouse's is provisioned after it is created."""
        assert self.gateway is not None
        waited = 0.0
        while (endpoint := self.gateway.get_sql_endpoint(self.workspace_id, lakehouse_id)) is None:
            if not self.final or waited >= SQL_ENDPOINT_WAIT_S:
                still = f" after {waited:g}s" if waited else ""
                raise self._fail(
                    f"'{value}': the SQL endpoint of {key} is still being provisioned{still}; retry shortly"
                )
            pause = min(SQL_ENDPOINT_POLL_S, SQL_ENDPOINT_WAIT_S - waited)
            self.sleep(pause)
            waited += pause
        return endpoint

    def _other_workspace_value(self, value: str) -> str:
        body = value[len("$workspace.") :]
        name, cross, item_part = body.partition(_CROSS)
        if not cross:
            name = name.removesuffix(".$id")
        if not name.strip():
            raise self._fail(f"'{value}' does not name a workspace")
        if self.gateway is None:
            return f"<id of {'an item of ' if cross else ''}workspace '{name}'>"
        workspace = self.gateway.find_workspace(name)
        if workspace is None:
            raise self._fail(f"'{value}': no workspace named '{name}' is visible to fabctl")
        if not cross:
            return workspace.id
        key, attribute = _split_item(item_part)
        if key is None or attribute != "$id":
            raise self._fail(f"'{value}' is not $workspace.<name>.$items.<Type>.<Name>.$id")
        if workspace.id not in self.remote_items:
            self.remote_items[workspace.id] = self.gateway.list_items(workspace.id)
        for item in self.remote_items[workspace.id]:
            if item.key == key:
                return item.id
        raise self._fail(f"'{value}': workspace '{name}' has no {key}")


def _split_item(body: str) -> tuple[ItemKey | None, str]:
    # "<Type>.<Name>.$attr": the name itself may contain dots, the type may not.
    item_type, _, rest = body.partition(".")
    name, _, attribute = rest.rpartition(".")
    if not item_type or not name:
        return None, attribute
    return ItemKey(item_type, name), attribute
