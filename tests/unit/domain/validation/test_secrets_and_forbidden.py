"""Secret-looking literals, reported by kind and line and never by value; forbidden values."""

from __future__ import annotations

import pytest

from fabctl.domain.validation.findings import FORBIDDEN_VALUES, SECRETS, ForbiddenPattern
from fabctl.domain.validation.forbidden import forbidden_findings
from fabctl.domain.validation.secrets import secret_findings

KEY = "Zm9vYmFy" * 10 + "abcdef"  # 86 characters of base64, the shape of a storage account key
SECRETS_BY_KIND = {
    "AccountKey": f"DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey={KEY}==;EndpointSuffix=core",
    "SAS": "https://contoso.blob.core.windows.net/raw?sv=2022-11-02&ss=b&sig=Q2hhbmdlTWVQbGVhc2VUaGlzSXNGYWtl%3D",
    "storage account key": f'key = "{KEY}=="',
    "client secret": 'secret = "abc8Q~' + "x" * 34 + '"',
    "private key": "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----",
    "GitHub": "token = 'ghp_" + "A1b2C3d4E5" * 4 + "'",
}


@pytest.mark.parametrize("kind", sorted(SECRETS_BY_KIND))
def test_each_shape_is_found_at_its_line_without_its_value(kind: str) -> None:
    literal = SECRETS_BY_KIND[kind]
    text = f"first = 1\n\n{literal}\nlast = 2\n"
    [finding] = secret_findings("I.Notebook/notebook-content.py", text)
    assert (finding.part, finding.line, finding.check) == ("I.Notebook/notebook-content.py", 3, SECRETS)
    assert "secret store" in finding.message
    for piece in (KEY[:20], "Q2hhbmdl", "x" * 20, "MIIE", "A1b2C3d4"):
        assert piece not in finding.message


def test_ordinary_content_is_not_a_secret() -> None:
    text = (
        '{"id": "b0dfe8c3-68ed-46d8-a40b-967c750b403d", "logo": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB",\n'
        ' "path": "abfss://raw@contosodevsales.dfs.core.windows.net/sales", "signature": "sig=short"}\n'
    )
    assert secret_findings("p.json", text) == []


def test_a_forbidden_pattern_is_found_on_each_line_it_remains() -> None:
    patterns = (ForbiddenPattern("contosodevsales", "the dev storage account"),)
    text = "a = 1\npath = 'abfss://raw@contosodevsales.dfs'\nb = 'contosodevsales' + 'contosodevsales'\n"
    found = forbidden_findings("N.Notebook/notebook-content.py", text, patterns)
    assert [(f.line, f.check) for f in found] == [(2, FORBIDDEN_VALUES), (3, FORBIDDEN_VALUES)]
    assert "'contosodevsales' (the dev storage account)" in found[0].message


def test_a_parameterized_value_is_not_forbidden() -> None:
    patterns = (ForbiddenPattern(r"contoso-?dev", ""), ForbiddenPattern("sales-dev", ""))
    assert forbidden_findings("n.py", "path = 'abfss://raw@contosoprodsales.dfs'\n", patterns) == []
