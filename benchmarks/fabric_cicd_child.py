"""Run fabric-cicd 1.4.0 (unmodified) once, against a local Fabric API: the child process of the benchmark.

    python benchmarks/fabric_cicd_child.py '{"api_url": ..., "repository_dir": ..., "workspace_id": ...,
                                             "item_types": [...], "environment": "bench"}'

The same URL bypass as tests/support/fabric_cicd_run.py (see docs/fabric-cicd-endpoints.md §1.1): import
fabric-cicd with its URL env vars unset, then point the two module constants at the emulator. Unlike the test
harness, no retry/poll delay is overridden: fabric-cicd polls long-running operations with its own delays, as it
would against Fabric, so its wall time and call count are what a user would see.
"""

from __future__ import annotations

import json
import sys
import time


class StaticTokenCredential:
    """An azure.core TokenCredential that always returns the same bearer token (the emulator checks none)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: object) -> object:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, int(time.time()) + 3600)


def main() -> int:
    config = json.loads(sys.argv[1])
    import fabric_cicd
    from fabric_cicd import constants

    constants.DEFAULT_API_ROOT_URL = config["api_url"]
    constants.FABRIC_API_ROOT_URL = config["api_url"]
    workspace = fabric_cicd.FabricWorkspace(
        workspace_id=config["workspace_id"],
        repository_directory=config["repository_dir"],
        item_type_in_scope=config["item_types"],
        environment=config["environment"],
        token_credential=StaticTokenCredential("benchmark-token"),
    )
    fabric_cicd.publish_all_items(workspace)
    deployed = sum(len(items) for items in workspace.repository_items.values())
    print(json.dumps({"items": deployed}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
