"""Reports for CI: the JSON document of `--output json` as a file, and JUnit XML (one test per item)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fabctl.application.deployment.results import DeploymentResult, ItemOutcome

# Outcome status -> how a CI system should count it.
FAILED = {"failed", "undo_failed"}
SKIPPED = {"skipped", "undone"}


def write_json(path: str, document: Any) -> None:
    """The same document `--output json` prints, to a file (parent folders created)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def junit(result: DeploymentResult, durations: Mapping[str, float] | None = None) -> ET.ElementTree:
    """JUnit XML: a suite for the deployment, a testcase per item (or folder) it acted on.

    A failed item (or a failed undo) is a <failure> carrying the error; a skipped item, or one
    a rollback undid, is <skipped> with why.
    """
    durations = durations or {}
    outcomes = result.outcomes
    failures = sum(o.status in FAILED for o in outcomes)
    skipped = sum(o.status in SKIPPED for o in outcomes)
    total_time = sum(durations.get(_case_name(o), 0.0) for o in outcomes)
    name = f"fabctl deploy {result.environment}"
    counts = {
        "tests": str(len(outcomes)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
        "time": f"{total_time:.3f}",
    }
    suites = ET.Element("testsuites", {"name": name, **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": name, **counts})
    properties = ET.SubElement(suite, "properties")
    for key, value in (
        ("environment", result.environment),
        ("workspace", result.workspace_name),
        ("workspace_id", result.workspace_id),
        ("transaction", result.transaction_id),
        ("state", result.state),
    ):
        ET.SubElement(properties, "property", {"name": key, "value": value})
    for outcome in outcomes:
        suite.append(_case(result, outcome, durations.get(_case_name(outcome), 0.0)))
    ET.indent(suites)
    return ET.ElementTree(suites)


def write_junit(path: str, result: DeploymentResult, durations: Mapping[str, float] | None = None) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    junit(result, durations).write(target, encoding="utf-8", xml_declaration=True)


def _case_name(outcome: ItemOutcome) -> str:
    # The item alone, so a CI system tracks one test per item across runs, whatever the action.
    return outcome.item


def _case(result: DeploymentResult, outcome: ItemOutcome, seconds: float) -> ET.Element:
    case = ET.Element(
        "testcase",
        {"classname": f"fabctl.deploy.{result.environment}", "name": _case_name(outcome), "time": f"{seconds:.3f}"},
    )
    if outcome.status in FAILED:
        message = outcome.detail or result.error or outcome.status
        failure = ET.SubElement(case, "failure", {"message": message, "type": outcome.status})
        failure.text = f"{outcome.action} {outcome.item}: {message}"
    elif outcome.status in SKIPPED:
        reason = "rolled back" if outcome.status == "undone" else outcome.detail or "skipped"
        ET.SubElement(case, "skipped", {"message": reason})
    out = ET.SubElement(case, "system-out")
    identity = f" ({outcome.item_id})" if outcome.item_id else ""
    out.text = f"{outcome.action} {outcome.item}: {outcome.status}{identity}"
    return case
