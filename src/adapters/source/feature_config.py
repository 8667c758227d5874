"""Feature flags as `workspace-config.yaml` and the environment give them, validated at the edge.

    features:                     # every environment's, unless it sets its own
      delete_orphans: true
    environments:
      prod:
        workspace: "Sales (prod)"
        features: {rollback_on_failure: true}

Precedence, strongest first: `FABCTL_FEATURE_<NAME>` (every environment), the environment's `features`,
the top-level `features`, the default (`rollback_on_failure`'s is the environment's `protected`).
An unknown flag, a value that is not true or false, or an unknown or unreadable variable is one
`InvalidConfiguration` naming the file and field, or the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.feature_flags import FLAG_NAMES, FeatureFlags

PREFIX = "FABCTL_FEATURE_"
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def file_features(given: object, subject: str, field: str) -> dict[str, bool]:
    """The flags a `features:` mapping at `field` of the file `subject` sets (None: none)."""
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise InvalidConfiguration(
            f"must be a mapping of feature flags to true or false; known: {', '.join(FLAG_NAMES)}",
            subject=subject,
            field=field,
        )
    values = {}
    for name, value in given.items():
        at = f"{field}.{name}"
        if name not in FLAG_NAMES:
            from fabctl.adapters.source.config_files import suggest

            known = ", ".join(FLAG_NAMES)
            message = f"unknown feature flag{suggest(str(name), FLAG_NAMES)}; known: {known}"
            raise InvalidConfiguration(message, subject=subject, field=at)
        if not isinstance(value, bool):
            raise InvalidConfiguration(f"must be true or false (got {value!r})", subject=subject, field=at)
        values[name] = value
    return values


def environment_overrides(environ: Mapping[str, str] | None = None) -> dict[str, bool]:
    """The flags `FABCTL_FEATURE_<NAME>` variables set, for every environment."""
    environ = os.environ if environ is None else environ
    values = {}
    for variable, text in environ.items():
        if not variable.upper().startswith(PREFIX):
            continue
        name = variable[len(PREFIX) :].lower()
        if name not in FLAG_NAMES:
            known = ", ".join(PREFIX + n.upper() for n in FLAG_NAMES)
            raise InvalidConfiguration(f"is not a feature flag; known: {known}", subject=variable)
        value = text.strip().lower()
        if value not in _TRUE + _FALSE:
            raise InvalidConfiguration("must be true or false (or 1/0, yes/no)", subject=variable)
        values[name] = value in _TRUE
    return values


def flags_in_force(
    top_level: Mapping[str, bool], own: Mapping[str, bool], environ: Mapping[str, str] | None = None
) -> FeatureFlags:
    """The flags set for an environment (what is not set keeps its default; see `Environment.flags`)."""
    return FeatureFlags().with_values({**top_level, **own, **environment_overrides(environ)})
