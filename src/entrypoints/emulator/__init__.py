"""The Fabric emulator: a real HTTP server that answers like the Fabric REST API v1.

It serves the same `FabricTenant` the in-process local Fabric uses, so both enforce one set of
rules; this package only adds HTTP (routes, paging, long-running operations) and deliberate
misbehaviour (throttling, faults, latency). `fabctl emulator serve` starts it; docs/emulator.md
describes every knob.
"""
