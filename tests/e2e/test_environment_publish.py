"""Environments through the real CLI against the emulator: a deploy that writes an Environment's settings or
libraries publishes it and waits for the publish to end; a failed publish fails the deploy (exit 3) and is
rolled back like any other write; a deploy that writes no definition publishes nothing (ADR 0025).

The emulator's snapshot says, per environment, its latest publish state and whether what is staged is what is
published (`stagedChanged`); its request log counts the publish calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emulator_process import RunningEmulator, configure
from sources import SOURCE, calls, deploy, fabctl_json, items, new_source, notebook, part, plan, workspace, write_item

FAILED = 3  # the exit code of a deployment in which an item failed
PUBLISH = "POST /v1/workspaces/{workspaceId}/environments/{itemId}/staging/publish"
SETTINGS = "Setting/Sparkcompute.yml"
LIBRARIES = "Libraries/PublicLibraries/environment.yml"
PROTECTED = 'environments:\n  dev:\n    workspace: "Engine (dev)"\n    protected: true\n'


def environment(cores: int = 4) -> dict[str, str]:
    return {
        SETTINGS: f"enable_native_execution_engine: false\ndriver_cores: {cores}\ndriver_memory: 28g\n",
        LIBRARIES: "dependencies:\n  - pip:\n    - pandas==2.2.2\n",
    }


def published(emulator: RunningEmulator, key: str) -> dict[str, Any]:
    state: dict[str, Any] = items(emulator)[key]["publish"]
    return state


def change_of(result: Any, key: str) -> dict[str, Any]:
    [change] = [c for c in result["changes"] if c["key"] == key]
    return dict(change)


def outcomes(result: Any) -> dict[tuple[str, str], str]:
    return {(o["item"], o["action"]): o["status"] for o in result["outcomes"]}


def test_a_deployed_environment_is_published_before_the_deploy_ends(tmp_path: Path, emulator: RunningEmulator) -> None:
    # A publish that outlasts the rest of the deploy: unless fabctl waits for it, it is still Running at the end.
    configure(emulator, publish_ms=1500, publish_retry_after_s=1)
    root = new_source(tmp_path)
    spark = write_item(root, "Environment", "Spark", environment())
    write_item(root, "Notebook", "Load", notebook(f"# environment {spark}\nprint('load')"))

    planned = plan(tmp_path, emulator)
    result = deploy(tmp_path, emulator)

    assert change_of(planned, "Spark.Environment")["publish"] is True
    assert "then publish" in change_of(planned, "Spark.Environment")["reason"]
    assert change_of(planned, "Load.Notebook")["publish"] is False
    assert result["state"] == "committed"
    assert published(emulator, "Spark.Environment") == {"state": "Success", "stagedChanged": False}
    assert calls(emulator)[PUBLISH] == 1
    held = items(emulator)["Spark.Environment"]
    assert part(held, SETTINGS) == environment()[SETTINGS]


def test_only_a_deploy_that_writes_the_definition_publishes(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    spark = write_item(root, "Environment", "Spark", environment())
    deploy(tmp_path, emulator)
    assert calls(emulator)[PUBLISH] == 1

    again = deploy(tmp_path, emulator)  # nothing changed
    assert outcomes(again) == {("Spark.Environment", "no-op"): "unchanged"}
    assert calls(emulator)[PUBLISH] == 1

    write_item(root, "Environment", "Spark", environment(), logical_id=spark, description="now described")
    described = deploy(tmp_path, emulator)  # metadata only: the staged definition is what is published
    assert change_of(described["plan"], "Spark.Environment")["publish"] is False
    assert calls(emulator)[PUBLISH] == 1

    write_item(root, "Environment", "Spark", environment(cores=8), logical_id=spark, description="now described")
    changed = deploy(tmp_path, emulator)
    assert change_of(changed["plan"], "Spark.Environment")["publish"] is True
    assert calls(emulator)[PUBLISH] == 2
    assert published(emulator, "Spark.Environment") == {"state": "Success", "stagedChanged": False}
    assert "driver_cores: 8" in part(items(emulator)["Spark.Environment"], SETTINGS)


def test_a_failed_publish_fails_the_deploy_and_a_protected_environment_rolls_it_back(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path, PROTECTED)
    spark = write_item(root, "Environment", "Spark", environment())
    deploy(tmp_path, emulator)
    before = workspace(emulator)

    configure(emulator, failing_publishes=["Spark"])
    write_item(root, "Environment", "Spark", environment(cores=8), logical_id=spark)
    failed = fabctl_json(tmp_path, emulator, "deploy", SOURCE, "--env", "dev", expect_code=FAILED)

    assert failed["state"] == "rolled_back", failed
    assert outcomes(failed)[("Spark.Environment", "publish")] == "failed"
    assert "EnvironmentPublishFailed" in failed["error"]
    after = workspace(emulator)
    # The staged definition is the first version again, and it is what is published: the failed publish
    # changed nothing there (the latest publish state stays Failed, as Fabric would show it).
    assert published(emulator, "Spark.Environment") == {"state": "Failed", "stagedChanged": False}
    assert [{**i, "publish": None} for i in after["items"]] == [{**i, "publish": None} for i in before["items"]]

    configure(emulator, failing_publishes=[])
    retried = deploy(tmp_path, emulator)  # the failed deploy recorded nothing: written and published again
    assert change_of(retried["plan"], "Spark.Environment")["publish"] is True
    assert published(emulator, "Spark.Environment") == {"state": "Success", "stagedChanged": False}


def test_a_rollback_publishes_again_what_it_restores(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    alpha = write_item(root, "Environment", "Alpha", environment())
    beta = write_item(root, "Environment", "Beta", environment())
    deploy(tmp_path, emulator)
    first = items(emulator)["Alpha.Environment"]
    published_before = calls(emulator)[PUBLISH]

    configure(emulator, failing_publishes=["Beta"])
    write_item(root, "Environment", "Alpha", environment(cores=8), logical_id=alpha)
    write_item(root, "Environment", "Beta", environment(cores=8), logical_id=beta)
    # One worker: Alpha (the smaller key) is written and published before Beta's publish fails.
    failed = deploy(tmp_path, emulator, "--on-error", "rollback", "--workers", "1", expect_code=FAILED)

    assert failed["state"] == "rolled_back", failed
    assert outcomes(failed)[("Alpha.Environment", "update")] == "undone"
    # Alpha's publish, Beta's failed one, and Alpha's again once its first version is restored.
    assert calls(emulator)[PUBLISH] - published_before == 3
    alpha_now = items(emulator)["Alpha.Environment"]
    assert part(alpha_now, SETTINGS) == part(first, SETTINGS)
    assert published(emulator, "Alpha.Environment") == {"state": "Success", "stagedChanged": False}


def test_an_environment_left_unpublished_by_a_failed_deploy_is_published_by_the_next(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)  # dev is not protected: a failed deploy is not rolled back
    spark = write_item(root, "Environment", "Spark", environment())
    deploy(tmp_path, emulator)
    configure(emulator, failing_publishes=["Spark"])
    write_item(root, "Environment", "Spark", environment(cores=8), logical_id=spark)
    failed = deploy(tmp_path, emulator, expect_code=FAILED)
    assert failed["state"] != "rolled_back"
    assert published(emulator, "Spark.Environment") == {"state": "Failed", "stagedChanged": True}

    configure(emulator, failing_publishes=[])
    # The definition staged is the one wanted, but it is not published: the next deploy publishes it.
    fixed = deploy(tmp_path, emulator)

    spark_change = change_of(fixed["plan"], "Spark.Environment")
    assert (spark_change["kind"], spark_change["publish"]) == ("update", True)
    assert "latest publish ended Failed" in spark_change["reason"]
    assert published(emulator, "Spark.Environment") == {"state": "Success", "stagedChanged": False}
    again = deploy(tmp_path, emulator)
    assert outcomes(again) == {("Spark.Environment", "no-op"): "unchanged"}


def test_a_reverted_deployment_publishes_the_environment_it_restores(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    spark = write_item(root, "Environment", "Spark", environment())
    deploy(tmp_path, emulator)
    first = items(emulator)["Spark.Environment"]
    write_item(root, "Environment", "Spark", environment(cores=8), logical_id=spark)
    second = deploy(tmp_path, emulator)
    published_before = calls(emulator)[PUBLISH]

    reverted = fabctl_json(tmp_path, emulator, "tx", "revert", second["transaction_id"])

    assert reverted["state"] == "committed", reverted
    assert outcomes(reverted)[("Spark.Environment", "publish")] == "done"
    assert calls(emulator)[PUBLISH] - published_before == 1
    assert part(items(emulator)["Spark.Environment"], SETTINGS) == part(first, SETTINGS)
    assert published(emulator, "Spark.Environment") == {"state": "Success", "stagedChanged": False}
