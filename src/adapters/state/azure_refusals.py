"""One line for each way the storage account can refuse fabctl, naming what to fix.

The SDKs' own texts are several lines (a RequestId, a Time, the raw XML or JSON body) and say
nothing of roles; a connection error's text may hold the request's URL, whose query carries a SAS
when the connection string has one. So no SDK text is quoted: the status and the service's error
code are, with what fabctl was doing and what the identity, key or SAS needs.

Azure answers a bad signature with 403 `AuthenticationFailed`; Azurite answers it with 403
`AuthorizationFailure` and Azure's words "Server failed to authenticate the request", which is how
the two are told from a missing permission (`AuthorizationPermissionMismatch`, or Azure's
`AuthorizationFailure` "This request is not authorized ...", also given when the account's network
rules refuse the caller).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)

from fabctl.adapters.fabric.http.auth import sign_in_advice
from fabctl.adapters.state import StateStoreError
from fabctl.adapters.state.azure_account import Access

STORAGE_SCOPE = "https://storage.azure.com/.default"
Part = Literal["access", "table", "container"]
Verb = Literal["read", "write to", "create"]
ROLES = {"table": "Storage Table Data Contributor", "blob": "Storage Blob Data Contributor"}
SAS_PERMISSIONS = {
    "read": "read and list (r, l)",
    "write to": "add, update, write and delete (a, u, w, d)",
    "create": "create and write (c, w)",
}
# Azurite refuses an API version newer than its own with 400 InvalidHeaderValue; the SDKs are newer.
VERSION_ADVICE = (
    "an emulator answers this to an API version newer than its own: start Azurite with --skipApiVersionCheck"
)
WHOLE_SAS = "sp=rwdlacu, services ss=bt, resource types srt=sco"
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


class StorageUnusable(StateStoreError):
    """The account, table or container cannot be used as the state store.

    `part` says which input is at fault: `access` (the account's URL or connection string: where it
    is, and the identity, key or SAS that signs requests), `table` or `container`;
    `creation_refused` tells that it is missing and creating it was not allowed.
    """

    def __init__(self, problem: str, *, part: Part, creation_refused: bool = False) -> None:
        super().__init__(problem)
        self.problem = problem
        self.part = part
        self.creation_refused = creation_refused


@dataclass(frozen=True)
class Reach:
    """How fabctl reaches the account: its name, and what signs the requests."""

    account: str
    access: Access
    credential: object | None = None  # the azure-identity credential, when access is "identity"


@dataclass(frozen=True)
class Step:
    """What fabctl was doing when it was refused, e.g. ("write to", "table", "fabctlstate", URL)."""

    verb: Verb
    service: Literal["table", "blob"]
    name: str
    endpoint: str

    @property
    def target(self) -> str:
        return f"table '{self.name}'" if self.service == "table" else f"container '{self.name}'"


def error_code(error: HttpResponseError) -> str:
    code = getattr(error, "error_code", None)  # set by the storage SDKs, not declared by azure-core
    return str(getattr(code, "value", code) or "")


def refusal(error: AzureError, step: Step, reach: Reach) -> StorageUnusable:
    """The one-line `StorageUnusable` for `error`, met while doing `step`."""
    if isinstance(error, ClientAuthenticationError) and error.response is None:
        return StorageUnusable(_unsigned(error, reach), part="access")
    if isinstance(error, HttpResponseError):
        return StorageUnusable(_answered(error, step, reach), part="access")
    if isinstance(error, (ServiceRequestError, ServiceResponseError)):
        return StorageUnusable(
            f"the {step.service} service at {shown_endpoint(step.endpoint)} does not answer ({_why(error)}): "
            "check the account's name and endpoints",
            part="access",
        )
    return StorageUnusable(f"could not {step.verb} {step.target}: {type(error).__name__}", part="access")


def _unsigned(error: ClientAuthenticationError, reach: Reach) -> str:
    """No request was sent: the credential gave no token, or the key could not sign."""
    if reach.access == "identity":
        from azure.core.credentials import TokenCredential

        credential = reach.credential
        if isinstance(credential, TokenCredential):
            return sign_in_advice(credential, error, STORAGE_SCOPE)
        return f"no Azure credential gives fabctl a token for {STORAGE_SCOPE}"
    return f"the connection string's {'account key' if reach.access == 'key' else 'SAS'} cannot sign requests"


def _answered(error: HttpResponseError, step: Step, reach: Reach) -> str:
    status, code = error.status_code, error_code(error)
    answer = f"{status} {code}".strip()
    if status == 401 or code == "AuthenticationFailed" or "failed to authenticate" in str(error.message).lower():
        return _not_authenticated(answer, reach)
    if status == 403:
        return _not_permitted(answer, step, reach, network=code == "AuthorizationFailure")
    advice = VERSION_ADVICE if code == "InvalidHeaderValue" else "check the account's name and endpoints"
    return (
        f"the {step.service} service at {shown_endpoint(step.endpoint)} answered {answer} when asked to "
        f"{step.verb} {step.target}: {advice}"
    )


def _not_authenticated(answer: str, reach: Reach) -> str:
    if reach.access == "key":
        return (
            f"account '{reach.account}' refuses the account key ({answer}: the request's signature does not verify): "
            "copy the connection string again from the account's 'Access keys' page"
        )
    if reach.access == "sas":
        return (
            f"account '{reach.account}' refuses the shared access signature ({answer}): it is expired, revoked, "
            "or signed for another account"
        )
    return f"account '{reach.account}' refuses fabctl's sign-in ({answer}): check the identity's tenant and the account"


def _not_permitted(answer: str, step: Step, reach: Reach, *, network: bool) -> str:
    refused = f"may not {step.verb} {step.target} of account '{reach.account}' ({answer})"
    if reach.access == "identity":
        rules = " (or the account's network rules refuse this machine)" if network else ""
        kind = "table" if step.service == "table" else "container"
        return (
            f"fabctl's identity {refused}: it needs the {ROLES[step.service]} role on account '{reach.account}' "
            f"or on the {kind}{rules}"
        )
    if reach.access == "sas":
        return (
            f"the shared access signature {refused}: it needs the {SAS_PERMISSIONS[step.verb]} permissions; "
            f"fabctl's state needs a SAS with {WHOLE_SAS}"
        )
    return (
        f"a request signed with the account key {refused}: the account may have shared key access disabled, "
        "or its network rules refuse this machine"
    )


def _why(error: AzureError) -> str:
    if isinstance(error, (ServiceRequestTimeoutError, ServiceResponseTimeoutError)):
        return "timed out"
    found = _ERRNO.search(str(error))
    return found.group(1).strip().lower() if found else type(error).__name__


def shown_endpoint(url: str) -> str:
    """`url` without its query (a SAS) and without user information: safe to print."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
