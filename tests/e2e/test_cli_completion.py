"""`fabctl completion bash|zsh|fish` prints a script that completes fabctl in that shell.

bash is on every machine that runs these tests: its script is sourced and asked for completions,
as bash asks when Tab is pressed. zsh and fish may not be installed: their scripts are checked for
what they must call, and fabctl is asked the way those scripts ask it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest
from cli import COMMAND, run


def fabctl_on_path(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH finds `fabctl` (this checkout's CLI), as an installed one would be."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "fabctl"
    shim.write_text(f'#!/bin/sh\nexec {shlex.join(COMMAND)} "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FABCTL_", "_FABCTL_"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def bash_completions(tmp_path: Path, words: list[str]) -> list[str]:
    """What bash offers for the last of `words` once the script is installed as the help says."""
    script = (
        'eval "$(fabctl completion bash)"\n'
        f"COMP_WORDS=({shlex.join(words)}); COMP_CWORD={len(words) - 1}; COMPREPLY=()\n"
        "_fabctl_completion fabctl\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script],
        cwd=tmp_path,
        env=fabctl_on_path(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == "", result.stderr
    return [line for line in result.stdout.splitlines() if line]


def test_bash_completes_commands_options_and_their_choices(tmp_path: Path) -> None:
    assert bash_completions(tmp_path, ["fabctl", "de"]) == ["deploy"]
    assert bash_completions(tmp_path, ["fabctl", "tx", "re"]) == ["recover", "revert"]
    assert "--detailed-exitcode" in bash_completions(tmp_path, ["fabctl", "plan", "src", "--de"])
    assert bash_completions(tmp_path, ["fabctl", "plan", "src", "--output", ""]) == ["text", "json", "markdown"]
    assert bash_completions(tmp_path, ["fabctl", "completion", ""]) == ["bash", "zsh", "fish"]
    assert not (tmp_path / ".fabctl").exists(), "completing created state"


@pytest.mark.parametrize(
    ("shell", "registers"),
    [
        ("bash", "complete -o nosort -F _fabctl_completion fabctl"),
        ("zsh", "compdef _fabctl_completion fabctl"),
        ("fish", "complete --no-files --command fabctl"),
    ],
)
def test_each_script_registers_itself_and_asks_fabctl(tmp_path: Path, shell: str, registers: str) -> None:
    result = run(tmp_path, "completion", shell)

    assert result.returncode == 0, result.stdout + result.stderr
    assert registers in result.stdout
    assert f"_FABCTL_COMPLETE={shell}_complete" in result.stdout


@pytest.mark.parametrize(
    ("shell", "cword", "expected"),
    [("zsh", "1", ["plain", "deploy"]), ("fish", "de", ["plain,deploy"])],
)
def test_fabctl_answers_zsh_and_fish_as_their_scripts_ask(
    tmp_path: Path, shell: str, cword: str, expected: list[str]
) -> None:
    env = fabctl_on_path(tmp_path) | {
        "COMP_WORDS": "fabctl de",
        "COMP_CWORD": cword,
        "_FABCTL_COMPLETE": f"{shell}_complete",
    }
    result = subprocess.run(["fabctl"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr
    answer = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert answer[: len(expected)] == expected, result.stdout


def test_an_unknown_shell_is_a_usage_error(tmp_path: Path) -> None:
    result = run(tmp_path, "completion", "powershell")

    assert result.returncode == 2, result.stdout + result.stderr
    assert "'powershell' is not one of 'bash', 'zsh', 'fish'" in result.stderr
