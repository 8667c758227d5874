"""Binding and order, through the real CLI against the emulator: logical ids become real ids, the zero
workspace id becomes the target, a report is rebound to the deployed model, references across types
deploy in one run into an empty workspace, a cycle is refused, `--workers`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emulator_process import RunningEmulator, snapshot
from sources import (
    SOURCE,
    ZERO_GUID,
    calls,
    deploy,
    fabctl,
    items,
    new_source,
    notebook,
    notebook_activity,
    one_error_line,
    part,
    parts,
    pipeline_activity,
    pipeline_running,
    plan,
    workspace,
    write_item,
    writes_since,
)

LAKE = "0a000000-0000-4000-8000-00000000000a"
LOAD = "0b000000-0000-4000-8000-00000000000b"
MODEL = "0c000000-0000-4000-8000-00000000000c"
OUTER = "0d000000-0000-4000-8000-00000000000d"
INNER = "0e000000-0000-4000-8000-00000000000e"
LOGICAL_IDS = (LAKE, LOAD, MODEL, OUTER, INNER)


def load_notebook() -> dict[str, str]:
    """A notebook attached to a lakehouse of its own workspace, the way Fabric exports it."""
    meta = {"dependencies": {"lakehouse": {"default_lakehouse": LAKE, "default_lakehouse_workspace_id": ZERO_GUID}}}
    block = "".join(f"# META {line}\n" for line in json.dumps(meta, indent=2).splitlines())
    content = notebook("spark.sql('select 1')")["notebook-content.py"]
    return {
        "notebook-content.py": content.replace("# CELL", "# METADATA ********************\n\n" + block + "\n# CELL")
    }


def write_linked_source(root: Path) -> None:
    """Lakehouse <- notebook <- inner pipeline <- outer pipeline <- trigger notebook; model <- report.

    fabric-cicd's fixed type order (notebooks before pipelines) cannot create the trigger notebook
    before the pipeline it starts: only an order from the references works in one run.
    """
    write_item(root, "Lakehouse", "Lake", logical_id=LAKE)
    write_item(root, "Notebook", "Load", load_notebook(), logical_id=LOAD, folder="Jobs")
    write_item(root, "DataPipeline", "Inner", pipeline_running([notebook_activity(LOAD)]), logical_id=INNER)
    write_item(root, "DataPipeline", "Outer", pipeline_running([pipeline_activity(INNER)]), logical_id=OUTER)
    trigger = notebook(f"notebookutils.pipeline.run('{OUTER}', workspace='{ZERO_GUID}')")
    write_item(root, "Notebook", "Trigger", trigger, folder="Jobs")
    model = {"definition.pbism": '{"version": "4.2"}\n', "definition/model.tmdl": "model Model\n"}
    write_item(root, "SemanticModel", "Sales Model", model, logical_id=MODEL)
    pbir = {"version": "4.0", "datasetReference": {"byPath": {"path": "../Sales Model.SemanticModel"}}}
    write_item(root, "Report", "Sales", {"definition.pbir": json.dumps(pbir), "report.json": "{}\n"}, folder="BI")


def activity(held: dict[str, Any], key: str) -> dict[str, Any]:
    activities = json.loads(part(held[key], "pipeline-content.json"))["properties"]["activities"]
    type_properties: dict[str, Any] = activities[0]["typeProperties"]
    return type_properties


def test_references_across_types_deploy_in_one_run_with_one_worker_bound_to_the_real_ids(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    write_linked_source(new_source(tmp_path))

    # One worker: the order alone must bring each item after what it references.
    result = deploy(tmp_path, emulator, "--workers", "1")

    assert result["state"] == "committed", result
    held, ws = items(emulator), workspace(emulator)["id"]
    ids = {key: item["id"] for key, item in held.items()}
    load = part(held["Load.Notebook"], "notebook-content.py")
    assert f'"default_lakehouse": "{ids["Lake.Lakehouse"]}"' in load
    assert f'"default_lakehouse_workspace_id": "{ws}"' in load  # the zero id is the target workspace
    assert activity(held, "Inner.DataPipeline") == {"notebookId": ids["Load.Notebook"], "workspaceId": ws}
    assert activity(held, "Outer.DataPipeline") == {"pipelineId": ids["Inner.DataPipeline"], "workspaceId": ws}
    trigger = part(held["Trigger.Notebook"], "notebook-content.py")
    assert f"notebookutils.pipeline.run('{ids['Outer.DataPipeline']}', workspace='{ws}')" in trigger
    pbir = json.loads(part(held["Sales.Report"], "definition.pbir"))
    assert pbir["datasetReference"].get("byPath") is None
    assert pbir["datasetReference"]["byConnection"]["pbiModelDatabaseName"] == ids["Sales Model.SemanticModel"]
    served = json.dumps(snapshot(emulator))
    assert not [i for i in LOGICAL_IDS if i in served], "a logical id reached the workspace"
    # The emulator writes its own `.platform` with a zero logical id; nothing else may keep the zero id.
    sent = [p for i in held.values() for p in parts(i) if p["path"] != ".platform"]
    assert ZERO_GUID not in json.dumps(sent)
    assert plan(tmp_path, emulator)["summary"]["no-op"] == len(held)


def test_a_cycle_is_refused_naming_its_items_and_nothing_is_written(tmp_path: Path, emulator: RunningEmulator) -> None:
    root = new_source(tmp_path)
    ping, pong = "01000000-0000-4000-8000-000000000001", "02000000-0000-4000-8000-000000000002"
    write_item(root, "DataPipeline", "Ping", pipeline_running([pipeline_activity(pong)]), logical_id=ping)
    write_item(root, "DataPipeline", "Pong", pipeline_running([pipeline_activity(ping)]), logical_id=pong)
    write_item(root, "Notebook", "Bystander", notebook(f"run('{ping}')"))  # depends on the cycle, not in it
    write_item(root, "Lakehouse", "Unrelated")
    before = calls(emulator)

    line = one_error_line(fabctl(tmp_path, emulator, "deploy", SOURCE, "--env", "dev"))

    assert "Ping.DataPipeline" in line and "Pong.DataPipeline" in line and "cycle" in line
    assert "Bystander" not in line and "Unrelated" not in line
    assert writes_since(emulator, before) == {}
