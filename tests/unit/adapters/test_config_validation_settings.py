"""The `validation:` block of an environment in workspace-config.yaml, validated like the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabctl.adapters.source.config_files import read_release_config
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.validation.findings import CHECKS, NOTEBOOKS_COMPILE, SECRETS, ForbiddenPattern, Level


def config(tmp_path: Path, validation: str) -> str:
    path = tmp_path / "workspace-config.yaml"
    path.write_text(f'environments:\n  prod:\n    workspace: "P"\n    validation: {validation}\n', "utf-8")
    return str(path)


def test_every_check_is_an_error_by_default(tmp_path: Path) -> None:
    path = tmp_path / "workspace-config.yaml"
    path.write_text('environments:\n  dev:\n    workspace: "D"\n', "utf-8")
    settings = read_release_config(str(path)).environment("dev").validation
    assert [settings.level(c) for c in CHECKS] == [Level.ERROR] * 4 and settings.forbidden == ()


def test_levels_and_forbidden_patterns_are_read(tmp_path: Path) -> None:
    text = "{notebooks_compile: warning, secrets: 'off', forbidden: [{pattern: 'contoso-?dev', why: the dev account}]}"
    settings = read_release_config(config(tmp_path, text)).environment("prod").validation
    assert settings.level(NOTEBOOKS_COMPILE) is Level.WARNING and settings.level(SECRETS) is Level.OFF
    assert settings.forbidden == (ForbiddenPattern("contoso-?dev", "the dev account"),)


def test_a_bare_off_is_off_not_false(tmp_path: Path) -> None:
    settings = read_release_config(config(tmp_path, "{secrets: off}")).environment("prod").validation
    assert settings.level(SECRETS) is Level.OFF


@pytest.mark.parametrize(
    ("validation", "field", "says"),
    [
        ("{notebook_compile: warning}", "environments.prod.validation.notebook_compile", "notebooks_compile"),
        ("{secrets: fatal}", "environments.prod.validation.secrets", "'error', 'warning' or 'off'"),
        ("{forbidden: [{pattern: '(dev'}]}", "environments.prod.validation.forbidden[0].pattern", "invalid regex"),
        ("{forbidden: [{why: x}]}", "environments.prod.validation.forbidden[0].pattern", "is required"),
        ("[error]", "environments.prod.validation", "mapping"),
    ],
)
def test_a_mistake_names_its_field(tmp_path: Path, validation: str, field: str, says: str) -> None:
    with pytest.raises(InvalidConfiguration) as raised:
        read_release_config(config(tmp_path, validation))
    assert raised.value.field == field
    assert says in raised.value.message
