"""The Azure Functions host's entry: the Python v2 model looks for `app` in this file."""

from fabctl.entrypoints.functions import app

__all__ = ["app"]
