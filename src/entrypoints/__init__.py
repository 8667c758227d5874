"""Thin edges: the CLI, and later the Function app and the emulator server."""
