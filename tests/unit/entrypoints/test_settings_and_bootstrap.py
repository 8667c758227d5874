"""Settings come from FABCTL_* variables, then fabctl.toml, then the embedded defaults."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from fabctl.adapters.fabric.local_gateway import LocalFabricGateway
from fabctl.adapters.state.memory import InMemoryUnitOfWork
from fabctl.adapters.state.sqlite import SqliteUnitOfWork
from fabctl.adapters.system.clock import SystemClock
from fabctl.adapters.system.ids import UuidIdGenerator
from fabctl.application.errors import ConcurrencyConflict
from fabctl.application.ports import OutboxMessage
from fabctl.domain.errors import InvalidConfiguration
from fabctl.entrypoints.bootstrap import bootstrap
from fabctl.entrypoints.settings import load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [name for name in os.environ if name.startswith("FABCTL_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_the_embedded_defaults_keep_state_and_the_local_fabric_in_dot_fabctl(tmp_path: Path) -> None:
    app = bootstrap()

    assert isinstance(app.uow, SqliteUnitOfWork)
    assert isinstance(app.gateway, LocalFabricGateway)
    app.gateway.create_workspace("Scratch")
    with app.uow as uow:
        uow.inbox.add("m-1")
        uow.commit()
    assert sorted(p.name for p in (tmp_path / ".fabctl").glob("*.db")) == ["local-fabric.db", "state.db"]


def test_environment_variables_choose_the_adapters(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FABCTL_STATE_STORE", "memory")
    monkeypatch.setenv("FABCTL_FABRIC", "memory")
    monkeypatch.setenv("FABCTL_USER", "dana")

    app = bootstrap()

    assert isinstance(app.uow, InMemoryUnitOfWork)
    assert app.settings.user == "dana"
    assert not (tmp_path / ".fabctl").exists()


def test_a_config_file_sets_what_the_environment_does_not(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "fabctl.toml").write_text('state_dir = "elsewhere"\nuser = "from-file"\n')
    monkeypatch.setenv("FABCTL_USER", "from-env")

    settings = load_settings()

    assert settings.state_dir == Path("elsewhere")
    assert settings.user == "from-env"


def test_a_bad_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABCTL_STATE_STORE", "postgres")

    with pytest.raises(InvalidConfiguration) as caught:
        load_settings()

    assert caught.value.field == "state_store" and "FABCTL_STATE_STORE" in caught.value.message


@pytest.mark.parametrize("store", ["sqlite", "memory"])
def test_the_lease_term_is_a_setting_every_store_applies(monkeypatch: pytest.MonkeyPatch, store: str) -> None:
    monkeypatch.setenv("FABCTL_STATE_STORE", store)
    assert bootstrap().uow.lease_term == timedelta(minutes=15)  # the default: a dead runner blocks 15 minutes

    monkeypatch.setenv("FABCTL_LEASE_SECONDS", "20")

    assert bootstrap().uow.lease_term == timedelta(seconds=20)


@pytest.mark.parametrize("given", ["0", "-5", "ten", "86401"])
def test_a_lease_term_out_of_range_names_the_setting(monkeypatch: pytest.MonkeyPatch, given: str) -> None:
    monkeypatch.setenv("FABCTL_LEASE_SECONDS", given)

    with pytest.raises(InvalidConfiguration) as caught:
        load_settings()

    assert caught.value.field == "lease_seconds" and "FABCTL_LEASE_SECONDS" in caught.value.message


def test_an_unknown_key_in_the_config_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "fabctl.toml").write_text('stat_dir = "typo"\n')

    with pytest.raises(InvalidConfiguration) as caught:
        load_settings()

    assert caught.value.field == "stat_dir"


def test_a_fabric_url_selects_the_http_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    from fabctl.adapters.fabric.http.gateway import HttpxFabricGateway

    monkeypatch.setenv("FABCTL_FABRIC_URL", "http://127.0.0.1:9/v1")

    app = bootstrap()

    assert app.settings.fabric == "http"
    assert isinstance(app.gateway, HttpxFabricGateway)


def test_the_http_gateway_needs_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABCTL_FABRIC", "http")

    with pytest.raises(InvalidConfiguration) as caught:
        load_settings()

    assert "fabric_url" in caught.value.message


def test_the_storage_connection_string_is_kept_out_of_every_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    from fabctl.entrypoints.settings import connection_string

    monkeypatch.setenv("FABCTL_STORAGE_CONNECTION_STRING", "AccountName=a;AccountKey=TOPSECRET")

    settings = load_settings()

    assert connection_string(settings) == "AccountName=a;AccountKey=TOPSECRET"
    for rendering in (repr(settings), str(settings), settings.model_dump_json(), str(settings.model_dump())):
        assert "TOPSECRET" not in rendering


def test_an_undecodable_connection_string_is_refused_without_showing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABCTL_STORAGE_CONNECTION_STRING", "AccountKey=TOPSECRET\udc80")

    with pytest.raises(InvalidConfiguration) as caught:
        load_settings()

    assert caught.value.field == "storage_connection_string"
    assert "not UTF-8" in caught.value.message and "TOPSECRET" not in str(caught.value)


def test_the_azure_store_is_chosen_only_by_state_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """Naming an account does not switch stores: that would start on an empty journal."""
    monkeypatch.setenv("FABCTL_STORAGE_ACCOUNT_URL", "https://contoso.table.core.windows.net")

    settings = load_settings()

    assert settings.state_store == "sqlite"
    assert settings.storage_account_url == "https://contoso.table.core.windows.net"


class ConflictingOnce(InMemoryUnitOfWork):
    """A store whose first commit meets a concurrent change, as a shared Azure store's may."""

    conflicts = 1

    def _commit(self) -> None:
        if self.conflicts:
            self.conflicts -= 1
            raise ConcurrencyConflict("promotion p-1 was changed by another unit of work", subject="promotion p-1")
        super()._commit()


def test_the_bootstrapped_bus_runs_again_a_command_that_met_a_concurrent_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the retry wired in, two runners approving one promotion at once lost one approval
    (tests/integration/test_shared_azure_promotions.py): the retry existed, the composition root left it out."""
    monkeypatch.setenv("FABCTL_STATE_STORE", "memory")
    monkeypatch.setenv("FABCTL_FABRIC", "memory")
    store = ConflictingOnce(SystemClock(), UuidIdGenerator())
    app = bootstrap(uow=store)
    with store:
        store.outbox.add(OutboxMessage("m-1", "Noted", {}, SystemClock().now()))
        store.conflicts = 0
        store.commit()
    store.conflicts = 1

    assert app.bus.relay_outbox() == 1  # the first attempt's commit conflicted; the second one's went through
    assert store.conflicts == 0
    with store:
        assert store.outbox.pending() == []
