"""The repository's CI templates (`templates/`), read as CI reads them: the shell scripts that call fabctl."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
GITHUB = TEMPLATES / "github-actions" / ".github" / "workflows"
AZURE_DEVOPS = TEMPLATES / "azure-devops" / "azure-pipelines"
FABCTL_STEP = "steps/fabctl.yml"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def github_run(workflow: str, job: str, step: str) -> str:
    """The `run:` script of the step named `step` of `job` in `.github/workflows/<workflow>`."""
    steps = load(GITHUB / workflow)["jobs"][job]["steps"]
    (found,) = [s for s in steps if s.get("name") == step]
    script: str = found["run"]
    assert "${{" not in script, f"{workflow}: {step}: an expression in a script (pass it through env:)"
    return script


def azure_script(pipeline: str, display_name: str) -> str:
    """The whole inline script the AzureCLI@2 task of `steps/fabctl.yml` runs for the use named `display_name`:
    the template's sign-in lines with the use's `script` in place of `${{ parameters.script }}`."""
    uses = [s for s in walk(load(AZURE_DEVOPS / pipeline)) if s.get("template") == FABCTL_STEP]
    (use,) = [u for u in uses if u["parameters"]["displayName"] == display_name]
    (task,) = load(AZURE_DEVOPS / FABCTL_STEP)["steps"]
    inline: str = task["inputs"]["inlineScript"]
    return inline.replace("${{ parameters.script }}", use["parameters"]["script"])


def walk(node: Any) -> list[dict[str, Any]]:
    """Every mapping in a parsed YAML document, depth first."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += walk(value)
    elif isinstance(node, list):
        for value in node:
            found += walk(value)
    return found


def bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`script` as the runner runs it: bash, stopping at the first failing command (GitHub's `bash -e`)."""
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
