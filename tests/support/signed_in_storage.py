"""Azurite reached as a production account is: by host name, over TLS, with azure-identity's tokens.

Four real pieces, all on 127.0.0.1 and stopped at teardown:
- a test CA (its file is the only trust clients get: `REQUESTS_CA_BUNDLE`);
- Azurite over HTTPS taking bearer tokens (`--oauth basic`);
- an Entra-like authority (`entra_authority`) answering the client-credentials flow;
- a CONNECT proxy (`HTTPS_PROXY`) routing `devstoreaccount1.blob.fabctl.test`, `.table.` and
  `login.microsoftonline.com` to them, and refusing every other host.

The authority is reached as `login.microsoftonline.com`, azure-identity's default: msal validates any
other authority host against that host's instance discovery, and the product's
`DefaultAzureCredential()` has no switch that skips it (docs/adr/0032-azure-identity-against-local-servers.md).
So fabctl runs with its production settings, and only the test's network (the proxy) and trust (the CA)
are local. The service principal is a throwaway: its secret exists only in this process and its children.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from azurite_process import ACCOUNT, RunningAzurite, running_azurite
from certificates import TestAuthority
from connect_proxy import ConnectProxy, running_proxy
from entra_authority import EntraAuthority, ServicePrincipal, running_authority

SUFFIX = "fabctl.test"  # a reserved top-level name (RFC 2606): it can never reach a real host
ACCOUNT_URL = f"https://{ACCOUNT}.blob.{SUFFIX}"
LOGIN_HOST = "login.microsoftonline.com"
PRINCIPAL = ServicePrincipal(
    tenant="3f0c5a1e-8a52-4d43-9d64-0b7e2f6c1a90",
    client_id="c1a2b3d4-0000-4e5f-8a9b-fabc7e57c11e",
    secret="throwaway-test-secret-4b1d",  # test-only; must show in no output
)
BEARER_ACCEPTED = "Validation against token authentication successfully"  # Azurite's debug log, per request


@dataclass(frozen=True)
class SignedInStorage:
    azurite: RunningAzurite
    authority: EntraAuthority
    proxy: ConnectProxy
    ca_file: Path

    def network(self) -> dict[str, str]:
        """The variables that put a client on the test's network: the proxy and the CA."""
        return {
            "HTTPS_PROXY": self.proxy.url,
            "NO_PROXY": "127.0.0.1,localhost",  # the connection-string clients reach Azurite directly
            "REQUESTS_CA_BUNDLE": str(self.ca_file),
            "SSL_CERT_FILE": str(self.ca_file),
        }

    def environment(self, *, secret: str = PRINCIPAL.secret) -> dict[str, str]:
        """Everything a fabctl process needs to use the account with the service principal signed in."""
        return {
            **self.network(),
            "AZURE_TENANT_ID": PRINCIPAL.tenant,
            "AZURE_CLIENT_ID": PRINCIPAL.client_id,
            "AZURE_CLIENT_SECRET": secret,
            "FABCTL_STATE_STORE": "azure",
            "FABCTL_STORAGE_ACCOUNT_URL": ACCOUNT_URL,
        }

    def bearer_requests(self) -> int:
        """How many requests Azurite has authenticated by a bearer token so far."""
        assert self.azurite.debug_log is not None
        return self.azurite.debug_log.read_text(errors="replace").count(BEARER_ACCEPTED)


def signed_in_storage(workdir: Path) -> Iterator[SignedInStorage]:
    """The body of a fixture: every piece started, then stopped in reverse order."""
    ca = TestAuthority(workdir)
    storage_hosts = (f"*.blob.{SUFFIX}", f"*.table.{SUFFIX}", "127.0.0.1")  # 127.0.0.1: the connection string
    with ExitStack() as stack:
        azurite = stack.enter_context(running_azurite(workdir, ca.server_certificate("azurite", *storage_hosts)))
        authority = stack.enter_context(running_authority(ca.server_certificate("login", LOGIN_HOST), PRINCIPAL))
        routes = {
            f"{ACCOUNT}.blob.{SUFFIX}:443": _port(azurite.blob_url),
            f"{ACCOUNT}.table.{SUFFIX}:443": _port(azurite.table_url),
            f"{LOGIN_HOST}:443": authority.port,
        }
        proxy = stack.enter_context(running_proxy(routes))
        yield SignedInStorage(azurite, authority, proxy, ca.ca_file)


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None, url
    return port


@pytest.fixture(scope="module")
def signed_in(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignedInStorage]:
    """One signed-in Azurite world per test module; each test uses its own table and container."""
    yield from signed_in_storage(tmp_path_factory.mktemp("signed-in"))
