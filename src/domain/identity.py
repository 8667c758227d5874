"""Who acts: a person's account name, normalised so that one person has one identity.

`Identity.parse` normalises a name (Unicode NFKC, case-folded, trimmed, inner white space as one
space) and splits `DOMAIN\\user` and `user@domain` into a user and a domain, so both spellings of
one account are one value: `CONTOSO\\alice` is `alice@contoso`, `contoso.com\\alice` is
`alice@contoso.com`. A domain without a dot is a NetBIOS name and is shown `contoso\\alice`; one
with dots is a DNS domain and is shown `alice@contoso.com`.

Names may only use the letters of the Latin alphabet (with or without accents), digits, spaces and
`. _ - ' +`: any other character, from a Cyrillic or Greek letter that looks like a Latin one to a
zero-width space or a bidirectional control, is refused, naming it. The domain rules ask two
questions; where fabctl (which has no directory) cannot answer for sure, the answer is the one that
refuses (see ADR 0019):

- `is_same_as` (strict): is this *surely* that person? Equal user and domain. Grants rights
  (only the requester or an approver may cancel).
- `may_be` (lenient): *could* this be that person? Equal users, and domains that are equal, absent
  on one side, or a NetBIOS name that is the first label of the other's DNS domain (Windows derives
  a domain's NetBIOS name from that label, cut to 15 characters). Keeps duties apart (a requester
  cannot approve; one person is one approver).
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass

from fabctl.domain.errors import DomainError

# Latin letters that have no ASCII base letter to decompose to, yet look like no other letter.
# (Dotless i, Latin alpha and the like stay out: they pass for i and a.)
_DISTINCT_LATIN = frozenset("æøœðþłđ")
_USER_PUNCTUATION = frozenset(".-_'+ ")
_NETBIOS_LENGTH = 15
ALLOWED = "Latin letters (accents allowed), digits, spaces and . _ - ' + (one @ or \\ before or after a domain)"


class InvalidIdentity(DomainError):
    """A user name that is empty, malformed or holds a character that could pass for another."""


@dataclass(frozen=True, order=True)
class Identity:
    """A person's account: `user`, and `domain` ("" when the name has none). Build with `parse`."""

    user: str
    domain: str = ""

    @classmethod
    def parse(cls, text: str, *, source: str = "user name") -> Identity:
        """The identity `text` names; `source` (e.g. "--user") is named in the error."""
        name = _normalised(text)
        if not name:
            raise InvalidIdentity("is empty; give an account name such as alice or alice@contoso.com", subject=source)
        for character in name:
            if not _allowed(character):
                raise InvalidIdentity(
                    f"{json.dumps(text)} contains {_describe(character)}; names may use only {ALLOWED}, "
                    "so that no name can pass for another",
                    subject=source,
                )
        if "\\" in name and "@" in name:
            raise InvalidIdentity(f"{json.dumps(text)}: write DOMAIN\\user or user@domain, not both", subject=source)
        separator = "\\" if "\\" in name else "@"
        pieces = [piece.strip() for piece in name.split(separator)]
        if len(pieces) > 2:
            raise InvalidIdentity(f"{json.dumps(text)} has more than one '{separator}'", subject=source)
        user, domain = pieces[0], ""
        if len(pieces) == 2:
            user, domain = (pieces[1], pieces[0]) if separator == "\\" else (pieces[0], pieces[1])
            domain = domain.rstrip(".")  # a DNS name's trailing dot names the same domain
            if not _is_domain(domain):
                raise InvalidIdentity(
                    f"{json.dumps(text)}: the domain must be a NetBIOS name or a DNS domain (letters, digits, "
                    "- and dots between labels)",
                    subject=source,
                )
        if not user:
            raise InvalidIdentity(f"{json.dumps(text)} names a domain but no user", subject=source)
        return cls(user, domain)

    @property
    def is_dns(self) -> bool:
        return "." in self.domain

    def __str__(self) -> str:
        if not self.domain:
            return self.user
        return f"{self.user}@{self.domain}" if self.is_dns else f"{self.domain}\\{self.user}"

    def is_same_as(self, other: Identity) -> bool:
        """Surely the same account (used to grant a right)."""
        return self == other

    def may_be(self, other: Identity) -> bool:
        """Possibly the same account (used to keep duties apart): see the module docstring."""
        if self.user != other.user:
            return False
        if not self.domain or not other.domain or self.domain == other.domain:
            return True
        if self.is_dns == other.is_dns:
            return False
        netbios, dns = (other.domain, self.domain) if self.is_dns else (self.domain, other.domain)
        first_label = dns.split(".", 1)[0]
        return netbios in (first_label, first_label[:_NETBIOS_LENGTH])


def _normalised(text: str) -> str:
    # NFKC folds compatibility forms (fullwidth letters, ligatures, no-break spaces) into their plain
    # form; case folding can denormalise, so NFKC runs again after it (Unicode's NFKC_Casefold, roughly).
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


def _allowed(character: str) -> bool:
    if "a" <= character <= "z" or "0" <= character <= "9" or character in _DISTINCT_LATIN:
        return True
    if character in "@\\" or character in _USER_PUNCTUATION:
        return True
    decomposed = unicodedata.normalize("NFD", character)
    base, marks = decomposed[0], decomposed[1:]
    return "a" <= base <= "z" and bool(marks) and all(unicodedata.combining(m) for m in marks)


def _is_domain(domain: str) -> bool:
    labels = domain.split(".")
    return all(label and all(c.isascii() and (c.isalnum() or c == "-") for c in label) for label in labels)


def _describe(character: str) -> str:
    return f"U+{ord(character):04X} {unicodedata.name(character, 'an unnamed character')}"
