"""fabctl: release management for Microsoft Fabric workspaces kept in git."""

__version__ = "0.1.0"
