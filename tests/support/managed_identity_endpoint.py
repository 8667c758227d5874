"""App Service's managed identity endpoint (IDENTITY_ENDPOINT, IDENTITY_HEADER) on 127.0.0.1, for
azure-identity's real ManagedIdentityCredential.

The protocol (api-version 2019-08-01): `GET IDENTITY_ENDPOINT?resource=R&api-version=...` with header
`X-IDENTITY-HEADER: IDENTITY_HEADER`; the answer is `{"access_token", "expires_on", "resource",
"token_type"}`. The tokens are the Entra-like authority's own (`EntraAuthority.issue`), for the
managed identity's client id, so a service checking that authority's keys accepts them. A request
without the right header is refused (400), as App Service does.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from entra_authority import TOKEN_LIFETIME_S, EntraAuthority


class ManagedIdentityEndpoint:
    def __init__(self, authority: EntraAuthority, client_id: str) -> None:
        self.authority = authority
        self.client_id = client_id
        self.header = secrets.token_hex(16)  # App Service's per-process secret
        self.requests: list[str] = []  # the resource of each request answered
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/msi/token"
        self._thread = threading.Thread(target=self._http.serve_forever, name="managed-identity", daemon=True)

    def environment(self) -> dict[str, str]:
        return {"IDENTITY_ENDPOINT": self.url, "IDENTITY_HEADER": self.header}


def _handler(endpoint: ManagedIdentityEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            if self.headers.get("X-IDENTITY-HEADER") != endpoint.header:
                self._send(400, {"error": "invalid_request", "error_description": "X-IDENTITY-HEADER is wrong"})
                return
            resource = query.get("resource", "")
            if not resource:
                self._send(400, {"error": "invalid_resource", "error_description": "no resource"})
                return
            endpoint.requests.append(resource)
            token = endpoint.authority.issue(endpoint.client_id, resource.rstrip("/"))
            expires_on = int(time.time()) + TOKEN_LIFETIME_S
            self._send(
                200,
                {"access_token": token, "expires_on": str(expires_on), "resource": resource, "token_type": "Bearer"},
            )

        def _send(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_managed_identity(authority: EntraAuthority, client_id: str) -> Iterator[ManagedIdentityEndpoint]:
    endpoint = ManagedIdentityEndpoint(authority, client_id)
    endpoint._thread.start()
    try:
        yield endpoint
    finally:
        endpoint._http.shutdown()
        endpoint._http.server_close()
