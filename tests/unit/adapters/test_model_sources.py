"""A semantic model's data sources, read from the M expressions of its TMDL parts."""

from __future__ import annotations

from fabctl.adapters.fabric.model_sources import DataSource, data_sources, is_model_expression_part

PARTITION = """table Orders
\tpartition Orders = m
\t\tmode: import
\t\tsource =
\t\t\t\tlet
\t\t\t\t\tSource = Sql.Database("contoso.database.windows.net", "sales"),
\t\t\t\t\tOrders = Source{[Schema="dbo",Item="Orders"]}[Data]
\t\t\t\tin
\t\t\t\t\tOrders
"""


def test_a_sql_database_source_is_its_server_and_database() -> None:
    assert data_sources([PARTITION]) == [DataSource("SQL", "contoso.database.windows.net;sales")]


def test_the_lake_and_web_connectors_are_their_url() -> None:
    text = (
        'a = AzureStorage.DataLake("https://lake.dfs.core.windows.net/landing"),\n'
        'b = Json.Document(Web.Contents( "https://api.contoso.com/rates" ))\n'
    )

    assert data_sources([text]) == [
        DataSource("AzureDataLakeStorage", "https://lake.dfs.core.windows.net/landing"),
        DataSource("Web", "https://api.contoso.com/rates"),
    ]


def test_sources_are_listed_once_in_the_order_they_first_appear() -> None:
    first = 'x = Web.Contents("https://b/"), y = Sql.Database("s", "d")'
    second = 'z = Sql.Database("S", "D"), w = Web.Contents("https://b"), v = Sql.Database("s2", "d")'

    assert data_sources([first, second]) == [
        DataSource("Web", "https://b/"),
        DataSource("SQL", "s;d"),
        DataSource("SQL", "s2;d"),
    ]


def test_a_doubled_quote_is_one_quote_of_the_literal() -> None:
    assert data_sources(['Web.Contents("https://x/?q=""a""")']) == [DataSource("Web", 'https://x/?q="a"')]


def test_arguments_that_are_not_text_literals_give_no_source() -> None:
    texts = [
        'Sql.Database(Server, "sales")',
        'Sql.Database("server")',  # the one-argument form is Sql.Databases' job, not a database
        'Web.Contents(BaseUrl & "/x")',
        'My.Sql.Database("s", "d")',  # another function whose name ends the same way
        "model Model\n\tculture: en-US\n",
    ]

    assert data_sources(texts) == []


def test_only_tmdl_parts_hold_expressions() -> None:
    assert is_model_expression_part("definition/tables/Orders.tmdl")
    assert is_model_expression_part("definition/expressions.TMDL")
    assert not is_model_expression_part("definition.pbism")
    assert not is_model_expression_part("model.bim")
