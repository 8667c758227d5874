"""`tx recover` and `tx revert` act on exactly the workspace and the Fabric a transaction journaled,
whatever the configuration says now; an explicit --fabric-url naming another Fabric is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from deploy_process import (
    content,
    environment,
    fabctl,
    kill_after_steps,
    workspace,
    workspace_names,
    write_source,
)
from emulator_process import RunningEmulator, configure
from state_journal import journal

NOWHERE = "http://127.0.0.1:9/v1"  # the discard port: no Fabric answers there
V0 = [(f"Job {n}", "Jobs", "", "v0") for n in range(8)]
V1 = [(f"Job {n}", "Jobs", "", "v1") for n in range(8)]


@pytest.mark.parametrize("flag", ["--workspace", "--workspace-id"])
def test_resume_completes_the_workspace_the_deploy_was_retargeted_to(
    fresh_emulator: RunningEmulator, tmp_path: Path, flag: str
) -> None:
    url = fresh_emulator.url
    write_source(tmp_path / "v0", "Configured", V0)
    write_source(tmp_path / "v1", "Configured", V1)  # the config names a workspace the deploy did not target
    write_source(tmp_path / "reference", "Reference", V1)
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    assert fabctl(tmp_path, "deploy", "reference", "--env", "dev", "--fabric-url", url).returncode == 0
    elsewhere = fabctl(tmp_path, "deploy", "v0", "--env", "dev", "--fabric-url", url, "--workspace", "Elsewhere")
    assert elsewhere.returncode == 0, elsewhere.stderr
    target = "Elsewhere" if flag == "--workspace" else workspace(fresh_emulator, "Elsewhere", ids=True)["id"]

    configure(fresh_emulator, latency_ms=40, lro_ms=60)
    crashed = kill_after_steps(tmp_path, "v1", url, 2, 0.0, flag, target)
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    recovered = fabctl(tmp_path, "tx", "recover", crashed, "--resume", "--force", "--output", "json")

    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert workspace_names(fresh_emulator) == ["Elsewhere", "Reference"]  # nothing went to "Configured"
    assert content(workspace(fresh_emulator, "Elsewhere")) == content(workspace(fresh_emulator, "Reference"))
    resumed = json.loads(recovered.stdout)["deployment"]
    assert resumed["workspace_id"] == next(t for t in journal(tmp_path) if t["id"] == crashed)["workspace_id"]


def test_recover_with_a_fabric_url_other_than_the_journaled_one_is_refused_and_changes_nothing(
    fresh_emulator: RunningEmulator, tmp_path: Path
) -> None:
    write_source(tmp_path / "v1", "Target", V1)
    configure(fresh_emulator, latency_ms=40, lro_ms=60)
    crashed = kill_after_steps(tmp_path, "v1", fresh_emulator.url, 2, 0.0)
    before = journal(tmp_path)

    refused = fabctl(tmp_path, "tx", "recover", crashed, "--rollback", "--force", "--fabric-url", NOWHERE)

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert fresh_emulator.url in refused.stderr and NOWHERE in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert journal(tmp_path) == before  # the journal untouched: still started, every step as the kill left it


def deployed_twice(emulator: RunningEmulator, tmp_path: Path) -> str:
    """v0 then v1 deployed to workspace Target; the id of v1's transaction."""
    write_source(tmp_path / "v0", "Target", V0)
    write_source(tmp_path / "v1", "Target", V1)
    for source in ("v0", "v1"):
        assert fabctl(tmp_path, "deploy", source, "--env", "dev", "--fabric-url", emulator.url).returncode == 0
    return str(journal(tmp_path)[-1]["id"])


def test_revert_reaches_the_journaled_fabric_whatever_the_settings_say(
    fresh_emulator: RunningEmulator, tmp_path: Path
) -> None:
    second = deployed_twice(fresh_emulator, tmp_path)
    before_second = [i["definition"] for i in workspace(fresh_emulator, "Target")["items"]]

    reverted = fabctl(tmp_path, "tx", "revert", second, env=environment(FABCTL_FABRIC_URL=NOWHERE))

    assert reverted.returncode == 0, reverted.stdout + reverted.stderr
    texts = {i["displayName"]: i["definition"]["parts"] for i in workspace(fresh_emulator, "Target")["items"]}
    assert all("v0" in json.dumps(parts) and "v1" not in json.dumps(parts) for parts in texts.values())
    assert before_second != [i["definition"] for i in workspace(fresh_emulator, "Target")["items"]]


def test_revert_with_a_fabric_url_other_than_the_journaled_one_is_refused(
    fresh_emulator: RunningEmulator, tmp_path: Path
) -> None:
    second = deployed_twice(fresh_emulator, tmp_path)
    before = workspace(fresh_emulator, "Target")

    refused = fabctl(tmp_path, "tx", "revert", second, "--fabric-url", NOWHERE)

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert fresh_emulator.url in refused.stderr and NOWHERE in refused.stderr
    assert workspace(fresh_emulator, "Target") == before


CUSTOM_PARAMETERS = """find_replace:
  - find_value: "print('v1"
    replace_value:
      dev: "print('custom v1"
"""


def test_resume_reads_the_configuration_and_parameter_file_the_deploy_was_given(
    fresh_emulator: RunningEmulator, tmp_path: Path
) -> None:
    # Deployed with --config and --parameter: a resume without them must read those files again, not
    # the folder's defaults (which name another workspace and parameterize nothing).
    url = fresh_emulator.url
    for source, workspace_name in (("v1", "Given"), ("reference", "Reference")):
        write_source(tmp_path / source, "Default", V1)
        (tmp_path / source / "given.yaml").write_text(f'environments:\n  dev:\n    workspace: "{workspace_name}"\n')
        (tmp_path / source / "custom.yml").write_text(CUSTOM_PARAMETERS)
    given = ("--config", "v1/given.yaml", "--parameter", "v1/custom.yml")
    reference = ("--config", "reference/given.yaml", "--parameter", "reference/custom.yml")
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    assert fabctl(tmp_path, "deploy", "reference", "--env", "dev", "--fabric-url", url, *reference).returncode == 0

    configure(fresh_emulator, latency_ms=40, lro_ms=60)
    crashed = kill_after_steps(tmp_path, "v1", url, 2, 0.0, *given)
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    recovered = fabctl(tmp_path, "tx", "recover", crashed, "--resume")

    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert workspace_names(fresh_emulator) == ["Given", "Reference"]  # nothing went to "Default"
    assert content(workspace(fresh_emulator, "Given")) == content(workspace(fresh_emulator, "Reference"))
    assert "custom v1" in json.dumps(content(workspace(fresh_emulator, "Given")))


def test_resume_of_a_folder_deployed_without_a_configuration_file(
    fresh_emulator: RunningEmulator, tmp_path: Path
) -> None:
    # A fabric-cicd user's folder: no workspace-config.yaml, the target given by --workspace alone.
    url = fresh_emulator.url
    for source in ("v1", "reference"):
        write_source(tmp_path / source, "unused", V1)
        (tmp_path / source / "workspace-config.yaml").unlink()
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    deployed = fabctl(tmp_path, "deploy", "reference", "--env", "dev", "--fabric-url", url, "--workspace", "Reference")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr

    configure(fresh_emulator, latency_ms=40, lro_ms=60)
    crashed = kill_after_steps(tmp_path, "v1", url, 2, 0.0, "--workspace", "Standalone")
    configure(fresh_emulator, latency_ms=0, lro_ms=0)
    recovered = fabctl(tmp_path, "tx", "recover", crashed, "--resume")

    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert workspace_names(fresh_emulator) == ["Reference", "Standalone"]
    assert content(workspace(fresh_emulator, "Standalone")) == content(workspace(fresh_emulator, "Reference"))
