"""A promotion rule's required validations, through the real CLI on the local default (issue 16).

A rule's `validations` must run as errors in the environment promoted into: a required one set to
`warning` or `off` there refuses the request (and `rules check`); one that fails refuses the deployment,
naming the rule, the item type and the validation.
"""

from __future__ import annotations

from pathlib import Path

from cli import run, run_json
from test_promotion_rules import error, governed

TRANSFORM = "Notebooks/Transform Sales.Notebook/notebook-content.py"


def configure(source: Path, environment: str, validation: str) -> None:
    path = source / "workspace-config.yaml"
    anchor = f"  {environment}:\n"
    assert anchor in path.read_text()
    path.write_text(path.read_text().replace(anchor, f"{anchor}    validation: {validation}\n"))


def test_a_required_validation_set_to_warning_in_the_target_refuses_the_request(tmp_path: Path) -> None:
    source = governed(tmp_path, frozen=False)
    configure(source, "test", "{secrets: warning}")

    refused = run(tmp_path, "promote", "request", "governed", "--from", "dev", "--user", "alice@contoso.com",
                  "--change", "CHG1234567")  # fmt: skip
    checked = run_json(tmp_path, "rules", "check", "governed", "--from", "dev", "--change", "CHG1234567",
                       expect_code=2)  # fmt: skip

    message = error(refused)
    assert "promotion.rules.validations" in message
    assert "Notebook items must pass no-secret-literals" in message and "validation.secrets is warning" in message
    assert "fabctl template notebook.yaml" in message
    assert run_json(tmp_path, "promote", "list") == []
    assert {r["rule"] for r in checked["refusals"]} == {"validations"}


def test_a_required_validation_that_fails_refuses_the_promotions_deployment_naming_the_rule(tmp_path: Path) -> None:
    source = governed(tmp_path, frozen=False)
    configure(source, "dev", "{notebooks_compile: warning}")  # dev takes work in progress; test does not
    notebook = source / TRANSFORM
    assert notebook.read_text().endswith("\n") and len(notebook.read_text().splitlines()) == 66
    notebook.write_text(notebook.read_text() + "\n# CELL ********************\n\nx = = 1\n")  # line 70
    run_json(tmp_path, "deploy", "governed", "--env", "dev")
    request = run_json(tmp_path, "promote", "request", "governed", "--from", "dev", "--user", "alice@contoso.com",
                       "--change", "CHG1234567")  # fmt: skip

    approved = run(tmp_path, "promote", "approve", request["id"], "--user", "bob@contoso.com")

    assert approved.returncode == 3 and "Traceback" not in approved.stderr, approved.stderr
    assert "a validation the promotion rules require did not pass" in approved.stderr
    assert "Notebook items must pass notebook-compiles (fabctl template notebook.yaml" in approved.stderr
    assert f"Transform Sales.Notebook: {TRANSFORM}, line 70: does not compile" in approved.stderr
    assert run_json(tmp_path, "promote", "show", request["id"])["state"] == "failed"
