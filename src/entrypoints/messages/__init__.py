"""Commands that arrive as messages (Service Bus, the Function app's HTTP API): parsed at the edge, then settled."""
