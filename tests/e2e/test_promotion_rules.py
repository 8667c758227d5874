"""Promotion rules through the real CLI on the local default: change references, freeze windows,
emergencies, approver groups (principals.yaml) and `fabctl rules check`.

`promote request` judges freeze windows at the real time (no setting may move fabctl's clock: that would
open every freeze). So the tests that request write a window around the moment they run (the day before
to the day after, in the zone's own week) or far from it; `rules check --at` judges fixed instants.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cli import run, run_json

GOVERNED = Path(__file__).resolve().parents[2] / "examples" / "governed-workspace"
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ZONE = "Europe/Amsterdam"


def day_time(at: datetime) -> str:
    local = at.astimezone(ZoneInfo(ZONE))
    return f"{DAYS[local.weekday()]} {local:%H:%M}"


def governed(cwd: Path, *, frozen: bool) -> Path:
    """The governed example deployed to dev, its weekend freeze replaced by one around now, or far from now."""
    source = cwd / "governed"
    shutil.copytree(GOVERNED, source)
    now = datetime.now(UTC)
    start, end = (now - timedelta(days=1), now + timedelta(days=1)) if frozen else (
        now + timedelta(days=2), now + timedelta(days=3))  # fmt: skip
    config = source / "workspace-config.yaml"
    old = '{name: weekend, from: "Friday 16:00", to: "Monday 08:00", time_zone: Europe/Amsterdam}'
    new = f'{{name: test-window, from: "{day_time(start)}", to: "{day_time(end)}", time_zone: {ZONE}}}'
    assert old in config.read_text()
    config.write_text(config.read_text().replace(old, new))
    run_json(cwd, "deploy", "governed", "--env", "dev")
    return source


def error(result: Any) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    return str(result.stderr)


def test_a_change_reference_is_required_and_must_match(tmp_path: Path) -> None:
    governed(tmp_path, frozen=False)
    for args in ((), ("--change", "CHG12"), ("--change", "chg1234567")):
        refused = run(tmp_path, "promote", "request", "governed", "--from", "dev", "--user", "alice@contoso.com", *args)
        assert "change_pattern" in error(refused) and r"CHG\d{7}" in refused.stderr, args
    request = run_json(tmp_path, "promote", "request", "governed", "--from", "dev", "--user", "alice@contoso.com",
                       "--change", "CHG1234567")  # fmt: skip
    assert request["change"] == "CHG1234567" and request["emergency"] is False
    assert request["approver_groups"] == [["release-approvers"]]


def test_an_approver_outside_the_group_is_refused_and_a_member_approves(tmp_path: Path) -> None:
    governed(tmp_path, frozen=False)
    request = run_json(tmp_path, "promote", "request", "governed", "--from", "dev", "--user", "alice@contoso.com",
                       "--change", "CHG1234567")  # fmt: skip
    refused = run(tmp_path, "promote", "approve", request["id"], "--user", "carol@contoso.com")
    assert "not a member of group 'release-approvers'" in error(refused)
    assert run_json(tmp_path, "promote", "show", request["id"])["approvals"] == []
    approved = run_json(tmp_path, "promote", "approve", request["id"], "--user", "bob@contoso.com")
    assert approved["state"] == "succeeded"
    assert approved["approvals"][0]["groups"] == ["release-approvers"]


def test_a_freeze_window_refuses_a_request(tmp_path: Path) -> None:
    governed(tmp_path, frozen=True)
    refused = run(tmp_path, "promote", "request", "governed", "--from", "dev", "--user", "alice@contoso.com",
                  "--change", "CHG1234567")  # fmt: skip
    assert "freeze window test-window" in error(refused) and "--emergency" in refused.stderr
    assert run_json(tmp_path, "promote", "list") == []


def test_an_emergency_request_needs_the_emergency_group_and_is_marked(tmp_path: Path) -> None:
    governed(tmp_path, frozen=True)
    request = run_json(tmp_path, "promote", "request", "governed", "--from", "dev", "--user", "alice@contoso.com",
                       "--change", "CHG1234567", "--emergency")  # fmt: skip
    assert request["emergency"] is True and request["emergency_approvers"] == ["change-board"]
    refused = run(tmp_path, "promote", "approve", request["id"], "--user", "bob@contoso.com")  # a release approver
    assert "needs an approval from a member of group 'change-board'" in error(refused)
    approved = run_json(tmp_path, "promote", "approve", request["id"], "--user", "dana@contoso.com")
    assert approved["state"] == "succeeded"
    actions = [(e["actor"], e["action"]) for e in approved["audit"]]
    assert ("alice@contoso.com", "emergency") in actions
    assert ("dana@contoso.com", "emergency approved") in actions
    # judged again as the deployment started, still in the window: the override is what let it deploy
    assert ("fabctl", "emergency deploy") in actions
    assert actions.index(("fabctl", "emergency deploy")) == actions.index(("fabctl", "deploying")) + 1
    deploy = next(e for e in approved["audit"] if e["action"] == "emergency deploy")
    assert deploy["detail"] == "in a freeze window, approved by change-board"


def test_rules_check_names_each_rule_and_passes_on_a_weekday(tmp_path: Path) -> None:
    shutil.copytree(GOVERNED, tmp_path / "governed")
    saturday = "2026-12-05T12:00:00+01:00"
    refused = run(tmp_path, "rules", "check", "governed", "--from", "dev", "--at", saturday)
    assert refused.returncode == 2, refused.stderr
    assert "refused: change_pattern" in refused.stdout and "refused: freeze_windows" in refused.stdout
    judged = run_json(tmp_path, "rules", "check", "governed", "--from", "dev", "--change", "CHG1234567",
                      "--at", "2026-12-02T12:00:00+01:00")  # fmt: skip
    assert judged["passed"] is True and judged["refusals"] == []
    origins = {i["item"]: i["rule"]["origin"] for i in judged["items"]}
    assert origins["SalesLakehouse.Lakehouse"] == (
        "fabctl template lakehouse.yaml < workspace-config.yaml environments.test.promotion.rules.default"
    )


def test_a_bad_rule_names_file_and_field(tmp_path: Path) -> None:
    source = tmp_path / "governed"
    shutil.copytree(GOVERNED, source)
    config = source / "workspace-config.yaml"
    config.write_text(config.read_text().replace("Friday 16:00", "Fryday 16:00"))
    refused = run(tmp_path, "rules", "check", "governed", "--from", "dev")
    assert "workspace-config.yaml" in error(refused)
    assert "environments.test.promotion.rules.default.freeze_windows[0].from" in refused.stderr


def test_promote_request_shows_the_rule_of_each_item_and_where_it_came_from(tmp_path: Path) -> None:
    governed(tmp_path, frozen=False)
    opened = run_json(tmp_path, "promote", "request", "governed", "--from", "dev", "--user", "alice@contoso.com",
                      "--change", "CHG1234567", "--item", "SalesLakehouse.Lakehouse")  # fmt: skip
    shown = run(tmp_path, "promote", "request", "governed", "--from", "dev", "--user", "alice@contoso.com",
                "--change", "CHG1234567", "--item", "Transform Sales.Notebook")  # fmt: skip

    assert opened["rules"]["passed"] is True and opened["rules"]["refusals"] == []
    [lakehouse] = opened["rules"]["items"]
    assert lakehouse["item"] == "SalesLakehouse.Lakehouse"
    assert lakehouse["rule"]["origin"] == (
        "fabctl template lakehouse.yaml < workspace-config.yaml environments.test.promotion.rules.default"
    )
    assert lakehouse["rule"]["approver_groups"] == ["release-approvers"]
    assert lakehouse["rule"]["validations"] == ["no-foreign-environment-values", "no-secret-literals"]
    assert shown.returncode == 0, shown.stderr
    assert "Rules:" in shown.stdout
    assert (
        "Transform Sales.Notebook: approvals as the environment says; groups release-approvers; from dev; "
        r"change CHG\d{7}; freeze test-window: "
    ) in shown.stdout
    assert (
        "at most 10 items; validations notebook-compiles, no-foreign-environment-values, no-secret-literals  "
        "[fabctl template notebook.yaml < workspace-config.yaml environments.test.promotion.rules.default]"
    ) in shown.stdout
