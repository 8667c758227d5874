"""The README's quick start and five-minute tour, run command by command as a user would."""

from __future__ import annotations

import shutil
from pathlib import Path

from cli import EXAMPLE, run, run_json

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
NOTEBOOK = "my-sales/Notebooks/Load Sales.Notebook/notebook-content.py"


def in_readme(command: str) -> str:
    """The command as the README writes it; fails if the README no longer says it."""
    assert command in README, f"the README no longer contains: {command}"
    return command


def test_the_quick_start_and_the_tour_work_as_written(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "examples" / "sales-workspace")
    in_readme("fabctl deploy examples/sales-workspace --env dev")
    first = run_json(tmp_path, "deploy", "examples/sales-workspace", "--env", "dev")
    assert first["state"] == "committed" and first["plan"]["workspace_name"] == "Sales (dev)"
    assert [o["action"] for o in first["outcomes"]].count("create") == 8

    in_readme("cp -r examples/sales-workspace my-sales")
    shutil.copytree(tmp_path / "examples" / "sales-workspace", tmp_path / "my-sales")
    in_readme("fabctl deploy my-sales --env dev")
    again = run_json(tmp_path, "deploy", "my-sales", "--env", "dev")
    assert {o["status"] for o in again["outcomes"]} == {"unchanged"}

    in_readme(f'echo "print(\'rows loaded\')" >> "{NOTEBOOK}"')
    with (tmp_path / NOTEBOOK).open("a", encoding="utf-8") as notebook:
        notebook.write("print('rows loaded')\n")
    in_readme("fabctl plan my-sales --env dev")
    plan = run_json(tmp_path, "plan", "my-sales", "--env", "dev")
    assert plan["summary"] == {"create": 0, "update": 1, "delete": 0, "no-op": 7}
    update = next(c for c in plan["changes"] if c["kind"] == "update")
    assert (update["key"], update["changed_parts"]) == ("Load Sales.Notebook", ["notebook-content.py"])

    deployed = run_json(tmp_path, "deploy", "my-sales", "--env", "dev")
    assert [o["item"] for o in deployed["outcomes"] if o["status"] == "done"] == ["Load Sales.Notebook"]

    in_readme('fabctl promote request my-sales --from dev --user alice --note "weekly release"')
    request = run_json(tmp_path, "promote", "request", "my-sales", "--from", "dev", "--user", "alice",
                       "--note", "weekly release")  # fmt: skip
    assert (request["state"], request["target_environment"], request["required_approvals"]) == ("requested", "test", 1)

    in_readme("fabctl promote approve <REQUEST_ID> --user alice")
    refused = run(tmp_path, "promote", "approve", request["id"], "--user", "alice")
    assert refused.returncode == 2 and "separation of duties" in refused.stderr
    in_readme("fabctl promote approve <REQUEST_ID> --user bob")
    approved = run_json(tmp_path, "promote", "approve", request["id"], "--user", "bob")
    assert approved["state"] == "succeeded"

    in_readme("fabctl promote show <REQUEST_ID>")
    shown = run(tmp_path, "promote", "show", request["id"])
    assert shown.returncode == 0 and "Audit trail" in shown.stdout and "bob" in shown.stdout
    in_readme("fabctl tx list")
    transactions = run_json(tmp_path, "tx", "list")
    assert [(t["environment"], t["state"]) for t in transactions] == [("dev", "committed")] * 3 + [
        ("test", "committed")
    ]
    in_readme("fabctl events")
    published = {e["type"] for e in run_json(tmp_path, "events", "--limit", "500")}
    assert {"PromotionRequested", "PromotionApproved", "ItemDeployed", "PromotionSucceeded"} <= published
    assert all(e["published_at"] for e in run_json(tmp_path, "events", "--limit", "500"))
