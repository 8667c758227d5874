"""Who acts in a command: the signed-in principal whenever fabctl signs in, else a typed name.

With a credential in use (FABCTL_AUTH set, or a service reached by signing in: Fabric over HTTP, the
azure state store by account URL, Service Bus by namespace), the actor is whose the token is (its
UPN, or an application's app id) and its object id is recorded with it: verified. `--user` and
FABCTL_USER are then refused, since a typed name could only contradict the sign-in. Only on the
embedded local default, with no credential, does a typed name (or the OS user) act; it is recorded
without an object id and shown as unverified (docs/adr/0039-verified-actor.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.identity import Identity

if TYPE_CHECKING:
    from fabctl.entrypoints.bootstrap import App
    from fabctl.entrypoints.settings import Settings

USER_SETTING = "the user setting ('user' in fabctl.toml, else the OS user name)"
STORAGE_SCOPE = "https://storage.azure.com/.default"
SERVICEBUS_SCOPE = "https://servicebus.azure.net/.default"


@dataclass(frozen=True)
class Acting:
    name: str  # an identity's text: what approvals compare and records show
    object_id: str = ""  # the signed-in principal's; "" = a typed name, unverified

    @property
    def verified(self) -> bool:
        return bool(self.object_id)


def acting(user: str | None, application: App, *, check_setting: bool = False) -> Acting:
    """Who acts: the signed-in principal, or (only without a credential) `user`, else the user setting.

    `user` is --user / FABCTL_USER as the option checked it (None when not given); `check_setting`
    parses the user setting as an identity too (promotions compare identities)."""
    settings = application.settings
    scope = signed_in_scope(settings)
    if scope is None:
        if user is not None:
            return Acting(user)
        return Acting(str(Identity.parse(settings.user, source=USER_SETTING)) if check_setting else settings.user)
    if user is not None:
        raise InvalidConfiguration(
            f"names '{user}', but fabctl signs in{_how(settings)} and records that principal as who acts, "
            "never a typed name: drop --user and unset FABCTL_USER",
            subject="--user / FABCTL_USER",
        )
    return _principal(settings, scope)


def signed_in_scope(settings: Settings) -> str | None:
    """The scope of a service fabctl signs in to with these settings, or None when it signs in to none."""
    from fabctl.adapters.fabric.http.auth import FABRIC_SCOPE, is_loopback
    from fabctl.entrypoints.settings import connection_string, servicebus_connection_string

    http_fabric = settings.fabric == "http"
    if http_fabric and (settings.auth is not None or not is_loopback(settings.fabric_url)):
        return FABRIC_SCOPE
    if settings.state_store == "azure" and not connection_string(settings):
        return STORAGE_SCOPE
    if settings.event_bus == "servicebus" and not servicebus_connection_string(settings):
        return SERVICEBUS_SCOPE
    if settings.auth is not None:
        return FABRIC_SCOPE  # chosen explicitly: the actor is still whoever that sign-in is
    return None


def _principal(settings: Settings, scope: str) -> Acting:
    from azure.core.credentials import TokenCredential

    from fabctl.adapters.fabric.http.auth import TokenProvider
    from fabctl.adapters.identity.token_claims import UnreadableToken, principal_of_token
    from fabctl.entrypoints.bootstrap import process_credential

    credential = process_credential(settings.auth or "default")
    assert isinstance(credential, TokenCredential)
    # The same credential, so the same token cache: the Fabric client asks again and gets this token.
    token = TokenProvider(credential, scope=scope).token()  # raises the gateway's sign-in errors (exit 2)
    try:
        principal = principal_of_token(token)
        name = str(Identity.parse(principal.name, source="the access token's upn/appid claim"))
    except UnreadableToken as e:
        raise InvalidConfiguration(
            f"the token fabctl signed in with does not say whose it is: {e}", subject="sign-in", field="auth"
        ) from None
    return Acting(name, principal.object_id)


def _how(settings: Settings) -> str:
    return f" (FABCTL_AUTH={settings.auth})" if settings.auth else " (with azure-identity)"
