"""Settings: command-line flags, then environment variables `FABCTL_*`, then a `fabctl.toml` file
(see `settings_file`), then the defaults.

The defaults are the embedded ones a new user gets with no Azure account: a local Fabric and a
SQLite state store in `.fabctl/` of the working directory, and an in-memory event bus. Relative
paths are relative to the working directory, wherever they are set.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from fabctl.adapters.fabric.http.urls import fabric_api_base
from fabctl.adapters.servicebus.names import entity_name_problem, namespace_host
from fabctl.adapters.source.documents import shown
from fabctl.adapters.state.azure_account import account_endpoints, container_name_problem, table_name_problem
from fabctl.domain.errors import InvalidConfiguration
from fabctl.entrypoints.settings_file import CONFIG_FILE_ENV, ENV_PREFIX, SettingsFile, read_settings_file
from fabctl.entrypoints.state_folder import state_folder_problem

__all__ = [
    "CONFIG_FILE_ENV", "Settings", "check_service_bus", "check_storage_account", "connection_string",
    "load_settings", "servicebus_connection_string", "setting_origin",
]  # fmt: skip
SUBJECT = "fabctl settings"


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some CI containers)
        return "unknown"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FABCTL_", extra="forbid")

    state_dir: Path = Field(Path(".fabctl"), description="Where local state and the local Fabric live.")
    state_store: Literal["sqlite", "memory", "azure"] = "sqlite"
    # The azure store's (docs/state.md): where the account is, and the names it keeps state under.
    storage_account_url: str = Field("", description="The account: its name, or its blob or table URL.")
    storage_connection_string: SecretStr | None = Field(
        None, description="A connection string (account key, SAS, or Azurite's); never shown."
    )
    state_table: str = Field("fabctlstate", description="The table the azure store keeps its entities in.")
    state_container: str = Field("fabctl-state", description="The container it keeps before-images in.")
    state_create: bool = Field(True, description="Create the table and the container when they are missing.")
    lease_seconds: int = Field(
        900,
        ge=1,
        le=86400,
        description="How long a workspace lease lasts unless renewed: a runner that died blocks others this long.",
    )
    fabric: Literal["local", "memory", "http"] = "local"
    fabric_url: str = Field("", description="Fabric REST base URL; setting it selects the http gateway.")
    fabric_trace: Path | None = Field(None, description="Write an HTTP trace (JSON lines, secrets redacted).")
    # The event bus (docs/events.md): in memory by default; Service Bus for a service (docs/azure.md).
    event_bus: Literal["memory", "servicebus"] = "memory"
    servicebus_namespace: str = Field(
        "", description="The Service Bus namespace: its name or host name; fabctl signs in with azure-identity."
    )
    servicebus_connection_string: SecretStr | None = Field(
        None, description="A Service Bus connection string (a SAS key); never shown."
    )
    events_topic: str = Field("fabctl-events", description="The topic fabctl publishes its events to.")
    commands_queue: str = Field("fabctl-commands", description="The sessionful queue fabctl takes commands from.")
    # Telemetry (docs/operations.md): none by default; otlp reads the standard OTEL_EXPORTER_OTLP_*
    # variables, azure-monitor APPLICATIONINSIGHTS_CONNECTION_STRING (a secret, never shown).
    telemetry: Literal["none", "console", "otlp", "azure-monitor"] = Field(
        "none", description="Where traces, metrics and logs go: none, console, otlp or azure-monitor."
    )
    user: str = Field(default_factory=_default_user, description="Who is acting (requester, approver).")
    # Secrets ($secret:NAME values): Key Vault when a URL is set, else the environment and a .env file.
    key_vault_url: str = Field(
        "", description="The Key Vault $secret: values come from (https://NAME.vault.azure.net)."
    )
    secret_cache_seconds: int = Field(
        300, ge=0, le=86400, description="How long a secret read from Key Vault is used before it is read again."
    )
    secrets_env_file: Path = Field(
        Path(".env"), description="Without a Key Vault: the .env file after the environment."
    )

    @field_validator("key_vault_url")
    @classmethod
    def _a_vault(cls, url: str) -> str:
        return key_vault_url(url) if url.strip() else ""

    # Who fabctl signs in as (docs/operations.md); unset: azure-identity's chain, and none
    # for a loopback Fabric. Set, the credential is used for every service, and it names the actor.
    auth: (
        Literal[
            "default",
            "environment",
            "client-secret",
            "client-certificate",
            "managed-identity",
            "workload-identity",
            "azure-cli",
            "device-code",
        ]
        | None
    ) = Field(None, description="The credential kind (FABCTL_AUTH); its variables are azure-identity's.")

    notifications_file: Path | None = Field(
        None, description="A notifications.yaml: Teams and webhook subscribers of events (docs/notifications.md)."
    )

    # Microsoft Graph, for approver groups (docs/operations.md); the emulator's is http://127.0.0.1:PORT/graph.
    graph_url: str = Field("https://graph.microsoft.com", description="Microsoft Graph's root (no /v1.0).")
    # Who is in an approver group: principals.yaml next to workspace-config.yaml (file), or Microsoft Graph (graph).
    directory: Literal["file", "graph"] = Field(
        "file", description="Where approver groups' members come from: principals.yaml (file) or Microsoft Graph."
    )

    @field_validator("fabric_url")
    @classmethod
    def _fabric_api_base(cls, url: str) -> str:
        # The root (fabric-cicd's convention) or the REST base; never credentials (urls.py).
        return fabric_api_base(url) if url.strip() else ""

    @field_validator("graph_url")
    @classmethod
    def _a_graph_root(cls, url: str) -> str:
        root = url.strip().rstrip("/").removesuffix("/v1.0")
        if not root.startswith(("https://", "http://")) or "@" in root.split("/")[2]:
            raise ValueError("graph_url must be an http(s) URL without credentials, e.g. https://graph.microsoft.com")
        return root

    @field_validator("storage_account_url")
    @classmethod
    def _an_account(cls, given: str) -> str:
        if given.strip():
            account_endpoints(given)  # raises ValueError naming what to give instead
        return given.strip()

    @field_validator("servicebus_namespace")
    @classmethod
    def _a_namespace(cls, given: str) -> str:
        return namespace_host(given) if given.strip() else ""  # raises ValueError saying what to give

    @field_validator("events_topic", "commands_queue")
    @classmethod
    def _an_entity_name(cls, name: str) -> str:
        return _named(name, entity_name_problem(name))

    @field_validator("state_table")
    @classmethod
    def _a_table_name(cls, name: str) -> str:
        return _named(name, table_name_problem(name))

    @field_validator("state_container")
    @classmethod
    def _a_container_name(cls, name: str) -> str:
        return _named(name, container_name_problem(name))

    @model_validator(mode="after")
    def _url_selects_http(self) -> Settings:
        if self.fabric_url:
            self.fabric = "http"
        elif self.fabric == "http":
            raise ValueError("fabric 'http' needs fabric_url (FABCTL_FABRIC_URL or --fabric-url)")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        from_file = read_settings_file(settings_cls.model_fields).values
        return init_settings, env_settings, InitSettingsSource(settings_cls, init_kwargs=from_file)


# Key Vault's DNS suffixes: the public cloud, China, US Government.
VAULT_SUFFIXES = (".vault.azure.net", ".vault.azure.cn", ".vault.usgovcloudapi.net")
LOOPBACK = ("127.0.0.1", "localhost", "::1")  # a test's local vault


def key_vault_url(given: str) -> str:
    """`https://NAME.vault.azure.net` (or a sovereign cloud's, or a loopback test vault), without a path."""
    from urllib.parse import urlsplit

    text = given.strip()
    try:
        parts = urlsplit(text)
        host, _ = parts.hostname or "", parts.port
    except ValueError:
        raise ValueError(f"'{shown(text, 70)}' is not a URL; give https://NAME.vault.azure.net") from None
    if parts.scheme != "https":
        raise ValueError(f"'{shown(text, 70)}' must use https (Key Vault takes tokens over TLS only)")
    if parts.username or parts.password or parts.query or parts.fragment or parts.path not in ("", "/"):
        raise ValueError(f"'{shown(text, 70)}' must be the vault's URL alone: https://NAME.vault.azure.net")
    if host not in LOOPBACK and not (host.endswith(VAULT_SUFFIXES) and host.count(".") == 3):
        raise ValueError(f"'{shown(text, 70)}' is not a Key Vault host; give https://NAME.vault.azure.net")
    return text.rstrip("/")


def _named(name: str, problem: str) -> str:
    if problem:
        raise ValueError(f"'{shown(name, 70)}': {problem}")
    return name


def load_settings(**overrides: object) -> Settings:
    """The settings (command-line `overrides` first), or one error naming every setting at fault.

    The state folder is checked, and created, when a state store or Fabric kept there is chosen.
    """
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as e:
        file = read_settings_file(Settings.model_fields)
        problems = []
        for problem in e.errors():
            key = ".".join(str(part) for part in problem["loc"]) or "fabric"
            problems.append((key, f"{problem['msg']} ({_origin(key, overrides, file)})"))
        (key, message), *others = problems
        raise InvalidConfiguration(message, subject=SUBJECT, field=key, also=others) from e
    _check_text(settings, overrides)
    if settings.state_store == "azure":
        check_storage_account(settings, overrides)
    if settings.event_bus == "servicebus":
        check_service_bus(settings, overrides)
    if settings.auth is not None:
        check_auth(settings, overrides)
    if settings.state_store == "sqlite" or settings.fabric == "local":
        unusable = state_folder_problem(settings.state_dir)
        if unusable:
            origin = _origin("state_dir", overrides, read_settings_file(Settings.model_fields))
            raise InvalidConfiguration(
                f"the state folder '{shown(str(settings.state_dir), 100)}' {unusable} "
                f"({origin}; point it to a folder fabctl can create and write)",
                subject=SUBJECT,
                field="state_dir",
            )
    return settings


def check_storage_account(settings: Settings, overrides: dict[str, Any] | None = None) -> None:
    """The azure store needs its account named once: by URL (signing in) or by connection string."""
    _named_once(
        ("storage_account_url", settings.storage_account_url),
        ("storage_connection_string", connection_string(settings)),
        overrides or {},
        missing=f"the azure state store needs its storage account ({{origin}}): set "
        f"{ENV_PREFIX}STORAGE_ACCOUNT_URL (its name or URL; fabctl signs in with azure-identity) or "
        f"{ENV_PREFIX}STORAGE_CONNECTION_STRING (with an account key or a SAS, or Azurite's)",
        selected_by="state_store",
    )


def check_service_bus(settings: Settings, overrides: dict[str, Any] | None = None) -> None:
    """Service Bus is named once: by namespace (signing in) or by connection string."""
    _named_once(
        ("servicebus_namespace", settings.servicebus_namespace),
        ("servicebus_connection_string", servicebus_connection_string(settings)),
        overrides or {},
        missing=f"Service Bus needs its namespace ({{origin}}): set "
        f"{ENV_PREFIX}SERVICEBUS_NAMESPACE (its name or host name; fabctl signs in with azure-identity) or "
        f"{ENV_PREFIX}SERVICEBUS_CONNECTION_STRING (with a shared access key)",
        selected_by="event_bus",
    )


def _named_once(
    by_identity: tuple[str, str], by_secret: tuple[str, str], given: dict[str, Any], *, missing: str, selected_by: str
) -> None:
    """A service named by identity (a URL, a namespace) or by a secret (a connection string): one, not both.
    `missing` is the message when neither is set, with `{origin}` where the selecting setting was given."""
    (identity_key, identity), (secret_key, secret) = by_identity, by_secret
    if identity and secret:
        raise InvalidConfiguration(
            f"{identity_key} and {secret_key} are both set: keep one "
            f"({identity_key} {setting_origin(identity_key, given)}; {secret_key} {setting_origin(secret_key, given)})",
            subject=SUBJECT,
            field=secret_key,
        )
    if not identity and not secret:
        origin = setting_origin(selected_by, given)
        raise InvalidConfiguration(missing.replace("{origin}", origin), subject=SUBJECT, field=identity_key)


def check_auth(settings: Settings, overrides: dict[str, Any] | None = None) -> None:
    """The chosen credential kind has the variables it needs: the first one missing is named, now."""
    from fabctl.adapters.identity.credentials import missing_setting

    problem = missing_setting(str(settings.auth), os.environ)
    if problem:
        origin = setting_origin("auth", overrides)
        raise InvalidConfiguration(f"{problem} (auth {origin})", subject=SUBJECT, field="auth")


def servicebus_connection_string(settings: Settings) -> str:
    """The Service Bus connection string's text ('' when none is set): for the adapter only."""
    secret = settings.servicebus_connection_string
    return secret.get_secret_value().strip() if secret is not None else ""


def connection_string(settings: Settings) -> str:
    """The connection string's text ('' when none is set): for the adapter only, never for a message."""
    secret = settings.storage_connection_string
    return secret.get_secret_value().strip() if secret is not None else ""


def _check_text(settings: Settings, overrides: dict[str, Any]) -> None:
    """An undecodable byte in a variable (a lone surrogate) would break the first write of it."""
    for key in Settings.model_fields:
        raw = getattr(settings, key)
        secret = isinstance(raw, SecretStr)
        value = raw.get_secret_value() if secret else str(raw or "")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            origin = _origin(key, overrides, read_settings_file(Settings.model_fields))
            text = "the value" if secret else f"'{shown(value)}'"  # a secret is never shown
            raise InvalidConfiguration(f"{text} is not UTF-8 text ({origin})", subject=SUBJECT, field=key) from None


def setting_origin(key: str, overrides: dict[str, Any] | None = None) -> str:
    """Where the setting `key` was given (`overrides`: the command-line flags), for a message."""
    return _origin(key, overrides or {}, read_settings_file(Settings.model_fields))


def _origin(key: str, overrides: dict[str, Any], file: SettingsFile) -> str:
    """Where the setting `key` was given, for a message."""
    if overrides.get(key) is not None:
        return f"given by --{key.replace('_', '-')}"
    variable = f"{ENV_PREFIX}{key.upper()}"
    if any(name.upper() == variable for name in os.environ):
        return f"set by {variable}"
    if key in file.spelling:
        return f"set by '{file.spelling[key]}' in {file.label}"
    return f"the default; set {variable} or '{key}' in {file.label} to change it"
