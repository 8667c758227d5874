"""Environments (dev, test, prod...) in promotion order, and what promoting into each requires."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from fabctl.domain.connections import DeclaredConnection
from fabctl.domain.errors import UnknownEnvironment
from fabctl.domain.feature_flags import FeatureFlags
from fabctl.domain.promotion_rules import RuleSet
from fabctl.domain.smoke_tests import SmokeTest
from fabctl.domain.validation.findings import ValidationSettings


@dataclass(frozen=True)
class PromotionPolicy:
    """Approvals required to promote into an environment, by item type."""

    default_approvals: int = 1
    approvals_by_type: Mapping[str, int] = field(default_factory=dict)
    rules: RuleSet = field(default_factory=RuleSet)  # per item type: templates, then the project's (ADR 0046)

    def required_approvals(self, item_types: Iterable[str]) -> int:
        counts = [self._approvals(t) for t in item_types]
        return max(counts, default=self.default_approvals)

    def _approvals(self, item_type: str) -> int:
        ruled = self.rules.for_type(item_type).approvals  # a rule's own count wins over approvals_by_type
        return ruled if ruled is not None else self.approvals_by_type.get(item_type, self.default_approvals)


@dataclass(frozen=True)
class Environment:
    name: str
    workspace_name: str = ""
    workspace_id: str = ""
    capacity_id: str = ""
    protected: bool = False
    promotion: PromotionPolicy = PromotionPolicy()
    # Scope and exclusions, from workspace-config.yaml or fabric-cicd's config.yml (parsed; empty = all).
    item_types_in_scope: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # regexes searched in "<Name>.<Type>"
    exclude_names: tuple[str, ...] = ()  # fabric-cicd publish.exclude_regex, searched in the item name
    folder_exclude: tuple[str, ...] = ()  # fabric-cicd publish.folder_exclude_regex, searched in "/<folder path>"
    items_to_include: tuple[str, ...] = ()  # fabric-cicd publish.items_to_include, "<Name>.<Type>"
    skip_publish: bool = False
    unpublish_exclude_names: tuple[str, ...] = ()  # fabric-cicd unpublish.exclude_regex, on the item name
    skip_unpublish: bool = False
    source_dir: str = ""  # fabric-cicd core.repository_directory, resolved against the config file
    parameter_file: str = ""  # fabric-cicd core.parameter, resolved against the config file
    features: FeatureFlags = field(default_factory=FeatureFlags)  # the flags set for it (see `flags`)
    validation: ValidationSettings = field(default_factory=ValidationSettings)  # the gates before a deployment writes
    smoke_tests: tuple[SmokeTest, ...] = ()  # checked after a deployment's writes (docs/smoke-tests.md)
    connections: tuple[DeclaredConnection, ...] = ()  # ensured before its items deploy (docs/connections.md)

    @property
    def flags(self) -> FeatureFlags:
        """The feature flags in force for a deployment into it, every one decided."""
        return self.features.resolved(self.protected)

    @property
    def target(self) -> str:
        return self.workspace_id or self.workspace_name


@dataclass(frozen=True)
class ReleaseConfig:
    """The environments of a workspace configuration file, in promotion order."""

    environments: tuple[Environment, ...]
    source: str = "workspace-config.yaml"
    standalone: bool = False  # made by the target alone (--workspace, --workspace-id), from no file

    def environment(self, name: str) -> Environment:
        for env in self.environments:
            if env.name == name:
                return env
        known = ", ".join(e.name for e in self.environments) or "none"
        raise UnknownEnvironment(
            f"no environment '{name}' (defined: {known})", subject=self.source, field="environments"
        )

    def next_after(self, name: str) -> Environment:
        names = [e.name for e in self.environments]
        index = names.index(self.environment(name).name)
        if index + 1 >= len(names):
            raise UnknownEnvironment(
                f"'{name}' is the last environment; there is nothing to promote it to",
                subject=self.source,
                field="environments",
            )
        return self.environments[index + 1]
