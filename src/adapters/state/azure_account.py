"""Where the Azure state store is, and who fabctl is to it, from what a user writes in the settings.

One setting names the account for both services: its name (`contoso`) or the URL of any of its
services (`https://contoso.blob.core.windows.net`, `.table.`, `.dfs.`, `.queue.`, `.file.`, in any
cloud: the suffix after the service is kept). Azure gives every account one host per service, so
either URL gives the other. An emulator's path-style URL (`http://127.0.0.1:10000/devstoreaccount1`)
names one port, and Azurite serves tables on another: it takes a connection string, which names both.

Nothing here echoes a connection string, and a URL with a query (a SAS) or `user:password@` is refused
without showing either part: a secret in a setting is never printed.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

Access = Literal["key", "sas", "identity"]
SERVICES = ("blob", "table", "dfs", "queue", "file")
_ACCOUNT_NAME = re.compile(r"[a-z0-9]{3,24}")
_TABLE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]{2,62}")
_CONTAINER_NAME = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")
ACCOUNT_FORMS = (
    "give the account's name (e.g. contoso) or its blob or table URL (e.g. https://contoso.blob.core.windows.net)"
)


@dataclass(frozen=True)
class AccountEndpoints:
    account: str
    table_url: str
    blob_url: str


def account_endpoints(given: str) -> AccountEndpoints:
    """The account's table and blob endpoints, or ValueError saying what to give instead."""
    text = given.strip()
    if _ACCOUNT_NAME.fullmatch(text):
        return _endpoints("https", text, "core.windows.net", "")
    if "://" not in text:
        raise ValueError(
            f"the storage account URL is neither an account name (3 to 24 lowercase letters and digits) nor a URL: "
            f"{ACCOUNT_FORMS}"
        )
    try:
        parts = urlsplit(text)
        host, port = (parts.hostname or ""), parts.port
    except ValueError:
        raise ValueError(f"the storage account URL is not a valid URL: {ACCOUNT_FORMS}") from None
    if "@" in parts.netloc or parts.query:
        raise ValueError(
            "the storage account URL carries credentials (user:password@ or a ?query such as a SAS): give the URL "
            "alone; fabctl signs in with azure-identity, and a key or SAS belongs in storage_connection_string"
        )
    if _is_address(host):
        raise ValueError(
            "the storage account URL names a host by address, as an emulator's URL does: an emulator (Azurite) "
            "serves tables and blobs on different ports, so give its connection string in storage_connection_string"
        )
    if parts.scheme != "https":
        raise ValueError("the storage account URL must be an https URL: azure-identity's tokens are only sent over TLS")
    if parts.path.strip("/"):
        raise ValueError(
            "the storage account URL has a path: the table and the container are named by state_table and "
            f"state_container; {ACCOUNT_FORMS}"
        )
    account, _, rest = host.partition(".")
    service, _, suffix = rest.partition(".")
    if service not in SERVICES or not suffix or not _ACCOUNT_NAME.fullmatch(account):
        raise ValueError(
            f"the storage account URL is not a storage service's URL (https://ACCOUNT.blob.SUFFIX): {ACCOUNT_FORMS}"
        )
    return _endpoints("https", account, suffix, f":{port}" if port else "")


def _endpoints(scheme: str, account: str, suffix: str, port: str) -> AccountEndpoints:
    return AccountEndpoints(
        account, f"{scheme}://{account}.table.{suffix}{port}", f"{scheme}://{account}.blob.{suffix}{port}"
    )


def _is_address(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class ConnectionFacts:
    """What a connection string says, for messages: how it signs requests and which account it names."""

    access: Access
    account: str


def connection_facts(connection_string: str) -> ConnectionFacts:
    """The facts of a connection string, or ValueError saying what it lacks (never what it holds)."""
    pairs: dict[str, str] = {}
    for part in connection_string.strip().split(";"):
        if not part.strip():
            continue
        key, equals, value = part.partition("=")
        if not equals or not key.strip():
            raise ValueError(
                "the connection string is not one (KEY=VALUE pairs separated by ';'): copy it from the storage "
                "account's 'Access keys' page, or use Azurite's development connection string"
            )
        pairs[key.strip().lower()] = value.strip()
    if pairs.get("usedevelopmentstorage", "").lower() == "true":
        return ConnectionFacts("key", "devstoreaccount1")
    account = pairs.get("accountname") or _endpoint_account(pairs.get("tableendpoint", ""))
    if pairs.get("sharedaccesssignature"):
        access: Access = "sas"
    elif pairs.get("accountkey"):
        if not _is_base64(pairs["accountkey"]):
            raise ValueError("the connection string's AccountKey is not base64, so it is no account key: copy it again")
        access = "key"
    else:
        raise ValueError("the connection string names no credential: it needs an AccountKey or a SharedAccessSignature")
    if not account:
        raise ValueError(
            "the connection string names no account: it needs AccountName, or TableEndpoint and BlobEndpoint"
        )
    return ConnectionFacts(access, account)


def _endpoint_account(url: str) -> str:
    """The account an endpoint names: its first host label, or an emulator's first path segment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return ""
    if _is_address(host):
        return parts.path.strip("/").split("/")[0]
    return host.split(".")[0]


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def table_name_problem(name: str) -> str:
    """Why Azure Tables would refuse `name` ('' when it would not)."""
    if not _TABLE_NAME.fullmatch(name) or name.lower() == "tables":
        return (
            "the table name is not one Azure accepts: 3 to 63 letters and digits, starting with a letter (not 'tables')"
        )
    return ""


def container_name_problem(name: str) -> str:
    """Why Azure Blob Storage would refuse `name` as a container ('' when it would not)."""
    if not _CONTAINER_NAME.fullmatch(name):
        return (
            "the container name is not one Azure accepts: 3 to 63 lowercase letters, digits and single hyphens, "
            "starting and ending with a letter or digit"
        )
    return ""
