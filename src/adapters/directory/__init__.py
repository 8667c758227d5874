"""Directories: who belongs to which group (principals.yaml; Microsoft Graph, graph.py)."""
