"""`$secret:NAME` in parameter.yml as users write it: kept as a marker when the file is read (no secret is read
then), refused anywhere but a whole replace_value, and bound from the rules' secret store."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabctl.adapters.secrets.memory import InMemorySecretStore
from fabctl.adapters.source.config_files import read_parameters
from fabctl.domain.binding import BindingContext, bind
from fabctl.domain.definition import DefinitionPart, ItemDefinition
from fabctl.domain.errors import InvalidConfiguration
from fabctl.domain.items import Item, ItemKey
from fabctl.domain.redaction import SecretValues


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "parameter.yml"
    path.write_text(text, "utf-8")
    return str(path)


class NoReads:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, name: str) -> str:
        self.asked.append(name)
        raise KeyError(f"secret {name}: not here")


def test_the_marker_is_kept_and_nothing_is_read_with_the_file(tmp_path: Path) -> None:
    reads = NoReads()
    path = write(
        tmp_path,
        "find_replace:\n  - {find_value: TOKEN, replace_value: {dev: '$secret:DEV_TOKEN', prod: '$secret:prod-tok'}}\n"
        "key_value_replace:\n  - {find_key: $.password, replace_value: {dev: '$secret:DB_PASSWORD'}}\n",
    )

    rules = read_parameters(path, secrets=SecretValues(reads))

    assert rules.find_replace[0].replace == {"dev": "$secret:DEV_TOKEN", "prod": "$secret:prod-tok"}
    assert rules.key_value_replace[0].replace == {"dev": "$secret:DB_PASSWORD"}
    assert reads.asked == []


@pytest.mark.parametrize(
    ("text", "field", "says"),
    [
        (
            "find_replace:\n  - {find_value: TOKEN, replace_value: {dev: 'Password=$secret:PW;'}}\n",
            "find_replace[0].replace_value.dev",
            "must be the whole value",
        ),
        (
            "find_replace:\n  - {find_value: TOKEN, replace_value: {dev: '$secret:bad name'}}\n",
            "find_replace[0].replace_value.dev",
            "1 to 127 letters, digits, dashes or underscores",
        ),
        (
            "find_replace:\n  - {find_value: '$secret:PW', replace_value: {dev: x}}\n",
            "find_replace[0].find_value",
            "taken only as a replace_value",
        ),
        (
            "semantic_model_binding:\n  default:\n    connection_id: {dev: '$secret:CONN'}\n",
            "semantic_model_binding.default.connection_id.dev",
            "taken only as a replace_value",
        ),
    ],
)
def test_a_marker_anywhere_else_is_one_error_naming_the_field(tmp_path: Path, text: str, field: str, says: str) -> None:
    with pytest.raises(InvalidConfiguration) as raised:
        read_parameters(write(tmp_path, text))
    assert raised.value.field == field and says in raised.value.message


def test_binding_reads_the_secret_and_errors_after_show_the_marker(tmp_path: Path) -> None:
    store = InMemorySecretStore({"DEV_TOKEN": "s3cr3t-value-91"})
    values = SecretValues(store.get_secret)
    rules = read_parameters(
        write(tmp_path, "find_replace:\n  - {find_value: TOKEN, replace_value: {dev: '$secret:DEV_TOKEN'}}\n"),
        secrets=values,
    )
    item = Item(
        ItemKey("Notebook", "Load"), definition=ItemDefinition.of([DefinitionPart.from_text("nb.py", "x = 'TOKEN'")])
    )
    context = BindingContext(
        "dev", "ws-id", "Sales (dev)", {}, {}, resolve=lambda v: rules.secret(v.removeprefix("$secret:"))
    )

    bound = bind(item, rules, context)

    part = bound.part("nb.py")
    assert part is not None and part.text == "x = 's3cr3t-value-91'"
    assert rules.redactions().redact("failed near s3cr3t-value-91") == "failed near $secret:DEV_TOKEN"
    assert values.seal(b"x = 's3cr3t-value-91'") == b"x = '\x00$secret:DEV_TOKEN\x00'"
    assert values.unseal(values.seal(b"x = 's3cr3t-value-91'")) == b"x = 's3cr3t-value-91'"


def test_a_marker_in_the_workspace_configuration_is_refused_saying_where_secrets_go(tmp_path: Path) -> None:
    from fabctl.adapters.source.config_files import read_release_config

    path = tmp_path / "workspace-config.yaml"
    path.write_text("environments:\n  dev:\n    workspace: '$secret:WS'\n", "utf-8")

    with pytest.raises(InvalidConfiguration) as raised:
        read_release_config(str(path))

    assert (
        raised.value.field == "environments.dev.workspace" and "replace_value in parameter.yml" in raised.value.message
    )
