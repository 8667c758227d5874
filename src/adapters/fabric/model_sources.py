"""The data sources of a semantic model, read from the Power Query (M) expressions of its TMDL parts.

Fabric lists a model's data sources in `GET .../items/{id}/connections` whether or not they are bound;
clients (fabric-cicd) use the first one as the template of a `bindConnection`. The emulator finds them
the simple way: a call of a known connector whose arguments are string literals. A source whose
server or URL comes from a parameter (`Sql.Database(Server, "db")`), a connector not listed in
`CONNECTORS`, or a model kept as `model.bim` has no data source here; a call inside an M comment counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# An M text literal: a double quote inside it is written twice.
_TEXT = r'"((?:[^"]|"")*)"'
_COMMA = r"\s*,\s*"


@dataclass(frozen=True)
class DataSource:
    connection_type: str  # connectionDetails.type, as Fabric names the connector
    path: str  # connectionDetails.path


@dataclass(frozen=True)
class _Connector:
    pattern: re.Pattern[str]
    connection_type: str
    literals: int  # how many leading text arguments make the path, joined by ";"


def _call(function: str, literals: int) -> re.Pattern[str]:
    arguments = _COMMA.join([_TEXT] * literals)
    return re.compile(rf"(?<![\w.#]){re.escape(function)}\s*\(\s*{arguments}")


CONNECTORS = (
    _Connector(_call("Sql.Database", 2), "SQL", 2),  # (server, database) -> "server;database"
    _Connector(_call("AzureStorage.DataLake", 1), "AzureDataLakeStorage", 1),
    _Connector(_call("Web.Contents", 1), "Web", 1),
)


def _unquoted(literal: str) -> str:
    return literal.replace('""', '"')


def data_sources(texts: Iterable[str]) -> list[DataSource]:
    """Every distinct data source the texts call, in the order they first appear."""
    found: dict[tuple[str, str], tuple[int, int, DataSource]] = {}
    for number, text in enumerate(texts):
        for connector in CONNECTORS:
            for match in connector.pattern.finditer(text):
                path = ";".join(_unquoted(match.group(i + 1)) for i in range(connector.literals))
                source = DataSource(connector.connection_type, path)
                key = (source.connection_type.casefold(), source.path.rstrip("/").casefold())
                entry = (number, match.start(), source)
                if key not in found or entry[:2] < found[key][:2]:
                    found[key] = entry
    return [source for _, _, source in sorted(found.values(), key=lambda entry: entry[:2])]


def is_model_expression_part(path: str) -> bool:
    """The parts of a semantic model that hold M expressions: its TMDL files (tables, expressions)."""
    return path.casefold().endswith(".tmdl")
