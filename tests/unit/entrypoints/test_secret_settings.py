"""The secret settings: a Key Vault URL is https and a vault host (or loopback, for tests); without one the
environment and a .env file are the store; the cache TTL is a bounded number of seconds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fabctl.adapters.secrets.environment import EnvironmentSecretStore
from fabctl.adapters.secrets.keyvault import KeyVaultSecretStore
from fabctl.domain.errors import InvalidConfiguration
from fabctl.entrypoints.bootstrap import bootstrap
from fabctl.entrypoints.settings import load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [name for name in os.environ if name.startswith("FABCTL_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://contoso-prod.vault.azure.net", "https://contoso-prod.vault.azure.net"),
        ("https://contoso-prod.vault.azure.net/", "https://contoso-prod.vault.azure.net"),
        ("  https://kv1.vault.azure.cn ", "https://kv1.vault.azure.cn"),
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
    ],
)
def test_a_vault_url_is_kept_without_its_trailing_slash(monkeypatch: pytest.MonkeyPatch, given: str, kept: str) -> None:
    monkeypatch.setenv("FABCTL_KEY_VAULT_URL", given)
    assert load_settings().key_vault_url == kept


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("http://contoso.vault.azure.net", "must use https"),
        ("https://contoso.blob.core.windows.net", "is not a Key Vault host"),
        ("https://evil.example/contoso.vault.azure.net", "the vault's URL alone"),
        ("https://contoso.vault.azure.net.evil.example", "is not a Key Vault host"),
        ("https://a.b.vault.azure.net", "is not a Key Vault host"),
        ("https://contoso.vault.azure.net/secrets/x", "the vault's URL alone"),
        ("https://user:pw@contoso.vault.azure.net", "the vault's URL alone"),
        ("https://contoso.vault.azure.net:99999", "is not a URL"),
    ],
)
def test_a_bad_vault_url_is_one_message_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, given: str, says: str
) -> None:
    monkeypatch.setenv("FABCTL_KEY_VAULT_URL", given)
    with pytest.raises(InvalidConfiguration) as refused:
        load_settings()
    assert refused.value.field == "key_vault_url"
    assert says in refused.value.message and "FABCTL_KEY_VAULT_URL" in refused.value.message


@pytest.mark.parametrize("given", ["-1", "86401", "soon"])
def test_the_cache_ttl_is_bounded_seconds(monkeypatch: pytest.MonkeyPatch, given: str) -> None:
    monkeypatch.setenv("FABCTL_SECRET_CACHE_SECONDS", given)
    with pytest.raises(InvalidConfiguration) as refused:
        load_settings()
    assert refused.value.field == "secret_cache_seconds"


def test_without_a_vault_secrets_come_from_the_environment_then_the_env_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("DB_PASSWORD=from-file\nexport API_TOKEN='quoted value'\n", encoding="utf-8")
    monkeypatch.setenv("FABCTL_STATE_STORE", "memory")
    monkeypatch.setenv("FABCTL_FABRIC", "memory")
    app = bootstrap()
    assert isinstance(app.secrets, EnvironmentSecretStore)
    assert app.secrets.get_secret("API_TOKEN") == "quoted value"
    assert app.secrets.get_secret("DB_PASSWORD") == "from-file"
    monkeypatch.setenv("DB_PASSWORD", "from-environment")
    assert app.secrets.get_secret("DB-PASSWORD") == "from-environment"  # dashes read as underscores


def test_a_secret_in_neither_place_names_both(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env_file = tmp_path / "ci.env"
    env_file.write_text("OTHER=x\n", encoding="utf-8")
    monkeypatch.setenv("FABCTL_SECRETS_ENV_FILE", str(env_file))
    store = bootstrap(load_settings(state_store="memory", fabric="memory")).secrets
    with pytest.raises(KeyError) as caught:
        store.get_secret("NOT_THERE")
    assert caught.value.args[0] == f"secret NOT_THERE: not in the environment (as NOT_THERE) or .env at {env_file}"


def test_an_unreadable_env_file_is_one_message_naming_it(tmp_path: Path) -> None:
    env_file = tmp_path / "bad.env"
    env_file.write_bytes(b"TOKEN=\xff\xfe\n")
    store = EnvironmentSecretStore(env_file, {})
    with pytest.raises(InvalidConfiguration) as refused:
        store.get_secret("TOKEN")
    assert refused.value.subject == str(env_file) and "not UTF-8" in refused.value.message


def test_a_vault_url_selects_the_key_vault_store_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABCTL_KEY_VAULT_URL", "https://contoso.vault.azure.net")
    monkeypatch.setenv("FABCTL_SECRET_CACHE_SECONDS", "42")
    app = bootstrap(load_settings(state_store="memory", fabric="memory"))
    assert isinstance(app.secrets, KeyVaultSecretStore)
    assert app.secrets.vault_url == "https://contoso.vault.azure.net"
    assert app.secrets._ttl == 42
    assert app.reader.read_parameters("missing.yml").secrets is app.secret_values
