"""The Azure Function app (Python v2 programming model): the command queue, the sweep timer, the HTTP API.

Importing this builds only the function index (decorators): the application itself is bootstrapped
on the first invocation (`application.current`), so the host can index the app without settings.
"""

from __future__ import annotations

import azure.functions as func

from fabctl.entrypoints.functions.http_api import api
from fabctl.entrypoints.functions.queue import commands
from fabctl.entrypoints.functions.sweep import sweep

# Anonymous at the function level: callers are authenticated by App Service Authentication in front of
# the app (see principal.py), not by function keys, which identify no one.
app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
for blueprint in (commands, sweep, api):
    app.register_functions(blueprint)
