"""Feature flags: what a deployment into an environment does by default, typed and validated.

Set in `workspace-config.yaml` (`features:` at the top level for every environment, and under an
environment for it alone) and overridden by `FABCTL_FEATURE_<NAME>` for every environment. A command-line
option that asks for a behaviour (`--on-error`, `--delete-orphans`, `--refresh`) still wins over a flag.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class FeatureFlags:
    # A failed deployment rolls back every change (`--on-error` unset). None (unset): the environment's
    # `protected`, which is what fabctl did before flags (`Environment.flags`).
    rollback_on_failure: bool | None = None
    # Items fabctl deployed that left the source are deleted (as `--delete-orphans`; never data items).
    delete_orphans: bool = False
    # A lakehouse's `shortcuts.metadata.json` is deployed; off, its shortcuts are left as they are.
    deploy_shortcuts: bool = True
    # The plan compares with the workspace's live definitions, finding drift (as `--refresh`).
    refresh_before_deploy: bool = False
    # The deployment's events (its journal's: started, items, committed, failed, rolled back) go to the event
    # bus. Off, they are still written to the outbox, marked withheld: kept for the audit, never sent.
    publish_events: bool = True

    def as_dict(self) -> dict[str, bool | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def resolved(self, protected: bool) -> FeatureFlags:
        """Every flag decided: an unset `rollback_on_failure` is the environment's `protected`."""
        return self if self.rollback_on_failure is not None else replace(self, rollback_on_failure=protected)

    def with_values(self, values: Mapping[str, bool]) -> FeatureFlags:
        """These flags with `values` (known names only: the edge validated them) in their place."""
        return replace(self, **dict(values))


FLAG_NAMES: tuple[str, ...] = tuple(f.name for f in fields(FeatureFlags))
