"""Telemetry adapters."""
