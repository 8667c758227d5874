"""One setting names the Azure state store's account for both services: its name or any service URL.

The expected endpoints are written out by hand: Azure's documented host names
(https://ACCOUNT.table.core.windows.net, https://ACCOUNT.blob.core.windows.net, and the same under
another cloud's suffix).
"""

from __future__ import annotations

import pytest

from fabctl.adapters.state.azure_account import (
    AccountEndpoints,
    account_endpoints,
    connection_facts,
    container_name_problem,
    table_name_problem,
)

CONTOSO = AccountEndpoints("contoso", "https://contoso.table.core.windows.net", "https://contoso.blob.core.windows.net")
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@pytest.mark.parametrize(
    "given",
    [
        "contoso",
        " contoso ",
        "https://contoso.blob.core.windows.net",
        "https://contoso.blob.core.windows.net/",
        "https://contoso.table.core.windows.net",
        "https://contoso.dfs.core.windows.net",
        "https://contoso.queue.core.windows.net/",
        "https://CONTOSO.Blob.Core.Windows.Net",
    ],
)
def test_the_name_or_any_service_url_gives_both_endpoints(given: str) -> None:
    assert account_endpoints(given) == CONTOSO


def test_another_clouds_suffix_and_an_explicit_port_are_kept() -> None:
    assert account_endpoints("https://fabrikam.table.core.chinacloudapi.cn:443") == AccountEndpoints(
        "fabrikam",
        "https://fabrikam.table.core.chinacloudapi.cn:443",
        "https://fabrikam.blob.core.chinacloudapi.cn:443",
    )
    assert account_endpoints("https://gov1.blob.core.usgovcloudapi.net").table_url == (
        "https://gov1.table.core.usgovcloudapi.net"
    )


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("Contoso_Storage", "neither an account name"),
        ("ab", "neither an account name"),
        ("http://contoso.blob.core.windows.net", "https"),
        ("https://contoso.blob.core.windows.net/fabctl-state", "has a path"),
        ("https://example.com", "not a storage service's URL"),
        ("https://contoso.web.core.windows.net", "not a storage service's URL"),
        ("https://contoso.blob", "not a storage service's URL"),
        ("http://127.0.0.1:10000/devstoreaccount1", "storage_connection_string"),
        ("http://localhost:10002/devstoreaccount1", "storage_connection_string"),
        ("https://[::1]:10000/devstoreaccount1", "storage_connection_string"),
        ("https://contoso.blob.core.windows.net:notaport", "not a valid URL"),
    ],
)
def test_other_forms_are_refused_saying_what_to_give(given: str, said: str) -> None:
    with pytest.raises(ValueError, match="storage account URL") as refused:
        account_endpoints(given)

    assert said in str(refused.value)


@pytest.mark.parametrize(
    "given",
    [
        "https://contoso.blob.core.windows.net/?sv=2024-11-04&sig=TOPSECRET",
        "https://deployer:TOPSECRET@contoso.blob.core.windows.net",
    ],
)
def test_a_url_carrying_a_secret_is_refused_without_showing_it(given: str) -> None:
    with pytest.raises(ValueError, match="carries credentials") as refused:
        account_endpoints(given)

    assert "TOPSECRET" not in str(refused.value)


def test_a_connection_string_tells_how_it_signs_and_which_account_it_names() -> None:
    key = f"DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey={DEV_KEY};EndpointSuffix=core.windows.net"
    sas = "TableEndpoint=https://fabrikam.table.core.windows.net;BlobEndpoint=https://fabrikam.blob.core.windows.net;SharedAccessSignature=sv=1&sig=x"
    azurite = (
        f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DEV_KEY};"
        "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"
    )
    emulator_sas = "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;SharedAccessSignature=sv=1&sig=x"

    assert [(f.access, f.account) for f in map(connection_facts, [key, sas, azurite, emulator_sas])] == [
        ("key", "contoso"),
        ("sas", "fabrikam"),
        ("key", "devstoreaccount1"),
        ("sas", "devstoreaccount1"),
    ]
    assert connection_facts("UseDevelopmentStorage=true").account == "devstoreaccount1"


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("TOPSECRET", "is not one (KEY=VALUE"),
        ("AccountName=contoso;TOPSECRET", "is not one (KEY=VALUE"),
        ("AccountName=contoso;AccountKey=TOP SECRET!", "is not base64"),
        ("AccountName=contoso;Password=TOPSECRET", "names no credential"),
        ("BlobEndpoint=https://;SharedAccessSignature=sig=TOPSECRET", "names no account"),
    ],
)
def test_a_malformed_connection_string_is_refused_without_showing_it(given: str, said: str) -> None:
    with pytest.raises(ValueError, match="connection string") as refused:
        connection_facts(given)

    assert said in str(refused.value)
    assert "TOPSECRET" not in str(refused.value) and "TOP SECRET" not in str(refused.value)


@pytest.mark.parametrize("name", ["fabctlstate", "Team42State", "abc", "a" * 63])
def test_table_names_azure_accepts(name: str) -> None:
    assert table_name_problem(name) == ""


@pytest.mark.parametrize("name", ["ab", "1state", "fabctl-state", "fabctl_state", "a" * 64, "tables", "Tables"])
def test_table_names_azure_refuses(name: str) -> None:
    assert "letters and digits" in table_name_problem(name)


@pytest.mark.parametrize("name", ["fabctl-state", "abc", "1-2-3", "a" * 63])
def test_container_names_azure_accepts(name: str) -> None:
    assert container_name_problem(name) == ""


@pytest.mark.parametrize("name", ["ab", "Fabctl-State", "-state", "state-", "fab--ctl", "fab_ctl", "a" * 64])
def test_container_names_azure_refuses(name: str) -> None:
    assert "single hyphens" in container_name_problem(name)
