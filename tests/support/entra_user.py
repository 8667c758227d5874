"""A person who signs in to the Entra-like authority: the device-code flow (RFC 8628) as Entra runs it.

`POST /<tenant>/oauth2/v2.0/devicecode` starts a flow for a public client: a device code for the
client, and a user code with the verification URL for the person. The client then polls the token
endpoint with `grant_type=urn:ietf:params:oauth:grant-type:device_code`; the first poll is answered
`authorization_pending` (nobody has typed the code yet), and the authority then completes the flow
by itself, as if the person had signed in at the URL: the next poll gets the user's tokens (an
access token for the scope's resource, an id token and `client_info`, which msal and azure-identity
read to know the account). A test needs no browser and no stdin.

The person's access token is shaped as Entra's v1 user tokens: `upn`, `oid`, `tid`, `idtyp` user.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
VERIFICATION_URL = "https://microsoft.com/devicelogin"
POLL_INTERVAL_S = 1  # msal waits this long between polls
# The Azure CLI's public client: DeviceCodeCredential's default, so it needs no AZURE_CLIENT_ID.
AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"


@dataclass(frozen=True)
class SignedInUser:
    upn: str
    object_id: str
    public_client_id: str = AZURE_CLI_CLIENT_ID  # the app a device-code sign-in is for

    def client_info(self, tenant: str) -> str:
        """msal's client_info: base64url JSON of the home account (uid.utid)."""
        raw = json.dumps({"uid": self.object_id, "utid": tenant}).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


USER = SignedInUser(upn="dana@contoso.example", object_id="3f1e2d4c-4444-4c4d-9e8f-00000000da7a")


@dataclass(frozen=True)
class DeviceFlowStart:
    device_code: str
    user_code: str

    def answer(self) -> dict[str, object]:
        return {
            "device_code": self.device_code,
            "user_code": self.user_code,
            "verification_uri": VERIFICATION_URL,
            "expires_in": 900,
            "interval": POLL_INTERVAL_S,
            "message": f"To sign in, use a web browser to open the page {VERIFICATION_URL} "
            f"and enter the code {self.user_code} to authenticate.",
        }


class DeviceFlows:
    """The flows started and how often each was polled; the person "signs in" after the first poll."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._polls: dict[str, tuple[str, int]] = {}  # device code -> (client id, polls so far)
        self._scopes: dict[str, str] = {}  # device code -> the scope asked when the flow started
        self.prompts: list[str] = []  # the user codes handed out, for tests to find in the output

    def start(self, client_id: str, scope: str) -> DeviceFlowStart:
        flow = DeviceFlowStart(secrets.token_urlsafe(24), secrets.token_hex(4).upper())
        with self._lock:
            self._polls[flow.device_code] = (client_id, 0)
            self._scopes[flow.device_code] = scope
            self.prompts.append(flow.user_code)
        return flow

    def scope_of(self, device_code: str) -> str:
        """The scope the flow was started for (a poll need not repeat it)."""
        with self._lock:
            return self._scopes.get(device_code, "")

    def poll(self, device_code: str, client_id: str) -> str:
        """`pending` on the first poll, `done` after it, `expired_token` for a code never given to `client_id`."""
        with self._lock:
            known = self._polls.get(device_code)
            if known is None or known[0] != client_id:
                return "expired_token"
            self._polls[device_code] = (client_id, known[1] + 1)
            if known[1] == 0:
                return "pending"
            del self._polls[device_code]  # a device code is good for one sign-in
            return "done"
