"""The Azure state store's settings, wrong in every way a user can get them wrong, through the real CLI
against Azurite: exit code 2, one line naming the setting (and the permission that is missing), no
traceback, the secret in no output, and nothing written, neither in the account nor in the working
directory. The command is `fabctl tx list`, the cheapest that opens the state store (a deploy, too,
is refused before it starts). The local Fabric is the in-memory one, so a refused command leaves the
working directory as it was.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from azurite_contents import account, account_sas, contents, sas_connection_string, signature
from azurite_process import ACCOUNT_KEY, RunningAzurite, fresh_name, running_azurite
from cli import EXAMPLE
from deploy_process import environment, fabctl
from refusals import assert_user_error, field

SECRET = "TOPSECRET0d5b2e7c"  # put in every malformed secret: it must appear in no output
WRONG_KEY = base64.b64encode(b"not the account key, but 64 bytes of it, as keys are; 0123456789").decode()


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAzurite]:
    with running_azurite(tmp_path_factory.mktemp("azurite")) as running:
        yield running


@pytest.fixture
def names() -> dict[str, str]:
    """Names no other test uses, so the account's contents before and after are this test's to compare."""
    return {"FABCTL_STATE_TABLE": fresh_name("state"), "FABCTL_STATE_CONTAINER": fresh_name("blobs")}


def files(cwd: Path) -> list[str]:
    return sorted(str(p.relative_to(cwd)) for p in cwd.rglob("*"))


def run(cwd: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return fabctl(cwd, *args, env=environment(FABCTL_STATE_STORE="azure", FABCTL_FABRIC="memory", **settings))


def refused(
    cwd: Path,
    azurite: RunningAzurite,
    *fragments: str,
    secret: str = "",
    args: tuple[str, ...] = ("tx", "list"),
    **settings: str,
) -> str:
    """`fabctl ARGS` with `settings` refused in one line holding `fragments`; `secret` shown nowhere, even
    in `-o json`; the account and the working directory unchanged."""
    before, files_before = contents(azurite), files(cwd)

    line = assert_user_error(result := run(cwd, *args, **settings), *fragments)
    as_json = run(cwd, *args, "-o", "json", **settings)

    assert as_json.returncode == 2 and json.loads(as_json.stdout)["error"]["message"] in line
    if secret:
        for output in (result.stdout, result.stderr, as_json.stdout, as_json.stderr):
            assert secret not in output
    assert contents(azurite) == before
    assert files(cwd) == files_before
    return line


def key_connection_string(azurite: RunningAzurite, key: str = ACCOUNT_KEY) -> str:
    return azurite.connection_string.replace(ACCOUNT_KEY, key)


# --- which account --------------------------------------------------------------------------------


def test_the_azure_store_without_an_account_names_both_settings(tmp_path: Path, azurite: RunningAzurite) -> None:
    refused(
        tmp_path,
        azurite,
        field("storage_account_url"),
        "FABCTL_STORAGE_ACCOUNT_URL",
        "FABCTL_STORAGE_CONNECTION_STRING",
        "set by FABCTL_STATE_STORE",
    )


def test_an_account_named_twice_is_refused(tmp_path: Path, azurite: RunningAzurite, names: dict[str, str]) -> None:
    refused(
        tmp_path,
        azurite,
        "keep one",
        "set by FABCTL_STORAGE_ACCOUNT_URL",
        "set by FABCTL_STORAGE_CONNECTION_STRING",
        secret=ACCOUNT_KEY,
        FABCTL_STORAGE_ACCOUNT_URL="contoso",
        FABCTL_STORAGE_CONNECTION_STRING=azurite.connection_string,
        **names,
    )


def test_an_emulators_url_is_refused_pointing_to_its_connection_string(tmp_path: Path, azurite: RunningAzurite) -> None:
    line = refused(tmp_path, azurite, field("storage_account_url"), FABCTL_STORAGE_ACCOUNT_URL=azurite.blob_url)

    assert "storage_connection_string" in line


def test_a_url_with_a_sas_in_it_is_refused_without_showing_it(tmp_path: Path, azurite: RunningAzurite) -> None:
    url = f"https://contoso.blob.core.windows.net/?sv=2024-11-04&sig={SECRET}"

    refused(
        tmp_path,
        azurite,
        field("storage_account_url"),
        "carries credentials",
        secret=SECRET,
        FABCTL_STORAGE_ACCOUNT_URL=url,
    )


@pytest.mark.parametrize(
    ("setting", "name"), [("FABCTL_STATE_TABLE", "fabctl-state"), ("FABCTL_STATE_CONTAINER", "Fabctl_State")]
)
def test_a_name_azure_refuses_is_refused_before_any_request(
    tmp_path: Path, azurite: RunningAzurite, setting: str, name: str
) -> None:
    key = setting.removeprefix("FABCTL_").lower()
    refused(
        tmp_path,
        azurite,
        field(key),
        f"'{name}'",
        f"set by {setting}",
        FABCTL_STORAGE_CONNECTION_STRING=azurite.connection_string,
        **{setting: name},
    )


# --- the connection string ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("connection_string", "said"),
    [
        (f"{SECRET};not a connection string", "is not one (KEY=VALUE"),
        (f"AccountName=devstoreaccount1;AccountKey={SECRET}!", "AccountKey is not base64"),
        (f"AccountName=devstoreaccount1;Password={SECRET}", "names no credential"),
        (f"TableEndpoint=AZURITE_TABLES;SharedAccessSignature=sig={SECRET}", "gives no blob endpoint"),
    ],
)
def test_a_malformed_connection_string_is_refused_without_showing_it(
    tmp_path: Path, azurite: RunningAzurite, names: dict[str, str], connection_string: str, said: str
) -> None:
    refused(
        tmp_path,
        azurite,
        field("storage_connection_string"),
        said,
        "set by FABCTL_STORAGE_CONNECTION_STRING",
        secret=SECRET,
        FABCTL_STORAGE_CONNECTION_STRING=connection_string.replace("AZURITE_TABLES", azurite.table_url),
        **names,
    )


def test_a_wrong_account_key_is_refused_without_showing_it(
    tmp_path: Path, azurite: RunningAzurite, names: dict[str, str]
) -> None:
    refused(
        tmp_path,
        azurite,
        field("storage_connection_string"),
        "refuses the account key",
        "403",
        "copy the connection string again",
        secret=WRONG_KEY,
        FABCTL_STORAGE_CONNECTION_STRING=key_connection_string(azurite, WRONG_KEY),
        **names,
    )


def test_a_connection_string_in_fabctl_toml_is_named_there_and_not_shown(
    tmp_path: Path, azurite: RunningAzurite, names: dict[str, str]
) -> None:
    wrong = key_connection_string(azurite, WRONG_KEY)
    (tmp_path / "fabctl.toml").write_text(f'storage_connection_string = "{wrong}"\n', encoding="utf-8")

    refused(tmp_path, azurite, "set by 'storage_connection_string' in fabctl.toml", secret=WRONG_KEY, **names)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_host_that_refuses_connections_is_named_at_once(
    tmp_path: Path, azurite: RunningAzurite, names: dict[str, str]
) -> None:
    nowhere = f"http://127.0.0.1:{closed_port()}/devstoreaccount1"
    dead = f"AccountName=devstoreaccount1;AccountKey={ACCOUNT_KEY};TableEndpoint={nowhere};BlobEndpoint={nowhere}"

    refused(
        tmp_path,
        azurite,
        field("storage_connection_string"),
        f"the table service at {nowhere}",
        "does not answer (connection refused)",
        secret=ACCOUNT_KEY,
        FABCTL_STORAGE_CONNECTION_STRING=dead,
        **names,
    )


def test_a_host_that_never_answers_is_given_up_on(
    tmp_path: Path, azurite: RunningAzurite, names: dict[str, str]
) -> None:
    """A listening socket nobody reads: the connection is made and no answer comes. The checks'
    short timeouts end the command (the subprocess limit, 180 s, would fail a hang)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        mute = f"http://127.0.0.1:{silent.getsockname()[1]}/devstoreaccount1"
        connection_string = (
            f"AccountName=devstoreaccount1;AccountKey={ACCOUNT_KEY};TableEndpoint={mute};BlobEndpoint={mute}"
        )
        before = contents(azurite)

        line = assert_user_error(
            run(tmp_path, "tx", "list", FABCTL_STORAGE_CONNECTION_STRING=connection_string, **names)
        )

    assert "does not answer (timed out)" in line and field("storage_connection_string") in line
    assert contents(azurite) == before


# --- the table and the container ------------------------------------------------------------------


def test_with_creation_refused_a_missing_table_is_named_and_nothing_is_created(
    tmp_path: Path, azurite: RunningAzurite, names: dict[str, str]
) -> None:
    line = refused(
        tmp_path,
        azurite,
        field("state_table"),
        f"table '{names['FABCTL_STATE_TABLE']}' does not exist",
        "state_create is false (set by FABCTL_STATE_CREATE)",
        FABCTL_STATE_CREATE="false",
        FABCTL_STORAGE_CONNECTION_STRING=azurite.connection_string,
        **names,
    )

    assert names["FABCTL_STATE_CONTAINER"] not in contents(azurite)["containers"]
    assert ACCOUNT_KEY not in line


def test_with_creation_refused_a_missing_container_is_named(
    tmp_path: Path, azurite: RunningAzurite, names: dict[str, str]
) -> None:
    with account(azurite) as (tables, _):
        tables.create_table(names["FABCTL_STATE_TABLE"])

    refused(
        tmp_path,
        azurite,
        field("state_container"),
        f"container '{names['FABCTL_STATE_CONTAINER']}' does not exist",
        "state_create is false",
        FABCTL_STATE_CREATE="0",
        FABCTL_STORAGE_CONNECTION_STRING=azurite.connection_string,
        **names,
    )


# --- what the identity may do ---------------------------------------------------------------------


def test_a_read_only_sas_is_refused_naming_the_permission_before_anything_is_created(
    tmp_path: Path, azurite: RunningAzurite, names: dict[str, str]
) -> None:
    token = account_sas("rl")

    refused(
        tmp_path,
        azurite,
        field("storage_connection_string"),
        "the shared access signature may not write to table",
        "403 AuthorizationPermissionMismatch",
        "add, update, write and delete (a, u, w, d)",
        "sp=rwdlacu",
        secret=signature(token),
        FABCTL_STORAGE_CONNECTION_STRING=sas_connection_string(azurite, token),
        **names,
    )


def test_a_deploy_with_a_read_only_sas_is_refused_before_it_starts(
    tmp_path: Path, azurite: RunningAzurite, names: dict[str, str]
) -> None:
    """The table and container exist (made with the key), so only the write is missing."""
    with account(azurite) as (tables, blobs):
        tables.create_table(names["FABCTL_STATE_TABLE"])
        blobs.create_container(names["FABCTL_STATE_CONTAINER"])
    shutil.copytree(EXAMPLE, tmp_path / "sales-workspace")
    token = account_sas("rl")

    refused(
        tmp_path,
        azurite,
        "may not write to table",
        "(a, u, w, d)",
        secret=signature(token),
        args=("deploy", "sales-workspace", "--env", "dev", "--user", "dora"),
        FABCTL_STORAGE_CONNECTION_STRING=sas_connection_string(azurite, token),
        **names,
    )


# --- and when all is right ------------------------------------------------------------------------


def test_a_usable_account_gets_its_table_and_container_and_the_command_runs(
    tmp_path: Path, azurite: RunningAzurite, names: dict[str, str]
) -> None:
    """Needs `AzureStorageUnitOfWork` (fabctl.adapters.state.azure_storage) to build the store."""
    result = run(
        tmp_path, "tx", "list", "-o", "json", FABCTL_STORAGE_CONNECTION_STRING=azurite.connection_string, **names
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == []
    found = contents(azurite)
    assert names["FABCTL_STATE_TABLE"] in found["tables"] and names["FABCTL_STATE_CONTAINER"] in found["containers"]
