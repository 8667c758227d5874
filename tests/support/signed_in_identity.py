"""A world to sign in to, all on 127.0.0.1: a test CA, the Entra-like authority reached as
login.microsoftonline.com through a CONNECT proxy, and App Service's managed identity endpoint.

The service principal may prove itself by a secret, a certificate or a federated token: each is made
for this world alone (throwaway keys and secret, never shown).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from certificates import TestAuthority
from client_identities import ClientCertificate, FederatedIssuer, client_certificate
from connect_proxy import ConnectProxy, running_proxy
from entra_authority import LOGIN_HOST, EntraAuthority, ServicePrincipal, principal_object_id, running_authority
from managed_identity_endpoint import ManagedIdentityEndpoint, running_managed_identity

PRINCIPAL = ServicePrincipal(
    tenant="7d1c2b3a-1111-4c4d-9e8f-0a1b2c3d4e5f",
    client_id="5e6f7a8b-2222-4c4d-9e8f-fabc7ac70a11",
    secret="throwaway-identity-secret-9f3c",  # test-only; must show in no output
)
MANAGED_CLIENT_ID = "9a8b7c6d-3333-4c4d-9e8f-fabc0a5e0001"
AUTHORITY_URL = f"https://{LOGIN_HOST}/{PRINCIPAL.tenant}"


@dataclass(frozen=True)
class SignedInIdentity:
    authority: EntraAuthority
    proxy: ConnectProxy
    managed: ManagedIdentityEndpoint
    certificate: ClientCertificate
    federated: FederatedIssuer
    ca_file: Path
    workdir: Path

    @property
    def object_id(self) -> str:
        """The service principal's object id, as the authority puts it in its tokens."""
        return principal_object_id(PRINCIPAL.client_id)

    def network(self) -> dict[str, str]:
        return {
            "HTTPS_PROXY": self.proxy.url,
            "NO_PROXY": "127.0.0.1,localhost",
            "REQUESTS_CA_BUNDLE": str(self.ca_file),
            "SSL_CERT_FILE": str(self.ca_file),
        }

    def environment(self, kind: str) -> dict[str, str]:
        """FABCTL_AUTH=`kind` and the variables it reads, on this world's network."""
        base = {**self.network(), "FABCTL_AUTH": kind}
        principal = {"AZURE_TENANT_ID": PRINCIPAL.tenant, "AZURE_CLIENT_ID": PRINCIPAL.client_id}
        if kind == "client-secret":
            return {**base, **principal, "AZURE_CLIENT_SECRET": PRINCIPAL.secret}
        if kind == "client-certificate":
            return {**base, **principal, "AZURE_CLIENT_CERTIFICATE_PATH": str(self.certificate.pem)}
        if kind == "workload-identity":
            token_file = self.federated.token_file(self.workdir)
            return {**base, **principal, "AZURE_FEDERATED_TOKEN_FILE": str(token_file)}
        if kind == "managed-identity":
            return {**base, **self.managed.environment()}
        return base


def signed_in_identity(workdir: Path) -> Iterator[SignedInIdentity]:
    """The body of a fixture: every piece started, then stopped in reverse order."""
    ca = TestAuthority(workdir)
    certificate = client_certificate(workdir)
    federated = FederatedIssuer()
    principal = replace(PRINCIPAL, certificate=certificate.public_key, federation=federated.federation)
    with ExitStack() as stack:
        authority = stack.enter_context(running_authority(ca.server_certificate("login", LOGIN_HOST), principal))
        managed = stack.enter_context(running_managed_identity(authority, MANAGED_CLIENT_ID))
        proxy = stack.enter_context(running_proxy({f"{LOGIN_HOST}:443": authority.port}))
        yield SignedInIdentity(authority, proxy, managed, certificate, federated, ca.ca_file, workdir)
