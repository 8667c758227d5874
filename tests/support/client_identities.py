"""What a service principal signs in with besides a secret, made fresh for a test: a certificate, and a
federated OIDC token (as GitHub Actions writes one for WorkloadIdentityCredential).

Both are RSA: msal signs a client assertion with RS256 or PS256 only.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from entra_authority import Federation

FEDERATED_AUDIENCE = "api://AzureADTokenExchange"  # Entra's default audience for federated credentials
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB_SUBJECT = "repo:contoso/sales-fabric:environment:prod"


@dataclass(frozen=True)
class ClientCertificate:
    pem: Path  # the private key and the certificate, one PEM file, as AZURE_CLIENT_CERTIFICATE_PATH takes it
    public_key: rsa.RSAPublicKey  # what the app registration holds


def client_certificate(directory: Path, name: str = "fabctl-deployer") -> ClientCertificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = directory / f"{name}.pem"
    key_text = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    pem.write_bytes(key_text + certificate.public_bytes(serialization.Encoding.PEM))
    return ClientCertificate(pem, key.public_key())


class FederatedIssuer:
    """An outside OIDC issuer (GitHub Actions' shape) that writes federated token files."""

    def __init__(self, issuer: str = GITHUB_ISSUER, subject: str = GITHUB_SUBJECT) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.federation = Federation(issuer, subject, FEDERATED_AUDIENCE, self._key.public_key())

    def token_file(self, directory: Path, *, subject: str | None = None) -> Path:
        now = int(time.time())
        claims = {
            "iss": self.federation.issuer,
            "sub": subject or self.federation.subject,
            "aud": FEDERATED_AUDIENCE,
            "iat": now,
            "nbf": now,
            "exp": now + 600,
        }
        path = directory / "federated-token"
        path.write_text(jwt.encode(claims, self._key, algorithm="RS256"))
        return path
