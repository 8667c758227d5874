"""A Key Vault reached as production's is: by host name, over TLS, signed in with azure-identity.

Four real pieces on 127.0.0.1, stopped at teardown: a test CA (the only trust clients get), the
Entra-like authority (as `login.microsoftonline.com`), the local Key Vault (as `fabctl-test.vault.azure.net`)
and a CONNECT proxy routing both names to them and refusing every other host. fabctl runs with its
production settings (`FABCTL_KEY_VAULT_URL=https://fabctl-test.vault.azure.net`, azure-identity's default
chain reading `AZURE_*`); only the network and the trust are the test's (as in `signed_in_storage.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from certificates import TestAuthority
from connect_proxy import ConnectProxy, running_proxy
from entra_authority import EntraAuthority, ServicePrincipal, running_authority
from key_vault import KeyVaultServer, running_key_vault

VAULT_HOST = "fabctl-test.vault.azure.net"
VAULT_URL = f"https://{VAULT_HOST}"
LOGIN_HOST = "login.microsoftonline.com"
PRINCIPAL = ServicePrincipal(
    tenant="9d2b7a44-1c3e-4f58-a6b0-7e1d2c3b4a55",
    client_id="5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
    secret="throwaway-vault-principal-secret-e2e",  # test-only; must show in no output
)


@dataclass(frozen=True)
class VaultWorld:
    vault: KeyVaultServer
    authority: EntraAuthority
    proxy: ConnectProxy
    ca_file: Path

    def environment(self) -> dict[str, str]:
        """What a fabctl process needs to read `$secret:` values from the vault, signed in."""
        return {
            "HTTPS_PROXY": self.proxy.url,
            "NO_PROXY": "127.0.0.1,localhost",  # the emulator is reached directly
            "REQUESTS_CA_BUNDLE": str(self.ca_file),
            "SSL_CERT_FILE": str(self.ca_file),
            "AZURE_TENANT_ID": PRINCIPAL.tenant,
            "AZURE_CLIENT_ID": PRINCIPAL.client_id,
            "AZURE_CLIENT_SECRET": PRINCIPAL.secret,
            "FABCTL_KEY_VAULT_URL": VAULT_URL,
        }


def vault_world(workdir: Path) -> Iterator[VaultWorld]:
    """The body of a fixture: every piece started, then stopped in reverse order."""
    ca = TestAuthority(workdir)
    with ExitStack() as stack:
        authority = stack.enter_context(running_authority(ca.server_certificate("login", LOGIN_HOST), PRINCIPAL))
        vault = stack.enter_context(running_key_vault(ca.server_certificate("vault", VAULT_HOST), authority))
        routes = {f"{LOGIN_HOST}:443": authority.port, f"{VAULT_HOST}:443": vault.port}
        proxy = stack.enter_context(running_proxy(routes))
        yield VaultWorld(vault, authority, proxy, ca.ca_file)
