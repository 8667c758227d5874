"""The one way fabctl opens a Service Bus client: by connection string, or by namespace and identity."""

from __future__ import annotations

from azure.core.credentials import TokenCredential
from azure.servicebus import ServiceBusClient

# One retry policy for every Service Bus call: the SDK's own (exponential), bounded so a dead broker fails fast.
RETRY_TOTAL, RETRY_BACKOFF_FACTOR, RETRY_BACKOFF_MAX = 3, 0.5, 8.0


def servicebus_client(
    *, connection_string: str = "", namespace_host: str = "", credential: TokenCredential | None = None
) -> ServiceBusClient:
    """A client for the namespace a connection string names, or for `namespace_host` signed in as `credential`."""
    if connection_string:
        return ServiceBusClient.from_connection_string(
            connection_string,
            retry_total=RETRY_TOTAL,
            retry_backoff_factor=RETRY_BACKOFF_FACTOR,
            retry_backoff_max=RETRY_BACKOFF_MAX,
        )
    if not namespace_host or credential is None:
        raise ValueError("a Service Bus client needs a connection string, or a namespace and a credential")
    return ServiceBusClient(
        namespace_host,
        credential,
        retry_total=RETRY_TOTAL,
        retry_backoff_factor=RETRY_BACKOFF_FACTOR,
        retry_backoff_max=RETRY_BACKOFF_MAX,
    )
