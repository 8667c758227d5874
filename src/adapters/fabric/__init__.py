"""Microsoft Fabric: a local model of a tenant, and gateways over it (in-process, later HTTP)."""
