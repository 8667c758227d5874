"""The checks, in the order they run (later ones use what earlier ones found). Adding a check is one line."""

from __future__ import annotations

from fabctl.entrypoints.doctor import credential, key_vault, service_bus, state_store
from fabctl.entrypoints.doctor.capacity import check_capacity
from fabctl.entrypoints.doctor.configuration import check_configuration
from fabctl.entrypoints.doctor.fabric import check_fabric, check_workspaces
from fabctl.entrypoints.doctor.roles import check_roles
from fabctl.entrypoints.doctor.run import Check
from fabctl.entrypoints.doctor.settings_check import check_settings
from fabctl.entrypoints.doctor.unfinished import check_unfinished

_FABRIC_FIX = "check FABCTL_FABRIC_URL and the network; fabctl doctor again once Fabric answers"

SETTINGS = Check("settings", check_settings, "correct the setting the message names")
CONFIGURATION = Check("configuration", check_configuration, "correct the file the message names")
CREDENTIAL = Check("credential", credential.check_credential, credential.FIX)
FABRIC = Check("fabric", check_fabric, _FABRIC_FIX)
WORKSPACES = Check("workspaces", check_workspaces, _FABRIC_FIX)
ROLES = Check("roles", check_roles, _FABRIC_FIX)
CAPACITY = Check("capacity", check_capacity, _FABRIC_FIX)
STATE_STORE = Check("state store", state_store.check_state_store, state_store.FIX)
SERVICE_BUS = Check("service bus", service_bus.check_service_bus, service_bus.FIX)
KEY_VAULT = Check("key vault", key_vault.check_key_vault, key_vault.FIX)
UNFINISHED = Check("unfinished work", check_unfinished, state_store.FIX)

ALL = (
    SETTINGS, CONFIGURATION, CREDENTIAL, FABRIC, WORKSPACES, ROLES, CAPACITY, KEY_VAULT, STATE_STORE, SERVICE_BUS,
    UNFINISHED,
)  # fmt: skip
# What the Function app's /api/health runs: cheap, and nothing of Fabric's.
HEALTH = (SETTINGS, STATE_STORE, SERVICE_BUS)
