"""A Key Vault-like secrets server over HTTPS on 127.0.0.1, for the real `SecretClient`.

It speaks what the SDK (azure-keyvault-secrets 4.x) needs (docs: /work/shared/docs/local-azure.md):
- challenge auth: a request without a valid bearer token gets `401` with
  `WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/<tenant>", resource="https://vault.azure.net"`;
  a token counts only if the Entra-like authority (`entra_authority.py`) signed it, it is valid now,
  and its audience is the vault's resource;
- `GET /secrets/{name}[/{version}]`: the latest (or that) version, `{"value", "id", "attributes"}`;
  an unknown name or version is `404` with error code `SecretNotFound`; a disabled version is
  `403` `Forbidden` with inner code `SecretDisabled`, as Key Vault answers;
- an identity the vault does not let read (`readers`, by object id) gets `403` `Forbidden`
  (inner code `ForbiddenByRbac`), as with the "Key Vault Secrets User" role missing.
Names compare case-insensitively, as Key Vault's do. Every authorised read is counted per name
(`reads`), which is what proves a client's cache.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from certificates import TlsFiles
from entra_authority import EntraAuthority

RESOURCE = "https://vault.azure.net"
LOGIN = "https://login.microsoftonline.com"


@dataclass
class _Version:
    id: str
    value: str
    enabled: bool
    created: int


class KeyVaultServer:
    def __init__(self, tls: TlsFiles, authority: EntraAuthority) -> None:
        self.authority = authority
        self.readers: set[str] | None = None  # object ids allowed to read; None: every signed-in identity
        self._lock = threading.Lock()
        self._secrets: dict[str, list[_Version]] = {}  # lower-case name -> versions, oldest first
        self._reads: Counter[str] = Counter()
        self.challenges = 0
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.cert, tls.key)
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._http.socket = context.wrap_socket(self._http.socket, server_side=True)
        self.port = self._http.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._http.serve_forever, name="key-vault", daemon=True)

    def put(self, name: str, value: str, *, enabled: bool = True) -> str:
        """A new version of secret `name`, now its latest; returns the version id."""
        version = _Version(uuid.uuid4().hex, value, enabled, int(time.time()))
        with self._lock:
            self._secrets.setdefault(name.lower(), []).append(version)
        return version.id

    def reads(self, name: str) -> int:
        """How many authorised reads of `name` (any version) the vault has answered."""
        with self._lock:
            return self._reads[name.lower()]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def answer(self, host: str, path: str, authorization: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(status, JSON body, extra headers) for a GET of `path`."""
        claims = self._claims(authorization)
        if claims is None:
            with self._lock:
                self.challenges += 1
            tenant = self.authority.principal.tenant
            challenge = f'Bearer authorization="{LOGIN}/{tenant}", resource="{RESOURCE}"'
            body = _error("Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.")
            return 401, body, {"WWW-Authenticate": challenge}
        if self.readers is not None and claims.get("oid") not in self.readers:
            body = _error("Forbidden", "Caller is not authorized to perform action on resource.", "ForbiddenByRbac")
            return 403, body, {}
        parts = path.split("?")[0].strip("/").split("/")
        if parts[0] != "secrets" or len(parts) not in (2, 3):
            return 404, _error("NotFound", f"No route for {path}"), {}
        name = parts[1]
        with self._lock:
            self._reads[name.lower()] += 1
            versions = list(self._secrets.get(name.lower(), []))
        if len(parts) == 3:
            versions = [v for v in versions if v.id == parts[2]]
        if not versions:
            message = f"A secret with (name/id) {'/'.join(parts[1:])} was not found in this key vault."
            return 404, _error("SecretNotFound", message), {}
        version = versions[-1]
        if not version.enabled:
            return 403, _error("Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled"), {}
        attributes = {"enabled": True, "created": version.created, "updated": version.created}
        body = {"value": version.value, "id": f"https://{host}/secrets/{name}/{version.id}", "attributes": attributes}
        return 200, body, {}

    def _claims(self, authorization: str) -> dict[str, Any] | None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        claims = self.authority.claims_of(token.strip())
        return claims if claims is not None and claims.get("aud") == RESOURCE else None


def _error(code: str, message: str, inner: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if inner:
        error["innererror"] = {"code": inner}
    return {"error": error}


def _handler(vault: KeyVaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            status, body, headers = vault.answer(
                self.headers.get("Host", ""), self.path, self.headers.get("Authorization", "")
            )
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass  # reads are counted instead

    return Handler


@contextmanager
def running_key_vault(tls: TlsFiles, authority: EntraAuthority) -> Iterator[KeyVaultServer]:
    vault = KeyVaultServer(tls, authority)
    vault.start()
    try:
        yield vault
    finally:
        vault.stop()
