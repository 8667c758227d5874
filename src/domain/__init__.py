"""The pure business model: standard library only, no I/O, no clock, no random ids."""
