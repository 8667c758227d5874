"""The one azure-identity credential a fabctl process signs in with, chosen by `FABCTL_AUTH`.

The kinds read azure-identity's own environment variables (AZURE_TENANT_ID, AZURE_CLIENT_ID, ...), so a
pipeline set up for any Azure tool works unchanged; the kind only says which of them must be there, so
that a missing one is named before anything is sent, instead of azure-identity's chain reporting a
dozen credentials it tried. Nothing here logs or keeps a secret: the values go to the credential only.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from typing import Any

from azure.core.credentials import TokenCredential

from fabctl.domain.errors import InvalidConfiguration

AUTH_KINDS = (
    "default", "environment", "client-secret", "client-certificate", "managed-identity", "workload-identity",
    "azure-cli", "device-code",
)  # fmt: skip
SUBJECT = "fabctl settings"
FIELD = "auth"

# The variables each kind cannot do without. The others are optional: AZURE_AUTHORITY_HOST (another cloud),
# AZURE_CLIENT_CERTIFICATE_PASSWORD, a managed identity's AZURE_CLIENT_ID (user-assigned), IDENTITY_ENDPOINT
# and IDENTITY_HEADER (which the hosting service sets), device-code's AZURE_TENANT_ID and AZURE_CLIENT_ID.
REQUIRED: dict[str, tuple[str, ...]] = {
    "client-secret": ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"),
    "client-certificate": ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_CERTIFICATE_PATH"),
    "workload-identity": ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE"),
    "environment": ("AZURE_TENANT_ID", "AZURE_CLIENT_ID"),
}
ENVIRONMENT_SECRETS = ("AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH")


def missing_setting(kind: str, environ: Mapping[str, str]) -> str:
    """One line naming what `kind` lacks in `environ`, or "" when it has all it needs."""
    for name in REQUIRED.get(kind, ()):
        if not environ.get(name, "").strip():
            return f"FABCTL_AUTH={kind} needs {name}, which is not set"
    if kind == "environment" and not any(environ.get(name, "").strip() for name in ENVIRONMENT_SECRETS):
        return f"FABCTL_AUTH=environment needs {' or '.join(ENVIRONMENT_SECRETS)}, and neither is set"
    if kind == "azure-cli" and shutil.which("az", path=environ.get("PATH")) is None:
        return "FABCTL_AUTH=azure-cli needs the Azure CLI: `az` is not on PATH (install it, then run `az login`)"
    return ""


def build_credential(kind: str, environ: Mapping[str, str]) -> TokenCredential:
    """The credential of `kind`, from azure-identity's variables in `environ`.

    Raises `InvalidConfiguration` (field `auth`) for an unknown kind or a missing variable."""
    if kind not in AUTH_KINDS:
        raise InvalidConfiguration(
            f"FABCTL_AUTH '{kind}' is not a credential kind: give one of {', '.join(AUTH_KINDS)}",
            subject=SUBJECT,
            field=FIELD,
        )
    problem = missing_setting(kind, environ)
    if problem:
        raise InvalidConfiguration(problem, subject=SUBJECT, field=FIELD)
    import azure.identity as identity

    def get(name: str) -> str | None:
        return environ.get(name, "").strip() or None

    common: dict[str, Any] = {"authority": get("AZURE_AUTHORITY_HOST")} if get("AZURE_AUTHORITY_HOST") else {}
    tenant, client = get("AZURE_TENANT_ID"), get("AZURE_CLIENT_ID")
    if kind == "client-secret":
        return identity.ClientSecretCredential(str(tenant), str(client), str(get("AZURE_CLIENT_SECRET")), **common)
    if kind == "client-certificate":
        return identity.CertificateCredential(
            str(tenant),
            str(client),
            certificate_path=get("AZURE_CLIENT_CERTIFICATE_PATH"),
            password=get("AZURE_CLIENT_CERTIFICATE_PASSWORD"),
            **common,
        )
    if kind == "workload-identity":
        return identity.WorkloadIdentityCredential(
            tenant_id=tenant, client_id=client, token_file_path=get("AZURE_FEDERATED_TOKEN_FILE"), **common
        )
    if kind == "managed-identity":
        return identity.ManagedIdentityCredential(client_id=client)
    if kind == "azure-cli":
        return identity.AzureCliCredential(tenant_id=tenant or "")
    if kind == "device-code":
        # Unset, azure-identity's own defaults apply (the Azure CLI's public client, the "organizations" tenant).
        from fabctl.adapters.identity.device_code_prompt import prompt_on_stderr

        chosen: dict[str, Any] = {"client_id": client, "tenant_id": tenant}
        return identity.DeviceCodeCredential(
            **{k: v for k, v in chosen.items() if v}, prompt_callback=prompt_on_stderr, **common
        )
    if kind == "environment":
        return identity.EnvironmentCredential()
    return identity.DefaultAzureCredential()
