"""Identity: one person, one identity, whatever the spelling; names that could pass for another refused."""

from __future__ import annotations

import pytest

from fabctl.domain.identity import Identity, InvalidIdentity


@pytest.mark.parametrize(
    ("text", "user", "domain", "shown"),
    [
        ("alice", "alice", "", "alice"),
        ("  Alice ", "alice", "", "alice"),
        ("ALICE", "alice", "", "alice"),
        ("\uff21\uff4c\uff49\uff43\uff45", "alice", "", "alice"),  # fullwidth letters
        ("Alice\u00a0Smith", "alice smith", "", "alice smith"),  # a no-break space is a space
        ("Alice   Smith", "alice smith", "", "alice smith"),
        ("CONTOSO\\alice", "alice", "contoso", "contoso\\alice"),
        ("alice@CONTOSO", "alice", "contoso", "contoso\\alice"),
        ("alice@Contoso.com", "alice", "contoso.com", "alice@contoso.com"),
        ("contoso.com\\Alice", "alice", "contoso.com", "alice@contoso.com"),
        ("alice@contoso.com.", "alice", "contoso.com", "alice@contoso.com"),
        ("alice @ contoso.com", "alice", "contoso.com", "alice@contoso.com"),
        ("Jose\u0301", "jos\u00e9", "", "jos\u00e9"),  # a combining accent composes
        ("STRASSE", "strasse", "", "strasse"),
        ("Stra\u00dfe", "strasse", "", "strasse"),  # case folding: sharp s is ss
        ("Bj\u00f8rn O'Brien-Smith", "bj\u00f8rn o'brien-smith", "", "bj\u00f8rn o'brien-smith"),
        ("\u0141ukasz", "\u0142ukasz", "", "\u0142ukasz"),
    ],
)
def test_a_name_is_normalised_into_user_and_domain(text: str, user: str, domain: str, shown: str) -> None:
    identity = Identity.parse(text)

    assert (identity.user, identity.domain, str(identity)) == (user, domain, shown)
    assert Identity.parse(shown) == identity  # the shown form reads back as the same identity


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("\u0430lice", "U+0430 CYRILLIC SMALL LETTER A"),
        ("b\u200bob", "U+200B ZERO WIDTH SPACE"),
        ("bob\u200d", "U+200D ZERO WIDTH JOINER"),
        ("\ufeffbob", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("bob\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u03bfscar", "U+03BF GREEK SMALL LETTER OMICRON"),
        ("\u0131nga", "U+0131 LATIN SMALL LETTER DOTLESS I"),
        ("\u0251lice", "U+0251 LATIN SMALL LETTER ALPHA"),
        ("al!ce", "U+0021 EXCLAMATION MARK"),
        ("x\u0301", "U+0301 COMBINING ACUTE ACCENT"),  # no letter to compose with
        ("bob\x00", "U+0000 an unnamed character"),
    ],
)
def test_a_character_that_could_pass_for_another_is_refused_by_name(text: str, named: str) -> None:
    with pytest.raises(InvalidIdentity) as caught:
        Identity.parse(text, source="--user")

    assert caught.value.subject == "--user"
    assert named in caught.value.message
    assert "\\u" in caught.value.message or text.isascii()  # the name is shown escaped, never raw


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "is empty"),
        (" \t ", "is empty"),
        ("a@b@c.com", "more than one '@'"),
        ("A\\B\\c", "more than one '\\'"),
        ("CONTOSO\\alice@contoso.com", "not both"),
        ("@contoso.com", "no user"),
        ("contoso\\", "no user"),
        ("alice@", "NetBIOS name or a DNS domain"),
        ("alice@contoso..com", "NetBIOS name or a DNS domain"),
        ("alice@con toso", "NetBIOS name or a DNS domain"),
        ("alice@caf\u00e9.com", "NetBIOS name or a DNS domain"),
    ],
)
def test_malformed_names_are_refused(text: str, problem: str) -> None:
    with pytest.raises(InvalidIdentity) as caught:
        Identity.parse(text)

    assert problem in caught.value.message


@pytest.mark.parametrize(
    ("one", "other", "may_be"),
    [
        ("alice", "ALICE", True),
        ("alice", "alice@contoso.com", True),  # no domain: could be any domain's alice
        ("CONTOSO\\alice", "alice@contoso.com", True),  # NetBIOS name = the first label of the DNS domain
        ("CONTOSO\\alice", "alice@contoso.co.uk", True),
        ("CONTOSOMARKETIN\\alice", "alice@contosomarketing.com", True),  # NetBIOS names are cut to 15
        ("CORP\\alice", "alice@contoso.com", False),  # a NetBIOS name not derived from the DNS name
        ("CONTOSO\\alice", "alice@eu.contoso.com", False),
        ("CONTOSO\\alice", "FABRIKAM\\alice", False),
        ("alice@contoso.com", "alice@fabrikam.com", False),
        ("alice@contoso.com", "alice@eu.contoso.com", False),
        ("alice@contoso.com", "bob@contoso.com", False),
    ],
)
def test_may_be_says_whether_two_names_could_be_one_account(one: str, other: str, may_be: bool) -> None:
    a, b = Identity.parse(one), Identity.parse(other)

    assert a.may_be(b) is may_be
    assert b.may_be(a) is may_be


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("Alice", "alice ", True),
        ("CONTOSO\\alice", "alice@contoso", True),
        ("contoso.com\\alice", "alice@contoso.com", True),
        ("CONTOSO\\alice", "alice@contoso.com", False),  # could be, but not surely: no right is granted
        ("alice", "alice@contoso.com", False),
    ],
)
def test_is_same_as_holds_only_for_one_account_surely(one: str, other: str, same: bool) -> None:
    assert Identity.parse(one).is_same_as(Identity.parse(other)) is same
