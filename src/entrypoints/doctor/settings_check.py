"""The settings (flags, FABCTL_* variables, fabctl.toml) load: every one names its origin when it is at fault."""

from __future__ import annotations

from fabctl.entrypoints.doctor.context import DoctorContext
from fabctl.entrypoints.doctor.outcome import Outcome, failed, passed


def check_settings(context: DoctorContext) -> Outcome:
    error = context.settings_error
    if error is not None:
        problems = "; ".join(line.strip() for line in str(error).splitlines())
        return failed(problems, "correct the setting the message names (docs/configuration.md)")
    settings = context.loaded_settings()
    return passed(
        f"state store {settings.state_store}, Fabric {settings.fabric_url or settings.fabric}, "
        f"event bus {settings.event_bus}"
    )
