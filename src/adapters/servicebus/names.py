"""Service Bus names as Azure accepts them, checked before anything connects.

Rules from Azure's naming rules for Microsoft.ServiceBus: a namespace is 6-50 letters, digits and
hyphens, starting with a letter and ending with a letter or digit; a queue or topic is 1-260
letters, digits, periods, hyphens, underscores and slashes, starting and ending with a letter or digit.
"""

from __future__ import annotations

import re

PUBLIC_SUFFIX = ".servicebus.windows.net"
_NAMESPACE = re.compile(r"[A-Za-z][A-Za-z0-9-]{4,48}[A-Za-z0-9]")
_HOST = re.compile(r"(?=.{1,253}$)([A-Za-z0-9-]{1,63})(\.[A-Za-z0-9-]{1,63})+")
_ENTITY = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._/-]{0,258}[A-Za-z0-9])?")


def namespace_host(given: str) -> str:
    """The namespace's host name from its name (`contoso` -> `contoso.servicebus.windows.net`) or its
    host name (kept: a sovereign cloud's suffix differs); ValueError saying what to give instead."""
    text = given.strip().lower()
    for scheme in ("sb://", "amqps://", "https://"):
        text = text.removeprefix(scheme)
    text = text.rstrip("/")
    if "." not in text:
        if not _NAMESPACE.fullmatch(text):
            raise ValueError(
                f"'{given.strip()[:70]}' is not a Service Bus namespace: give its name (6-50 letters, digits and "
                "hyphens, starting with a letter) or its host name, such as contoso.servicebus.windows.net"
            )
        return text + PUBLIC_SUFFIX
    if not _HOST.fullmatch(text) or not _NAMESPACE.fullmatch(text.split(".", 1)[0]):
        raise ValueError(
            f"'{given.strip()[:70]}' is not a Service Bus namespace host name, such as contoso.servicebus.windows.net"
        )
    return text


def entity_name_problem(name: str) -> str:
    """Why `name` cannot be a queue or topic name, or '' when it can."""
    if not _ENTITY.fullmatch(name):
        return (
            "not a Service Bus queue or topic name: 1-260 letters, digits, periods, hyphens, underscores and "
            "slashes, starting and ending with a letter or digit"
        )
    return ""
