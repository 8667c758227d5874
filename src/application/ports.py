"""Every capability the application needs from the outside world, as a Protocol.

Adapters implement these structurally; nothing here imports an adapter, an SDK or a framework.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

from fabctl.domain.definition import ItemDefinition
from fabctl.domain.environments import ReleaseConfig
from fabctl.domain.events import Event
from fabctl.domain.items import ItemKey
from fabctl.domain.parameters import ParameterRules
from fabctl.domain.plan import DeploymentPlan
from fabctl.domain.promotion import PromotionRequest
from fabctl.domain.shortcuts import Shortcut
from fabctl.domain.smoke_tests import JobRun, RefreshRun
from fabctl.domain.transaction import UNFINISHED_STATES, Transaction, TransactionState
from fabctl.domain.workspace import Workspace

if TYPE_CHECKING:
    from fabctl.application.deployment.results import ItemOutcome

# --- Fabric -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkspaceInfo:
    id: str
    name: str
    capacity_id: str = ""


@dataclass(frozen=True)
class RemoteItem:
    id: str
    type: str
    name: str
    description: str = ""
    folder_id: str | None = None

    @property
    def key(self) -> ItemKey:
        return ItemKey(self.type, self.name)


@dataclass(frozen=True)
class RemoteFolder:
    id: str
    name: str
    parent_id: str | None = None


@dataclass(frozen=True)
class SparkPoolInfo:
    """A Spark pool a workspace's Environments may use; `type` is "Workspace" or "Capacity"."""

    id: str
    name: str
    type: str


@dataclass(frozen=True)
class ConnectionInfo:
    """A data connection of the tenant (`GET /v1/connections`): what a semantic model can be bound to."""

    id: str
    display_name: str
    connectivity_type: str  # e.g. "ShareableCloud", "OnPremisesGateway"
    connection_type: str  # connectionDetails.type, e.g. "SQL"
    path: str  # connectionDetails.path, e.g. "server.database.windows.net;sales"
    # The settings fabctl compares with a declared connection (Fabric never returns credentials).
    privacy_level: str = ""
    credential_type: str = ""  # credentialDetails.credentialType
    connection_encryption: str = ""
    skip_test_connection: bool = False


@dataclass(frozen=True)
class ConnectionWrite:
    """A shareable cloud connection to create (`POST /v1/connections`) or update (`PATCH`, which
    ignores `connection_type` and `parameters`: Fabric cannot change them). `credentials` holds the
    secret values themselves, in Fabric's field names: never stored, logged or shown (`repr` hides them)."""

    display_name: str
    connection_type: str
    parameters: tuple[tuple[str, str], ...]
    privacy_level: str
    connection_encryption: str
    skip_test_connection: bool
    credential_type: str
    credentials: Mapping[str, str] = field(repr=False)


class FabricGateway(Protocol):
    """The Fabric REST API as fabctl uses it. Failures raise `GatewayError` subclasses."""

    @property
    def base_url(self) -> str:
        """The REST base URL it talks to; "" for the in-process local Fabric (journaled for recovery)."""
        ...

    def find_workspace(self, name: str) -> WorkspaceInfo | None: ...
    def get_workspace(self, workspace_id: str) -> WorkspaceInfo: ...
    def create_workspace(self, name: str, capacity_id: str = "") -> WorkspaceInfo: ...
    def list_items(self, workspace_id: str) -> list[RemoteItem]: ...
    def get_definition(self, workspace_id: str, item_id: str) -> ItemDefinition: ...
    def create_item(
        self,
        workspace_id: str,
        item_type: str,
        name: str,
        *,
        description: str = "",
        definition: ItemDefinition | None = None,
        folder_id: str | None = None,
        creation_payload: dict[str, object] | None = None,
    ) -> RemoteItem: ...
    def update_definition(self, workspace_id: str, item_id: str, definition: ItemDefinition) -> None: ...
    def update_item(self, workspace_id: str, item_id: str, *, name: str, description: str) -> None: ...
    def delete_item(self, workspace_id: str, item_id: str) -> None: ...
    def list_folders(self, workspace_id: str) -> list[RemoteFolder]: ...
    def create_folder(self, workspace_id: str, name: str, parent_id: str | None = None) -> RemoteFolder: ...
    def delete_folder(self, workspace_id: str, folder_id: str) -> None: ...
    def move_item(self, workspace_id: str, item_id: str, folder_id: str | None = None) -> RemoteItem:
        """Move an item into `folder_id`, or to the workspace root when it is None."""
        ...

    def get_item_attribute(self, workspace_id: str, item_type: str, item_id: str, attribute: str) -> str | None:
        """An item's `sqlendpoint`, `sqlendpointid` or `queryserviceuri` (see `domain/dynamic_values.py`),
        read from its type's typed route; None while Fabric is still provisioning it."""
        ...

    def get_active_value_set(self, workspace_id: str, library_id: str) -> str:
        """A Variable Library's active value set (`GET .../variableLibraries/{id}`, `properties.activeValueSetName`)."""
        ...

    def set_active_value_set(self, workspace_id: str, library_id: str, name: str) -> None:
        """Activate the library's value set `name` (`PATCH .../VariableLibraries/{id}`)."""
        ...

    def list_spark_pools(self, workspace_id: str) -> list[SparkPoolInfo]:
        """The Spark pools the workspace can use (`GET /v1/workspaces/{ws}/spark/pools`)."""
        ...

    def list_connections(self) -> list[ConnectionInfo]:
        """Every connection the caller can see (`GET /v1/connections`)."""
        ...

    def create_connection(self, connection: ConnectionWrite) -> ConnectionInfo:
        """Create a shareable cloud connection (`POST /v1/connections`); what Fabric lists of it."""
        ...

    def update_connection(self, connection_id: str, connection: ConnectionWrite) -> ConnectionInfo:
        """Set the connection's privacy level, encryption and credentials (`PATCH /v1/connections/{id}`)."""
        ...

    def delete_connection(self, connection_id: str) -> None:
        """Delete the connection (`DELETE /v1/connections/{id}`); one already gone raises `ItemNotFound`."""
        ...

    def bind_semantic_model_connection(self, workspace_id: str, model_id: str, connection: ConnectionInfo) -> None:
        """Bind the model's data source described by `connection`'s details to that connection."""
        ...

    def list_item_connections(self, workspace_id: str, item_id: str) -> list[ConnectionInfo]:
        """The connections the item's data sources are bound to (`GET .../items/{id}/connections`);
        a data source bound to no shareable connection has an empty id."""
        ...

    def list_shortcuts(self, workspace_id: str, item_id: str) -> list[Shortcut]:
        """The lakehouse's OneLake shortcuts (`GET .../items/{id}/shortcuts`, every page)."""
        ...

    def put_shortcut(self, workspace_id: str, item_id: str, shortcut: Shortcut) -> Shortcut:
        """Create the shortcut, or overwrite the one at its path and name (`shortcutConflictPolicy=
        CreateOrOverwrite`); what the service stored. A target it cannot reach is a `GatewayError` (400)."""
        ...

    def delete_shortcut(self, workspace_id: str, item_id: str, path: str, name: str) -> None:
        """Delete the shortcut `name` at `path`; one already gone counts as deleted."""

    def publish_environment(self, workspace_id: str, environment_id: str) -> None:
        """Publish an Environment's staged settings and libraries (`.../staging/publish`) and wait until
        the publish has ended; a publish that fails raises `GatewayError`, leaving the published
        definition as it was."""
        ...

    def get_environment_publish_state(self, workspace_id: str, environment_id: str) -> str:
        """The state of an Environment's latest publish (`properties.publishDetails.state`: "Running",
        "Success", "Failed", "Cancelled"), or "" when the service reports none."""
        ...

    def run_item_job(self, workspace_id: str, item_id: str, job_type: str, timeout_s: float) -> JobRun:
        """Run the item's on-demand job (`jobType` RunNotebook, Pipeline, ...) through Fabric's job
        scheduler and wait, at most `timeout_s` seconds, for its instance to end. A job that ends
        Failed is a result, not an error; a refused start (404, 400) raises `GatewayError`."""
        ...

    def refresh_semantic_model(self, workspace_id: str, model_id: str, timeout_s: float) -> RefreshRun:
        """Refresh the semantic model (Power BI REST API, `.../datasets/{id}/refreshes`) and wait, at most
        `timeout_s` seconds, for the refresh to end. A refresh that ends Failed is a result, not an error;
        a refused start (404, 400) raises `GatewayError`."""
        ...


# --- Source -----------------------------------------------------------------------------------


class SourceReader(Protocol):
    """Reads what users keep in git. Malformed input raises a `DomainError` naming file and field."""

    def read_workspace(self, source_dir: str) -> Workspace:
        """The items under `source_dir` as they are now, in a workspace of the caller's own (each read is anew).

        Each item has its type, name, logical id, description, folder ("/"-separated, "" at the root),
        `source_path` (its folder relative to `source_dir`) and definition parts (paths relative to the item,
        bytes as stored; `.platform` is metadata, not a part). A `source_dir` that does not exist raises
        `InvalidSource` whose subject is `source_dir` as given.
        """
        ...

    def read_release_config(self, path: str) -> ReleaseConfig:
        """The environments of the configuration file at `path`, in promotion order; its `source` is `path`.

        A file that does not exist raises `InvalidConfiguration` whose subject is `path`.
        """
        ...

    def read_parameters(self, path: str, *, required: bool = False) -> ParameterRules:
        """The parameter file at `path`. When it does not exist: no rules, or, if it is `required`
        (the user named it), `InvalidConfiguration` naming the path."""
        ...


# --- State ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeployedItem:
    """What fabctl deployed into a workspace: it owns these items, and knows their content."""

    key: ItemKey
    item_id: str
    logical_id: str
    source_hash: str  # of the source definition, before parameterization
    deployed_hash: str  # of the definition sent to the workspace
    transaction_id: str


@dataclass(frozen=True)
class OutboxMessage:
    id: str
    type: str
    payload: dict[str, Any]
    created_at: datetime
    published_at: datetime | None = None
    # Recorded, never to be sent: its deployment ran with the `publish_events` flag off. Not pending either.
    withheld: bool = False


class PromotionRepository(Protocol):
    def add(self, request: PromotionRequest) -> None: ...
    def get(self, request_id: str) -> PromotionRequest | None: ...
    def list(self) -> list[PromotionRequest]: ...


@dataclass(frozen=True)
class JournalSummary:
    """A transaction without its steps: where it stands and where it came from, cheap to list."""

    id: str
    state: TransactionState
    source_dir: str

    @property
    def unfinished(self) -> bool:
        return self.state in UNFINISHED_STATES


class TransactionRepository(Protocol):
    def add(self, transaction: Transaction) -> None: ...
    def get(self, transaction_id: str) -> Transaction | None: ...
    def summaries(self, workspace_id: str) -> list[JournalSummary]:
        """The workspace's transactions, oldest first, without reading their steps."""
        ...

    def list(self, workspace_id: str | None = None) -> list[Transaction]: ...


class DeploymentRecords(Protocol):
    def for_workspace(self, workspace_id: str) -> dict[ItemKey, DeployedItem]: ...
    def put(self, workspace_id: str, item: DeployedItem) -> None: ...
    def remove(self, workspace_id: str, key: ItemKey) -> None: ...


class Outbox(Protocol):
    def add(self, message: OutboxMessage) -> None: ...
    def pending(self) -> list[OutboxMessage]:
        """The messages not yet published, in outbox order; a withheld one never is."""
        ...

    def mark_published(self, message_id: str, at: datetime) -> None: ...
    def list(self, limit: int = 100) -> list[OutboxMessage]: ...


class Inbox(Protocol):
    """Ids of messages already handled, so a redelivered message changes nothing."""

    def contains(self, message_id: str) -> bool: ...
    def add(self, message_id: str) -> None: ...


@dataclass(frozen=True)
class ProcessRef:
    """A process on a host. Its start time, as the OS reports it, tells it apart from a later
    process that was given the same pid once it had ended (pids are reused)."""

    host: str
    pid: int
    started: float  # seconds since the epoch


@dataclass(frozen=True)
class Lease:
    """Who may write to a workspace, until when (a crashed holder's lease simply runs out)."""

    workspace_id: str
    holder: str  # the transaction id
    until: datetime
    process: ProcessRef | None = None  # where the holder runs; None for a lease written before it was recorded
    user: str = ""  # who runs the holder
    since: datetime | None = None  # when the holder took the lease

    def describe(self) -> str:
        """'transaction T (user U, pid P on host H, since S)': enough to find the holder."""
        facts = [f"user {self.user}"] if self.user else []
        if self.process is not None:
            facts.append(f"pid {self.process.pid} on host {self.process.host}")
        if self.since is not None:
            facts.append(f"since {self.since.isoformat(timespec='seconds')}")
        return f"transaction {self.holder}" + (f" ({', '.join(facts)})" if facts else "")


class Leases(Protocol):
    """One lease per workspace, so two deployments to it never interleave. Expiry uses the clock."""

    def acquire(
        self, workspace_id: str, holder: str, until: datetime, *, process: ProcessRef | None = None, user: str = ""
    ) -> bool:
        """Take the lease (free, expired, or already `holder`'s) until `until`; False if another holds it.

        `process` and `user` say where the holder runs; when `holder` renews its own lease without
        them, the ones it gave before are kept, and so is `since`, the time it first took the lease.
        """
        ...

    def release(self, workspace_id: str, holder: str) -> None:
        """Give the lease up if `holder` has it; otherwise change nothing."""
        ...

    def get(self, workspace_id: str) -> Lease | None:
        """The lease on the workspace, or None when there is none or it has expired."""
        ...


class UnitOfWork(Protocol):
    """One atomic change of state. Entering starts it; leaving without `commit()` rolls it back.

    Committing also stores, in the same transaction, the events the touched aggregates
    recorded (the outbox), so state and outgoing events never disagree.
    """

    promotions: PromotionRepository
    transactions: TransactionRepository
    deployments: DeploymentRecords
    outbox: Outbox
    inbox: Inbox
    leases: Leases
    lease_term: timedelta  # how long a workspace lease lasts unless its holder renews it

    def __enter__(self) -> Self: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def collect_new_events(self) -> Iterator[Event]: ...


# A deploy renews its lease with every journal save; a holder that died blocks the workspace this long.
DEFAULT_LEASE_TERM = timedelta(minutes=15)

T = TypeVar("T")


class ConflictRetry(Protocol):
    """How the message bus runs a command again when its unit of work met a `ConcurrencyConflict`."""

    def __call__(self, attempt: Callable[[], T], /) -> T:
        """The result of `attempt()`, called again (a bounded number of times, after a short wait) while
        it raises `ConcurrencyConflict`; the last conflict propagates."""
        ...


# --- Outside services -------------------------------------------------------------------------


class EventPublisher(Protocol):
    """Delivers committed events to other systems (Service Bus, or in memory).

    Delivery is at least once: the bus publishes a message again when it could not record it as published
    (a crash, a failed commit), so subscribers drop a message whose `id` they have seen. Messages of one
    aggregate (one promotion, one workspace) arrive in the order they were handed over; across aggregates
    no order is promised.
    """

    def publish(self, message: OutboxMessage) -> None:
        """Hand `message` over for delivery: subscribers receive its id, type, `created_at` (the same
        instant) and payload unchanged (the payload as JSON carries it: a tuple may arrive as a list). A
        failure raises `EventsNotPublished`, and the message counts as not published."""
        ...

    def publish_all(self, messages: Sequence[OutboxMessage]) -> None:
        """Hand `messages` over in their order (in as few sends as the service allows). A failure raises
        `EventsNotPublished` whose `published` counts the first messages that were accepted; none after
        them was, so a relay that stops there keeps each aggregate's order."""
        ...


class Directory(Protocol):
    """Who belongs to which group, by the names `principals.yaml` gives groups: Microsoft Graph, or the members
    the file lists by object id (the fallback when fabctl may not read the directory)."""

    def is_member(self, group: str, *, actor: str, object_id: str = "") -> bool:
        """Whether the principal (by `object_id` when known, else `actor`: a UPN or an app id) belongs to
        `group`, directly or through nested groups. A group the file does not name raises `NotFound`
        (domain); a directory that cannot tell raises `DirectoryUnavailable`, naming what it lacks."""
        ...


class SecretStore(Protocol):
    """Secrets by name (Key Vault, or in memory).

    Names are 1 to 127 letters, digits and dashes (Key Vault's rule). Whether case tells two names apart is
    the store's own (Key Vault's names ignore it), so callers keep to one spelling.
    """

    def get_secret(self, name: str) -> str:
        """The current value (the latest version) of secret `name`, exactly as stored.

        A secret that does not exist raises `KeyError` naming it, and no value of any secret.
        """
        ...


class Telemetry(Protocol):
    """Traces and metrics (OpenTelemetry, or in memory). Deployment workers call it from many threads at
    once: every span and every count is kept. A span opened inside another (in this thread, or in a thread
    started with a copy of this one's `contextvars`) is its child."""

    def span(self, name: str, **attributes: str | int) -> AbstractContextManager[dict[str, str | int]]:
        """A span named `name` with `attributes` around the `with` block. An exception leaving the block
        marks the span failed, naming the exception's type, and goes on unchanged: telemetry never
        swallows or replaces an error. The block gets the span's attributes: what it adds to them (an
        answer's status code) is on the span when it ends. A span with `http.request.method` is a call to
        another service (a client span); one with `messaging.operation.type` "process" handles a message
        (a consumer span)."""
        ...

    def record(self, name: str, value: float, **attributes: str | int) -> None:
        """One measurement of the histogram `name` (a duration, seconds waited), qualified by `attributes`."""
        ...

    def carrier(self) -> dict[str, str]:
        """The current trace as W3C headers (`traceparent`), to put on a message; empty outside any trace."""
        ...

    def continued(self, carrier: Mapping[str, str]) -> AbstractContextManager[None]:
        """Inside the block, spans continue the trace `carrier` holds (a message's `traceparent`); a carrier
        without a valid one starts none and changes nothing."""
        ...

    def count(self, name: str, value: int = 1, **attributes: str | int) -> None:
        """Add `value` to the counter `name`; `attributes` qualify the data point, and a counter's total
        is the sum over all of them."""
        ...


class DeploymentProgress(Protocol):
    """Hears about a deployment while it runs: a terminal display, CI log lines, or nothing."""

    def started(self, plan: DeploymentPlan) -> None: ...
    def item_finished(self, outcome: ItemOutcome) -> None:
        """Called once per outcome, one call at a time, in the order items finish."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class Machine(Protocol):
    """Facts of the machine fabctl runs on, which the application does not read itself."""

    def this_process(self) -> ProcessRef:
        """The process fabctl runs in, as a lease records its holder."""
        ...

    def is_running(self, process: ProcessRef) -> bool:
        """Whether that very process still runs on this host (False for another that reuses its pid)."""
        ...

    def real_path(self, path: str) -> str:
        """The folder `path` names, spelled one way: absolute, normalized, symlinks resolved."""
        ...


class StopRequests(Protocol):
    """Whether whoever runs fabctl asked it to stop (Ctrl-C, SIGTERM). A deployment looks before
    every new write: asked, it starts none, lets the writes in flight finish, and winds down."""

    def requested(self) -> str:
        """The empty string while nobody asked; else what asked, e.g. "SIGINT"."""
        ...

    def transaction_started(self, transaction_id: str) -> None:
        """`transaction_id` writes from now on: a request to stop now concerns it (until it ends)."""
        ...

    def transaction_ended(self) -> None:
        """The transaction is finished (committed, failed or rolled back): nothing is left to settle."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> str: ...
