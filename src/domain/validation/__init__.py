"""Validation gates run before a deployment writes: pure checks over an item's bound definition."""
