"""The clock and id generator adapters."""
