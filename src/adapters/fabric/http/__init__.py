"""The Fabric REST API over httpx: `gateway.HttpxFabricGateway` and the resilience it is built from."""
