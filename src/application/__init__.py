"""Use cases: ports, the message bus, one handler per command, and the unit of work contract."""
