"""Key Vault answers and lets fabctl's identity read secrets: a probe name is read.

The probe names no secret anyone keeps, so the expected answer is "not found": the vault gives it only
after it signed the caller in and allowed the read (with Azure RBAC, a caller without the Key Vault Secrets
User role gets 403 for a name that does not exist, too). A value, should one exist, passes as well.
"""

from __future__ import annotations

from fabctl.domain.errors import DomainError
from fabctl.entrypoints.doctor.context import DoctorContext
from fabctl.entrypoints.doctor.outcome import Outcome, failed, passed, skipped

PROBE_SECRET = "fabctl-doctor-probe"


def check_key_vault(context: DoctorContext) -> Outcome:
    settings = context.loaded_settings()
    if not settings.key_vault_url:
        return skipped("no FABCTL_KEY_VAULT_URL: secrets come from the environment and .env")
    from fabctl.entrypoints.bootstrap import secret_sources

    store = secret_sources(settings)["secrets"]
    try:
        store.get_secret(PROBE_SECRET)
    except KeyError:
        return passed(f"{settings.key_vault_url}: signed in and allowed to read secrets")
    except DomainError as e:  # refused or unreachable: the store's message names the setting and the role
        return failed(e.message, FIX)
    return passed(f"{settings.key_vault_url}: signed in and allowed to read secrets")


FIX = "give fabctl's identity the Key Vault Secrets User role on the vault, or correct FABCTL_KEY_VAULT_URL"
