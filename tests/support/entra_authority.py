"""An Entra-ID-like token authority over HTTPS on 127.0.0.1, for azure-identity's real client-credentials flow.

It answers what msal asks of a Microsoft authority for a service principal with a secret:
`GET /<tenant>/v2.0/.well-known/openid-configuration` (tenant discovery), the keys it names, and
`POST /<tenant>/oauth2/v2.0/token` with `grant_type=client_credentials`, and instance discovery
(`GET /common/discovery/instance`). The client proves itself by its secret, or by a `client_assertion`
(RFC 7523): a JWT signed by its certificate's key (`ServicePrincipal.certificate`, as
CertificateCredential signs one), or a federated token from an outside issuer the principal trusts
(`ServicePrincipal.federation`, as GitHub Actions' OIDC token reaches WorkloadIdentityCredential);
each signature is checked. A token is a JWT signed
with RS256, shaped as Entra's v1 access tokens for storage are: `aud` the resource of the scope
(`https://storage.azure.com`), `iss` `https://sts.windows.net/<tenant>/`, `nbf`/`iat`/`exp`. Wrong
credentials get Entra's error shape (`invalid_client`, AADSTS7000215 for a wrong secret).

Clients reach it by the host name they would use in production (the CONNECT proxy routes it here),
so the URLs it gives back are built from the request's `Host`. Every token request is recorded
without the secret: `requests()`. `audience` can be set to issue tokens for another resource.
"""

from __future__ import annotations

import base64
import hmac
import json
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
from certificates import TlsFiles
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from entra_user import DEVICE_CODE_GRANT, USER, DeviceFlows, SignedInUser

TOKEN_LIFETIME_S = 3600
KEY_ID = "fabctl-test-key"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass(frozen=True)
class Federation:
    """An outside OIDC issuer whose tokens stand for the principal (a federated identity credential)."""

    issuer: str
    subject: str
    audience: str  # Entra's default for federated credentials: api://AzureADTokenExchange
    key: PublicKeyTypes


@dataclass(frozen=True)
class ServicePrincipal:
    tenant: str
    client_id: str
    secret: str  # a throwaway test value
    certificate: PublicKeyTypes | None = None  # the public key of a certificate registered on the app
    federation: Federation | None = None


@dataclass(frozen=True)
class TokenRequest:
    """What a client asked for (never the secret it gave), and what it got."""

    tenant: str
    client_id: str
    grant_type: str
    scope: str
    outcome: str  # "issued", or the error code answered


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class EntraAuthority:
    def __init__(self, tls: TlsFiles, principal: ServicePrincipal) -> None:
        self.principal = principal
        self.audience: str | None = None  # None: the scope's resource, as Entra does
        self.user: SignedInUser = USER  # who signs in by device code (entra_user.py)
        self.device_flows = DeviceFlows()
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._lock = threading.Lock()
        self._requests: list[TokenRequest] = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.cert, tls.key)
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._http.socket = context.wrap_socket(self._http.socket, server_side=True)
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, name="entra-authority", daemon=True)

    def requests(self) -> list[TokenRequest]:
        with self._lock:
            return list(self._requests)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def _record(self, request: TokenRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def openid_configuration(self, host: str, tenant: str) -> dict[str, Any]:
        base = f"https://{host}/{tenant}"
        return {
            "issuer": f"{base}/v2.0",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "jwks_uri": f"https://{host}/{tenant}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "tenant_region_scope": "EU",
        }

    def keys(self) -> dict[str, Any]:
        numbers = self._key.public_key().public_numbers()
        n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
        e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
        return {"keys": [{"kty": "RSA", "use": "sig", "kid": KEY_ID, "n": _b64url(n), "e": _b64url(e)}]}

    def token(self, tenant: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The answer to a token request: (status, JSON body)."""
        grant, client, scope = form.get("grant_type", ""), form.get("client_id", ""), form.get("scope", "")
        status, body = self._answer(tenant, grant, client, form, scope)
        self._record(TokenRequest(tenant, client, grant, scope, body.get("error", "issued")))
        return status, body

    def _answer(
        self, tenant: str, grant: str, client: str, form: dict[str, str], scope: str
    ) -> tuple[int, dict[str, Any]]:
        p = self.principal
        if tenant != p.tenant:
            return _error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        if grant == DEVICE_CODE_GRANT:
            return self._device_code_answer(tenant, client, form.get("device_code", ""), scope)
        if grant != "client_credentials":
            return _error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        if client != p.client_id:
            return _error(400, "unauthorized_client", 700016, f"Application with identifier '{client}' was not found.")
        if "client_assertion" in form:
            refusal = self._assertion_refusal(tenant, client, form)
            if refusal is not None:
                return refusal
        elif not hmac.compare_digest(form.get("client_secret", "").encode(), p.secret.encode()):
            return _error(
                401, "invalid_client", 7000215, f"Invalid client secret provided for app '{client}'."
            )  # Entra names the app, never the secret
        resources = [s.removesuffix("/.default") for s in scope.split() if s.endswith("/.default")]
        if len(resources) != 1:
            return _error(400, "invalid_scope", 1002012, "The provided value for scope is not valid.")
        token = self.issue(client, self.audience or resources[0])
        return 200, {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_S - 1,
            "ext_expires_in": TOKEN_LIFETIME_S - 1,
            "access_token": token,
        }

    def start_device_flow(self, tenant: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The answer to `POST /<tenant>/oauth2/v2.0/devicecode` (entra_user.py)."""
        client = form.get("client_id", "")
        if tenant != self.principal.tenant:
            return _error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        if client != self.user.public_client_id:
            return _error(400, "unauthorized_client", 700016, f"Application with identifier '{client}' was not found.")
        return 200, self.device_flows.start(client, form.get("scope", "")).answer()

    def _device_code_answer(self, tenant: str, client: str, device_code: str, scope: str) -> tuple[int, dict[str, Any]]:
        scope = scope or self.device_flows.scope_of(device_code)
        state = self.device_flows.poll(device_code, client)
        if state == "pending":
            return _error(400, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending.")
        if state != "done":
            return _error(
                400, "expired_token", 70020, "The provided value for the input parameter 'device_code' is not valid."
            )
        resources = [s.removesuffix("/.default") for s in scope.split() if s.endswith("/.default")]
        if len(resources) != 1:
            return _error(400, "invalid_scope", 1002012, "The provided value for scope is not valid.")
        return 200, {
            "token_type": "Bearer",
            "scope": scope,
            "expires_in": TOKEN_LIFETIME_S - 1,
            "ext_expires_in": TOKEN_LIFETIME_S - 1,
            "access_token": self.issue_user(self.audience or resources[0]),
            "id_token": self._id_token(tenant, client),
            "client_info": self.user.client_info(tenant),
        }

    def issue_user(self, audience: str, *, lifetime_s: int = TOKEN_LIFETIME_S) -> str:
        """The signed-in person's access token for `audience`, as Entra shapes v1 user tokens (also what the
        stand-in `az` hands out: azure_cli_standin.py)."""
        now, user = int(time.time()), self.user
        claims = {
            "aud": audience, "iss": f"https://sts.windows.net/{self.principal.tenant}/", "iat": now, "nbf": now,
            "exp": now + lifetime_s, "upn": user.upn, "unique_name": user.upn, "oid": user.object_id,
            "sub": user.object_id, "tid": self.principal.tenant, "appid": user.public_client_id, "idtyp": "user",
            "ver": "1.0",
        }  # fmt: skip
        return self._signed(claims)

    def _id_token(self, tenant: str, client: str) -> str:
        now, user = int(time.time()), self.user
        claims = {
            "aud": client, "iss": f"https://{LOGIN_HOST}/{tenant}/v2.0", "iat": now, "nbf": now,
            "exp": now + TOKEN_LIFETIME_S, "oid": user.object_id, "sub": user.object_id, "tid": tenant,
            "preferred_username": user.upn, "name": user.upn, "ver": "2.0",
        }  # fmt: skip
        return self._signed(claims)

    def claims_of(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this authority signed and that is still valid; None for any other."""
        try:
            head, body, signature = token.split(".")
            padded = signature + "=" * (-len(signature) % 4)
            self._key.public_key().verify(
                base64.urlsafe_b64decode(padded), f"{head}.{body}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
            )
            claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (ValueError, InvalidSignature):
            return None
        return claims if claims.get("nbf", 0) <= time.time() < claims.get("exp", 0) else None

    def issue(self, client_id: str, audience: str, *, lifetime_s: int = TOKEN_LIFETIME_S) -> str:
        """An application's access token for `audience`, as Entra shapes v1 tokens (also for the managed
        identity endpoint, which hands out this authority's tokens)."""
        now = int(time.time())
        object_id = principal_object_id(client_id)
        claims = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{self.principal.tenant}/",
            "iat": now,
            "nbf": now,
            "exp": now + lifetime_s,
            "appid": client_id,
            "oid": object_id,
            "sub": object_id,
            "tid": self.principal.tenant,
            "idtyp": "app",
            "ver": "1.0",
        }
        return self._signed(claims)

    def _assertion_refusal(self, tenant: str, client: str, form: dict[str, str]) -> tuple[int, dict[str, Any]] | None:
        """None when the assertion proves the client; else Entra's refusal (AADSTS700027, AADSTS70021)."""
        p, assertion = self.principal, form.get("client_assertion", "")
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            return _error(400, "invalid_request", 900023, "client_assertion_type is not jwt-bearer.")
        try:
            issuer = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            return _error(401, "invalid_client", 50027, "The client assertion is not a valid JWT.")
        if p.federation is not None and issuer == p.federation.issuer:
            f = p.federation
            try:
                claims = jwt.decode(assertion, f.key, algorithms=["RS256"], audience=f.audience, issuer=f.issuer)  # type: ignore[arg-type]
            except jwt.PyJWTError as e:
                return _error(400, "invalid_client", 700211, f"The federated token is not valid: {e}.")
            if claims.get("sub") != f.subject:
                return _error(400, "invalid_client", 70021, "No matching federated identity record found.")
            return None
        if p.certificate is None:
            return _error(401, "invalid_client", 700027, f"No certificate is registered for app '{client}'.")
        token_endpoint = f"https://{LOGIN_HOST}/{tenant}/oauth2/v2.0/token"
        try:
            claims = jwt.decode(
                assertion,
                p.certificate,
                algorithms=["RS256", "PS256"],
                audience=token_endpoint,
                issuer=client,  # type: ignore[arg-type]
            )
        except jwt.PyJWTError as e:
            return _error(401, "invalid_client", 700027, f"Client assertion failed signature validation: {e}.")
        if claims.get("sub") != client:
            return _error(401, "invalid_client", 700027, "The client assertion's subject is not the client.")
        return None

    def _signed(self, claims: dict[str, Any]) -> str:
        header = {"typ": "JWT", "alg": "RS256", "kid": KEY_ID}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = self._key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"


LOGIN_HOST = "login.microsoftonline.com"  # where clients reach the authority (through the CONNECT proxy)


def principal_object_id(client_id: str) -> str:
    """The object id this authority gives an application: derived from its client id, so tests know it."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, client_id))


def instance_metadata(host: str) -> dict[str, Any]:
    """Entra's instance discovery: the host's aliases. msal asks it when a token request failed, to look
    for cached tokens under another alias (ClientApplication._get_authority_aliases)."""
    return {
        "tenant_discovery_endpoint": f"https://{host}/common/v2.0/.well-known/openid-configuration",
        "api-version": "1.1",
        "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
    }


def _error(status: int, error: str, code: int, text: str) -> tuple[int, dict[str, Any]]:
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    return status, {
        "error": error,
        "error_description": f"AADSTS{code}: {text} Trace ID: {trace} Correlation ID: {correlation} "
        f"Timestamp: {time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime())}",
        "error_codes": [code],
        "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }


def _handler(authority: EntraAuthority) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = self.path.split("?")[0].strip("/").split("/")
            host = self.headers.get("Host", "")
            if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
                self._send(200, authority.openid_configuration(host, parts[0]))
            elif len(parts) == 4 and parts[1:] == ["discovery", "v2.0", "keys"]:
                self._send(200, authority.keys())
            elif parts == ["common", "discovery", "instance"]:
                self._send(200, instance_metadata(host))
            else:
                self._send(*_error(404, "not_found", 90019, f"No route for {self.path}"))

        def do_POST(self) -> None:
            parts = self.path.split("?")[0].strip("/").split("/")
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            form = {k: v[0] for k, v in parse_qs(body).items()}
            if len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
                self._send(*authority.token(parts[0], form))
            elif len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "devicecode"]:
                self._send(*authority.start_device_flow(parts[0], form))
            else:
                self._send(*_error(404, "not_found", 90019, f"No route for {self.path}"))

        def _send(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Cache-Control", "no-store, no-cache")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass  # a request line would be noise; the token requests are recorded instead

    return Handler


@contextmanager
def running_authority(tls: TlsFiles, principal: ServicePrincipal) -> Iterator[EntraAuthority]:
    authority = EntraAuthority(tls, principal)
    authority.start()
    try:
        yield authority
    finally:
        authority.stop()
