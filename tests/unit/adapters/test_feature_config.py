"""Feature flags read from workspace-config.yaml and FABCTL_FEATURE_*: precedence, and refusals naming
the file and field or the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabctl.adapters.source.config_files import read_release_config
from fabctl.adapters.source.feature_config import environment_overrides
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.feature_flags import FeatureFlags

CONFIG = """\
features:
  delete_orphans: true
  deploy_shortcuts: false
environments:
  dev:
    workspace: Sales (dev)
    features:
      deploy_shortcuts: true
  prod:
    workspace: Sales (prod)
    protected: true
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "workspace-config.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture(autouse=True)
def no_feature_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in [n for n in os.environ if n.upper().startswith("FABCTL_FEATURE_")]:
        monkeypatch.delenv(name)


def test_an_environment_takes_the_top_level_flags_and_its_own_over_them(tmp_path: Path) -> None:
    config = read_release_config(write(tmp_path, CONFIG))

    dev, prod = config.environment("dev").flags, config.environment("prod").flags

    assert dev == FeatureFlags(rollback_on_failure=False, delete_orphans=True, deploy_shortcuts=True)
    # rollback_on_failure unset: the environment's `protected`, as before flags existed
    assert prod == FeatureFlags(rollback_on_failure=True, delete_orphans=True, deploy_shortcuts=False)


def test_a_variable_overrides_the_file_for_every_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABCTL_FEATURE_ROLLBACK_ON_FAILURE", "No")
    monkeypatch.setenv("FABCTL_FEATURE_DELETE_ORPHANS", "0")

    config = read_release_config(write(tmp_path, CONFIG))

    assert {e.name: (e.flags.rollback_on_failure, e.flags.delete_orphans) for e in config.environments} == {
        "dev": (False, False),
        "prod": (False, False),
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("1", True), ("YES", True), (" on ", True), ("false", False), ("0", False), ("no", False)],
)
def test_variable_values(text: str, value: bool) -> None:
    assert environment_overrides({"FABCTL_FEATURE_REFRESH_BEFORE_DEPLOY": text}) == {"refresh_before_deploy": value}


@pytest.mark.parametrize(
    ("variable", "text", "message"),
    [
        ("FABCTL_FEATURE_DELETE_ORPHANS", "maybe", "must be true or false (or 1/0, yes/no)"),
        ("FABCTL_FEATURE_DELETE_ORPHAN", "true", "is not a feature flag; known: FABCTL_FEATURE_ROLLBACK_ON_FAILURE"),
    ],
)
def test_a_bad_variable_is_named(variable: str, text: str, message: str) -> None:
    with pytest.raises(InvalidConfiguration) as raised:
        environment_overrides({variable: text})

    assert raised.value.subject == variable and raised.value.message.startswith(message)


@pytest.mark.parametrize(
    ("features", "field", "message"),
    [
        (
            "{rollback_on_faliure: true}",
            "environments.prod.features.rollback_on_faliure",
            "unknown feature flag (did you mean 'rollback_on_failure'?); known: rollback_on_failure, delete_orphans",
        ),
        ("{delete_orphans: 'yes'}", "environments.prod.features.delete_orphans", "must be true or false (got 'yes')"),
        ("[delete_orphans]", "environments.prod.features", "must be a mapping of feature flags to true or false"),
    ],
)
def test_a_bad_flag_in_the_file_is_named_by_file_and_field(
    tmp_path: Path, features: str, field: str, message: str
) -> None:
    path = write(tmp_path, f"environments:\n  prod:\n    workspace: P\n    features: {features}\n")

    with pytest.raises(InvalidConfiguration) as raised:
        read_release_config(path)

    assert (raised.value.subject, raised.value.field) == (path, field)
    assert raised.value.message.startswith(message)


def test_a_bad_top_level_flag_is_named_too(tmp_path: Path) -> None:
    path = write(tmp_path, "features: {publish_webhooks: false}\nenvironments:\n  dev:\n    workspace: D\n")

    with pytest.raises(InvalidConfiguration) as raised:
        read_release_config(path)

    assert raised.value.field == "features.publish_webhooks" and "unknown feature flag" in raised.value.message
