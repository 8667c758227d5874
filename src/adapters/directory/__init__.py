"""Who belongs to which approver group: Microsoft Graph (graph.py)."""
