"""The composition root: the one place that reads settings, picks adapters and wires handlers."""

from __future__ import annotations

import inspect
import threading
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
from fabctl.application.notifier import Notifier, NotifyingPublisher
from fabctl.application.ports import (
    Clock,
    ConflictRetry,
    DeploymentProgress,
    Directory,
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
from fabctl.domain.redaction import SecretValues
from fabctl.entrypoints.notifications import http_channel, notifier_for, patient_http_channel
from fabctl.entrypoints.settings import Settings, load_settings

if TYPE_CHECKING:
    from azure.servicebus import ServiceBusClient


def _in_state_dir(settings: Settings, name: str) -> str:
    return str(settings.state_dir / name)


def _http_gateway(settings: Settings, secret_values: SecretValues, telemetry: Telemetry | None = None) -> FabricGateway:
    # Imported here: httpx, tenacity and azure-identity cost start-up time the local default never needs.
    from fabctl.adapters.fabric.http.gateway import HttpxFabricGateway

    gateway = HttpxFabricGateway(
        settings.fabric_url,
        credential=credential_for(settings.fabric_url, settings),
        trace_path=settings.fabric_trace,
        telemetry=telemetry,
    )
    if gateway.trace is not None:  # the trace hides every secret value, from the first one read
        secret_values.on_revealed(partial(_hide_in_trace, gateway.trace))
    return gateway


def _hide_in_trace(trace: Any, value: str) -> None:
    trace.add_secrets([value])


def _secret_store(settings: Settings) -> SecretStore:
    """Key Vault when FABCTL_KEY_VAULT_URL is set; else the environment, then the .env file (the fallback)."""
    if not settings.key_vault_url:
        from fabctl.adapters.secrets.environment import EnvironmentSecretStore

        return EnvironmentSecretStore(settings.secrets_env_file)
    # Imported here: the Key Vault SDK costs start-up time a run without a vault never needs.
    from fabctl.adapters.secrets.keyvault import KeyVaultSecretStore

    # The process's one identity. A loopback vault (a test's) still needs one: the SDK sends no request
    # without a credential, so the loopback exception the emulator gets does not apply here.
    credential = credential_for(settings.key_vault_url, settings) or credential_for("https://vault.azure.net", settings)
    return KeyVaultSecretStore(settings.key_vault_url, credential, cache_seconds=settings.secret_cache_seconds)


def _secret_values(store: SecretStore) -> SecretValues:
    return SecretValues(store.get_secret)


def secret_sources(settings: Settings) -> dict[str, Any]:
    """The secret store and its `SecretValues`, as `bootstrap` overrides (`secrets`, `secret_values`): for an
    entrypoint that builds a reader of its own, which must read `$secret:` values from the same store."""
    store = _secret_store(settings)
    return {"secrets": store, "secret_values": _secret_values(store)}


def credential_for(url: str, settings: Settings | None = None) -> object | None:
    """The process's one credential (see `process_credential`), or None for a loopback URL when no kind is
    chosen (an emulator, called as it always was).

    The one choice of identity for every Azure service fabctl calls: Fabric, the state store's account,
    Service Bus and Key Vault. `settings` name the kind (`auth`); without them, FABCTL_AUTH does.
    """
    import os

    from fabctl.adapters.fabric.http.auth import is_loopback

    kind = settings.auth if settings is not None else (os.environ.get("FABCTL_AUTH", "").strip() or None)
    if kind is None and is_loopback(url):
        return None
    return process_credential(kind or "default")


# One credential per process, so one token cache: Fabric, storage, Service Bus and Key Vault share its tokens,
# and the actor is read from the same sign-in that acts. Built on first use, never on import; keyed by the
# kind and azure-identity's variables, so a process whose variables change (a test) never gets a stale one.
_PROCESS_CREDENTIALS: dict[tuple[str, tuple[tuple[str, str], ...]], object] = {}
_PROCESS_CREDENTIALS_LOCK = threading.Lock()
_IDENTITY_VARIABLES = ("AZURE_", "IDENTITY_", "MSI_")


def process_credential(kind: str) -> object:
    """The credential of `kind` for this process, built once from azure-identity's variables."""
    import os

    from fabctl.adapters.identity.credentials import build_credential

    key = (kind, tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(_IDENTITY_VARIABLES))))
    with _PROCESS_CREDENTIALS_LOCK:
        if key not in _PROCESS_CREDENTIALS:
            _PROCESS_CREDENTIALS[key] = build_credential(kind, os.environ)
        return _PROCESS_CREDENTIALS[key]


GRAPH_SCOPE = "https://graph.microsoft.com/.default"


def graph_directory(settings: Settings) -> Directory:
    """Approver groups through Microsoft Graph, signed in as the process's credential (none for the emulator)."""
    # Imported here: httpx and tenacity cost start-up time that commands without approvals never need.
    from fabctl.adapters.directory.graph import GraphDirectory
    from fabctl.adapters.directory.graph_http import GraphClient

    credential = credential_for(settings.graph_url, settings)
    token = None if credential is None else partial(_graph_token, credential)
    return GraphDirectory(GraphClient(settings.graph_url, token=token))


def _graph_directory_for(settings: Settings) -> DirectoryFor:
    """Graph answers for every configuration: principals.yaml next to it names the groups' members (resolved
    through Graph); a group it does not define is a Graph group by display name (or object id)."""
    from fabctl.adapters.directory.graph import GraphDirectory
    from fabctl.adapters.directory.graph_principals import GraphPrincipalsDirectory

    directory = graph_directory(settings)
    assert isinstance(directory, GraphDirectory)
    return lambda config_path: GraphPrincipalsDirectory(directory, PrincipalsFileDirectory.next_to(config_path))


def _graph_token(credential: Any) -> str:
    return str(credential.get_token(GRAPH_SCOPE).token)


def _azure_unit_of_work(
    settings: Settings, clock: Clock, ids: IdGenerator, secret_values: SecretValues | None = None
) -> UnitOfWork:
    # Imported here: the Azure SDKs cost start-up time, and only this store needs them. The clients are
    # checked (an identity that may only read is refused) before the unit of work is built.
    from fabctl.entrypoints.state_storage import open_state_storage

    tables, blobs = open_state_storage(settings, lambda url: credential_for(url, settings))
    from fabctl.adapters.state.azure_storage import AzureStorageUnitOfWork

    # cast: the port's repositories are plain attributes, which mypy holds invariant (AzureInbox is not Inbox).
    return cast(
        UnitOfWork,
        AzureStorageUnitOfWork(
            tables=tables, blobs=blobs, clock=clock, ids=ids, lease_term=_lease_term(settings), secrets=secret_values
        ),
    )


def _servicebus_publisher(settings: Settings, telemetry: Telemetry) -> EventPublisher:
    # Imported here: azure-servicebus costs start-up time the in-memory default never needs.
    from fabctl.adapters.servicebus.publisher import ServiceBusEventPublisher

    publisher: EventPublisher = ServiceBusEventPublisher(
        servicebus_client_opener(settings), settings.events_topic, trace_context=telemetry.carrier
    )
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
    # the process credential).
    credential = None if secret else cast("TokenCredential", credential_for(f"https://{host}", settings))
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


APPINSIGHTS_VARIABLE = "APPLICATIONINSIGHTS_CONNECTION_STRING"


def _telemetry(settings: Settings) -> Telemetry:
    """In memory unless exporting: the SDK is imported, and its exporters started, only when chosen.

    What is buffered is exported before the process exits (`atexit`: the CLI's `sys.exit` runs it)."""
    if settings.telemetry == "none":
        return InMemoryTelemetry()
    import atexit
    import os

    from fabctl.adapters.telemetry.exporting import exporting_telemetry

    secret = os.environ.get(APPINSIGHTS_VARIABLE, "").strip() if settings.telemetry == "azure-monitor" else ""
    if settings.telemetry == "azure-monitor":
        _check_appinsights_connection_string(secret)
    telemetry = exporting_telemetry(settings.telemetry, connection_string=secret)
    atexit.unregister(telemetry.shutdown)  # once per process, however many applications share it
    atexit.register(telemetry.shutdown)
    return telemetry


def _check_appinsights_connection_string(secret: str) -> None:
    from fabctl.domain.errors import InvalidConfiguration
    from fabctl.entrypoints.settings import SUBJECT, setting_origin

    fields = dict(part.split("=", 1) for part in secret.split(";") if "=" in part)
    if not fields.get("InstrumentationKey", "").strip():
        problem = "is not set" if not secret else "has no InstrumentationKey"
        raise InvalidConfiguration(
            f"telemetry azure-monitor needs {APPINSIGHTS_VARIABLE}, which {problem} "
            f"(telemetry {setting_origin('telemetry')}; copy the connection string of the Application Insights "
            "resource: InstrumentationKey=...;IngestionEndpoint=https://...)",
            subject=SUBJECT,
            field=APPINSIGHTS_VARIABLE,
        )


def _lease_term(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.lease_seconds)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UuidIdGenerator)
    telemetry = providers.Singleton(_telemetry, settings)  # before the adapters that report to it
    secrets = providers.Singleton(_secret_store, settings)
    # Every secret value read in this process, so that no output shows one (one per process, like the store).
    secret_values = providers.Singleton(_secret_values, secrets)
    uow = providers.Selector(
        settings.provided.state_store,
        sqlite=providers.Singleton(
            SqliteUnitOfWork,
            path=providers.Callable(_in_state_dir, settings, "state.db"),
            clock=clock,
            ids=ids,
            lease_term=providers.Callable(_lease_term, settings),
            secrets=secret_values,
        ),
        memory=providers.Singleton(
            InMemoryUnitOfWork,
            clock=clock,
            ids=ids,
            lease_term=providers.Callable(_lease_term, settings),
            secrets=secret_values,
        ),
        azure=providers.Singleton(_azure_unit_of_work, settings, clock=clock, ids=ids, secret_values=secret_values),
    )
    gateway = providers.Selector(
        settings.provided.fabric,
        local=providers.Singleton(
            LocalFabricGateway,
            tenant=providers.Singleton(FabricTenant.at, providers.Callable(_in_state_dir, settings, "local-fabric.db")),
        ),
        memory=providers.Singleton(LocalFabricGateway, tenant=providers.Singleton(FabricTenant.in_memory)),
        http=providers.Singleton(_http_gateway, settings, secret_values, telemetry),
    )
    reader = providers.Singleton(FabricGitFolderReader, secrets=secret_values)
    publisher = providers.Selector(
        settings.provided.event_bus,
        memory=providers.Singleton(InMemoryEventPublisher),
        servicebus=providers.Singleton(_servicebus_publisher, settings, telemetry),
    )
    progress = providers.Singleton(RecordingProgress)
    machine = providers.Singleton(LocalMachine)
    stop = providers.Singleton(StopSwitch)  # the CLI lets the signals flip it
    # A shared store (Azure) refuses a commit made on a stale read: the command (or a lease renewal) runs again
    # from a fresh one. Stores that take turns (SQLite, memory) never raise the conflict, so it costs them nothing.
    retry = providers.Singleton(RetryOnConflict)
    notification_channel = providers.Singleton(http_channel, secret_values)  # built only when a subscriber is set
    notification_retry_channel = providers.Singleton(patient_http_channel, secret_values)
    # Who is in an approver group: principals.yaml next to the workspace configuration, or Microsoft Graph.
    directory_for = providers.Selector(
        settings.provided.directory,
        file=providers.Object(PrincipalsFileDirectory.next_to),
        graph=providers.Singleton(_graph_directory_for, settings),
    )


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
    secret_values: SecretValues
    telemetry: Telemetry
    progress: DeploymentProgress
    clock: Clock
    ids: IdGenerator
    machine: Machine
    stop: StopRequests
    retry: ConflictRetry
    directory_for: DirectoryFor
    notifier: Notifier | None = None  # the subscribers of FABCTL_NOTIFICATIONS_FILE, when it is set


# The adapters handlers may ask for, by parameter name.
PORT_NAMES = (
    "uow", "gateway", "reader", "publisher", "secrets", "telemetry", "progress", "clock", "ids", "machine", "stop",
    "retry", "directory_for",
)  # fmt: skip


def bootstrap(settings: Settings | None = None, **overrides: Any) -> App:
    """Build the application. Keyword overrides replace an adapter by its port name (tests)."""
    container = Container(settings=settings or load_settings())
    for name, instance in overrides.items():
        getattr(container, name).override(providers.Object(instance))
    deps: dict[str, Any] = {name: getattr(container, name)() for name in PORT_NAMES}
    notifier = notifier_for(
        container.settings(), container.notification_channel, deps["uow"], deps["clock"],
        retry_channel=container.notification_retry_channel,
    )  # fmt: skip
    # The notifier hears what the bus accepted, after it accepted it: a webhook never holds an event back.
    bus_publisher = NotifyingPublisher(deps["publisher"], notifier) if notifier else deps["publisher"]
    bus = MessageBus(
        uow=deps["uow"],
        command_handlers={kind: _inject(h, deps) for kind, h in COMMAND_HANDLERS.items()},
        event_handlers={kind: [_inject(h, deps) for h in hs] for kind, hs in EVENT_HANDLERS.items()},
        publisher=bus_publisher,
        clock=deps["clock"],
        retry=deps["retry"],
        telemetry=deps["telemetry"],
    )
    return App(
        settings=container.settings(), bus=bus, secret_values=container.secret_values(), notifier=notifier, **deps
    )


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
