"""principals.yaml: nested groups, one principal under each of its names, cycles and bad entries refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabctl.adapters.directory.principals_file import PrincipalsFileDirectory
from fabctl.domain.errors import InvalidConfiguration, NotFound

ALICE_OID = "6f1c0000-0000-0000-0000-00000000a11c"
BOT_APP = "0b3e0000-0000-0000-0000-000000000b07"

PRINCIPALS = f"""
users:
  - {{upn: alice@contoso.com, object_id: {ALICE_OID}}}
service_principals:
  - {{app_id: {BOT_APP}, object_id: 9d2a0000-0000-0000-0000-000000000b07, name: release-bot}}
groups:
  - {{name: change-board, members: [{ALICE_OID}]}}
  - {{name: prod-approvers, members: [change-board, carol@contoso.com, 9D2A0000-0000-0000-0000-000000000B07]}}
"""


def directory(tmp_path: Path, text: str = PRINCIPALS) -> PrincipalsFileDirectory:
    (tmp_path / "principals.yaml").write_text(text, encoding="utf-8")
    return PrincipalsFileDirectory.next_to(str(tmp_path / "workspace-config.yaml"))


def test_members_by_upn_object_id_app_id_and_nesting(tmp_path: Path) -> None:
    d = directory(tmp_path)
    assert d.is_member("prod-approvers", actor="ALICE@contoso.com")  # by object id, through change-board
    assert d.is_member("prod-approvers", actor="carol@contoso.com")
    assert d.is_member("prod-approvers", actor=BOT_APP)  # listed by its object id, signed in by app id
    assert not d.is_member("prod-approvers", actor="bob@contoso.com")
    assert not d.is_member("change-board", actor="carol@contoso.com")
    assert not d.is_member("prod-approvers", actor="alice")  # another account until proven the same


def test_unknown_group_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no group 'approvers'"):
        directory(tmp_path).is_member("approvers", actor="alice@contoso.com")


def test_cycles_are_refused_naming_them(tmp_path: Path) -> None:
    text = "groups:\n  - {name: a, members: [b]}\n  - {name: b, members: [a]}\n"
    with pytest.raises(InvalidConfiguration, match="a -> b -> a"):
        directory(tmp_path, text).is_member("a", actor="x@contoso.com")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("groups:\n  - {name: a, memebers: [x]}\n", "groups[0].memebers"),
        ("users:\n  - {object_id: x}\n", "users[0].upn"),
        ("groups:\n  - {name: a, members: ['\u0430lice@contoso.com']}\n", "groups[0].members"),
    ],
)
def test_bad_entries_name_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(InvalidConfiguration) as raised:
        directory(tmp_path, text).is_member("a", actor="x@contoso.com")
    assert raised.value.field == field and raised.value.subject.endswith("principals.yaml")


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfiguration, match="not found"):
        PrincipalsFileDirectory.next_to(str(tmp_path / "workspace-config.yaml")).is_member("a", actor="x@c.com")
