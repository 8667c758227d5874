"""Two approvers, each a `fabctl promote approve` process in its own working directory, approving one
promotion at once through one shared Azure state store: both approvals are kept (the later commit meets
the earlier one's ETag, and the bus runs it again from a fresh read), and the promotion deploys once.
Their commits are made to race (`held_commits`): each is held until the other's has been sent."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from azure_state import azurite  # noqa: F401 (a fixture: one Azurite for the module)
from azurite_process import RunningAzurite
from deploy_process import content, environment, fabctl, start, workspace, write_source
from emulator_process import RunningEmulator, configure
from held_commits import racing_commits
from shared_azure_state import SharedAzureState

ITEMS = [(f"Job {n}", "Jobs", "", "v1") for n in range(4)]
CONFIG = """environments:
  dev:
    workspace: "Approved (dev)"
  test:
    workspace: "Approved (test)"
    promotion:
      approvals: 2
"""


def test_two_approvers_at_once_both_count_and_the_promotion_deploys_once(
    fresh_emulator: RunningEmulator,
    azurite: RunningAzurite,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    store = SharedAzureState.fresh(azurite)
    env = environment(**store.settings())
    requester, bob, carol = (tmp_path / name for name in ("alice", "bob", "carol"))
    write_source(requester / "src", "Approved (dev)", ITEMS)
    (requester / "src" / "workspace-config.yaml").write_text(CONFIG)
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    url = fresh_emulator.url
    assert fabctl(requester, "deploy", "src", "--env", "dev", "--fabric-url", url, env=env).returncode == 0
    requested = fabctl(
        requester, "promote", "request", "src", "--from", "dev", "--user", "alice", "--fabric-url", url,
        "--output", "json", env=env,
    )  # fmt: skip
    assert requested.returncode == 0, requested.stderr
    request_id = json.loads(requested.stdout)["id"]
    for home in (bob, carol):  # each runner has the repository checked out: the request names `src`
        shutil.copytree(requester / "src", home / "src")

    approve = ("promote", "approve", request_id, "--fabric-url", url, "--output", "json")
    with racing_commits(azurite.table_url) as endpoints:  # both commit on what they read before either did
        approvals = [
            start(home, *approve, "--user", home.name, env=environment(**store.settings(endpoint)))
            for home, endpoint in zip((bob, carol), endpoints, strict=True)
        ]
        outcomes = [(p, *p.communicate(timeout=120)) for p in approvals]

    assert [p.returncode for p, _, _ in outcomes] == [0, 0], [err for _, _, err in outcomes]
    shown = fabctl(requester, "promote", "show", request_id, "--output", "json", env=env)
    assert shown.returncode == 0, shown.stderr
    promotion = json.loads(shown.stdout)
    assert promotion["state"] == "succeeded", promotion
    assert sorted(a["approver"] for a in promotion["approvals"]) == ["bob", "carol"]
    actions = [e["action"] for e in promotion["audit"]]
    assert actions == ["requested", "approved", "approved", "deploying", "succeeded"], actions
    promoted = [t for t in store.journal() if t["environment"] == "test"]
    assert [t["state"] for t in promoted] == ["committed"]  # one deployment of the promotion, not two
    assert (
        content(workspace(fresh_emulator, "Approved (test)"))["items"]
        == content(workspace(fresh_emulator, "Approved (dev)"))["items"]
    )
