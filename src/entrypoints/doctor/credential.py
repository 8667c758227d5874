"""The credential gets a Fabric token, and whose it is: the principal Fabric will see acting."""

from __future__ import annotations

from fabctl.entrypoints.doctor.context import DoctorContext
from fabctl.entrypoints.doctor.outcome import Outcome, failed, passed, skipped

FABRIC_SCOPE = "https://api.fabric.microsoft.com/.default"


def check_credential(context: DoctorContext) -> Outcome:
    from fabctl.adapters.identity.token_claims import UnreadableToken, principal_of_token
    from fabctl.entrypoints.bootstrap import credential_for

    settings = context.loaded_settings()
    if settings.fabric != "http":
        return skipped(f"Fabric is the {settings.fabric} one: no sign-in")
    credential = credential_for(settings.fabric_url, settings)
    if credential is None:
        return skipped(f"{settings.fabric_url} is a loopback emulator: no sign-in")
    token = credential.get_token(FABRIC_SCOPE)  # type: ignore[attr-defined]
    try:  # the token itself is never shown: only the claims that name the principal
        principal = principal_of_token(token.token)
    except UnreadableToken as e:
        return failed(f"got a token, but {e}", "use an Entra ID credential (FABCTL_AUTH, docs/operations)")
    context.principal = principal
    kind = "application" if principal.is_application else "user"
    return passed(f"{kind} {principal.name} (object id {principal.object_id}, tenant {principal.tenant_id or '?'})")


FIX = "sign in (az login), or set the credential's variables (AZURE_CLIENT_ID, AZURE_TENANT_ID, ...)"
