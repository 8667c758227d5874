"""The composition root: the one place that reads settings, picks adapters and wires handlers."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from dependency_injector import containers, providers

from fabctl.adapters.directory.principals_file import PrincipalsFileDirectory
from fabctl.adapters.events.memory import InMemoryEventPublisher
from fabctl.adapters.fabric.local_gateway import LocalFabricGateway
from fabctl.adapters.fabric.tenant import FabricTenant
from fabctl.adapters.secrets.memory import InMemorySecretStore
from fabctl.adapters.source.git_folder import FabricGitFolderReader
from fabctl.adapters.state.conflict_retry import RetryOnConflict
from fabctl.adapters.state.memory import InMemoryUnitOfWork
from fabctl.adapters.state.sqlite import SqliteUnitOfWork
from fabctl.adapters.system.clock import SystemClock
from fabctl.adapters.system.ids import UuidIdGenerator
from fabctl.adapters.system.machine import LocalMachine
from fabctl.adapters.system.stop import StopSwitch
from fabctl.adapters.telemetry.memory import InMemoryTelemetry
from fabctl.adapters.telemetry.progress import RecordingProgress
from fabctl.application.handlers import COMMAND_HANDLERS, EVENT_HANDLERS
from fabctl.application.handlers.promotion import DirectoryFor
from fabctl.application.messagebus import MessageBus
from fabctl.application.ports import (
    Clock,
    DeploymentProgress,
    EventPublisher,
    FabricGateway,
    IdGenerator,
    Machine,
    SecretStore,
    SourceReader,
    StopRequests,
    Telemetry,
    UnitOfWork,
)
from fabctl.entrypoints.settings import Settings, load_settings

if TYPE_CHECKING:
    from azure.servicebus import ServiceBusClient


def _in_state_dir(settings: Settings, name: str) -> str:
    return str(settings.state_dir / name)


def _http_gateway(settings: Settings) -> FabricGateway:
    # Imported here: httpx, tenacity and azure-identity cost start-up time the local default never needs.
    from fabctl.adapters.fabric.http.gateway import HttpxFabricGateway

    return HttpxFabricGateway(
        settings.fabric_url, credential=_credential(settings.fabric_url), trace_path=settings.fabric_trace
    )


def _credential(url: str) -> object | None:
    """No credential for a loopback emulator; otherwise azure-identity's default chain.

    The one choice of identity for every Azure service fabctl calls: Fabric, the state store's account, and
    Service Bus.
    """
    from urllib.parse import urlsplit

    if urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1"):
        return None
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


def _azure_unit_of_work(settings: Settings, clock: Clock, ids: IdGenerator) -> UnitOfWork:
    # Imported here: the Azure SDKs cost start-up time, and only this store needs them. The clients are
    # checked (an identity that may only read is refused) before the unit of work is built.
    from fabctl.entrypoints.state_storage import open_state_storage

    tables, blobs = open_state_storage(settings, _credential)
    from fabctl.adapters.state.azure_storage import AzureStorageUnitOfWork

    # cast: the port's repositories are plain attributes, which mypy holds invariant (AzureInbox is not Inbox).
    return cast(
        UnitOfWork,
        AzureStorageUnitOfWork(tables=tables, blobs=blobs, clock=clock, ids=ids, lease_term=_lease_term(settings)),
    )


def _servicebus_publisher(settings: Settings) -> EventPublisher:
    # Imported here: azure-servicebus costs start-up time the in-memory default never needs.
    from fabctl.adapters.servicebus.publisher import ServiceBusEventPublisher

    publisher: EventPublisher = ServiceBusEventPublisher(servicebus_client_opener(settings), settings.events_topic)
    return publisher


def servicebus_client_opener(settings: Settings) -> Callable[[], ServiceBusClient]:
    """What opens a Service Bus client as the settings say, for the publisher and the worker alike; a malformed
    connection string is refused now (`InvalidConfiguration`), the client is opened when called."""
    from azure.core.credentials import TokenCredential

    from fabctl.adapters.servicebus.client import servicebus_client
    from fabctl.entrypoints.settings import servicebus_connection_string

    secret, host = servicebus_connection_string(settings), settings.servicebus_namespace
    if secret:
        _check_servicebus_connection_string(secret)
    # The same identity as for Fabric and the state store (a namespace is never a loopback host, so it is
    # azure-identity's chain).
    credential = None if secret else cast("TokenCredential", _credential(f"https://{host}"))
    return lambda: servicebus_client(connection_string=secret, namespace_host=host, credential=credential)


def _check_servicebus_connection_string(secret: str) -> None:
    """A malformed connection string is the user's to fix: refused now, before any command changes anything,
    not on the first publish after a deployment. The SDK's reason never includes the string."""
    from azure.servicebus import parse_connection_string

    from fabctl.domain.errors import InvalidConfiguration
    from fabctl.entrypoints.settings import SUBJECT, setting_origin

    try:
        parse_connection_string(secret)
    except ValueError as e:
        raise InvalidConfiguration(
            f"the Service Bus connection string is not usable: {e} ({setting_origin('servicebus_connection_string')}; "
            "give Endpoint=sb://NAMESPACE/;SharedAccessKeyName=...;SharedAccessKey=...)",
            subject=SUBJECT,
            field="servicebus_connection_string",
        ) from None


def _lease_term(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.lease_seconds)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UuidIdGenerator)
    uow = providers.Selector(
        settings.provided.state_store,
        sqlite=providers.Singleton(
            SqliteUnitOfWork,
            path=providers.Callable(_in_state_dir, settings, "state.db"),
            clock=clock,
            ids=ids,
            lease_term=providers.Callable(_lease_term, settings),
        ),
        memory=providers.Singleton(
            InMemoryUnitOfWork, clock=clock, ids=ids, lease_term=providers.Callable(_lease_term, settings)
        ),
        azure=providers.Singleton(_azure_unit_of_work, settings, clock=clock, ids=ids),
    )
    gateway = providers.Selector(
        settings.provided.fabric,
        local=providers.Singleton(
            LocalFabricGateway,
            tenant=providers.Singleton(FabricTenant.at, providers.Callable(_in_state_dir, settings, "local-fabric.db")),
        ),
        memory=providers.Singleton(LocalFabricGateway, tenant=providers.Singleton(FabricTenant.in_memory)),
        http=providers.Singleton(_http_gateway, settings),
    )
    reader = providers.Singleton(FabricGitFolderReader)
    publisher = providers.Selector(
        settings.provided.event_bus,
        memory=providers.Singleton(InMemoryEventPublisher),
        servicebus=providers.Singleton(_servicebus_publisher, settings),
    )
    secrets = providers.Singleton(InMemorySecretStore)
    telemetry = providers.Singleton(InMemoryTelemetry)
    progress = providers.Singleton(RecordingProgress)
    machine = providers.Singleton(LocalMachine)
    stop = providers.Singleton(StopSwitch)  # the CLI lets the signals flip it
    # principals.yaml next to the workspace configuration (the Graph adapter may replace it)
    directory_for = providers.Object(PrincipalsFileDirectory.next_to)


@dataclass
class App:
    """What entrypoints use: the bus for commands, the adapters for queries."""

    settings: Settings
    bus: MessageBus
    uow: UnitOfWork
    gateway: FabricGateway
    reader: SourceReader
    publisher: EventPublisher
    secrets: SecretStore
    telemetry: Telemetry
    progress: DeploymentProgress
    clock: Clock
    ids: IdGenerator
    machine: Machine
    stop: StopRequests
    directory_for: DirectoryFor


# The adapters handlers may ask for, by parameter name.
PORT_NAMES = (
    "uow", "gateway", "reader", "publisher", "secrets", "telemetry", "progress", "clock", "ids", "machine", "stop",
    "directory_for",
)  # fmt: skip


def bootstrap(settings: Settings | None = None, **overrides: Any) -> App:
    """Build the application. Keyword overrides replace an adapter by its port name (tests)."""
    container = Container(settings=settings or load_settings())
    for name, instance in overrides.items():
        getattr(container, name).override(providers.Object(instance))
    deps: dict[str, Any] = {name: getattr(container, name)() for name in PORT_NAMES}
    bus = MessageBus(
        uow=deps["uow"],
        command_handlers={kind: _inject(h, deps) for kind, h in COMMAND_HANDLERS.items()},
        event_handlers={kind: [_inject(h, deps) for h in hs] for kind, hs in EVENT_HANDLERS.items()},
        publisher=deps["publisher"],
        clock=deps["clock"],
        # A shared store (Azure) refuses a commit made on a stale read: the command runs again from a fresh
        # one. Stores that take turns (SQLite, memory) never raise the conflict, so it costs them nothing.
        retry=RetryOnConflict(),
    )
    return App(settings=container.settings(), bus=bus, **deps)


def _inject(handler: Callable[..., Any], deps: dict[str, Any]) -> Callable[..., Any]:
    """Bind the keyword-only parameters a handler declares, by name."""
    wanted = {
        name: deps[name]
        for name, p in inspect.signature(handler).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    bound = partial(handler, **wanted)
    bound.__name__ = handler.__name__  # type: ignore[attr-defined]
    return bound


def state_store(settings: Settings, kind: str) -> UnitOfWork:
    """The state store `kind` ("sqlite", "azure", ...) as `settings` configure it, whichever store they select:
    `fabctl state migrate` opens the two it copies between."""
    store: UnitOfWork = Container(settings=settings.model_copy(update={"state_store": kind})).uow()
    return store
