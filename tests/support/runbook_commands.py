"""The commands of a runbook (docs/runbooks/*.md), read as docs/runbooks/README.md says they are written.

A command is a `$ ` line inside a ```console block: `$ [NAME=value ...] fabctl ARGS [> FILE]  # exits N; as WHO`.
`<UPPER_NAME>` placeholders are left in; the scenario fills them. A `$ ` line anywhere else in the file,
or one in a console block that is not a fabctl command, is a `Stray`: a command no test could run.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

PLACEHOLDER = re.compile(r"<([A-Z][A-Z0-9_]*)>")
ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")
EXITS = re.compile(r"^exits (\d+)\b")
AS = re.compile(r"^as ([^\s:]+)")


@dataclass(frozen=True)
class Command:
    line: int  # 1-based, in the runbook
    text: str  # as written, after the `$ `
    env: dict[str, str]  # NAME=value written before `fabctl`
    args: list[str]  # after `fabctl`
    stdout_to: str  # the FILE of a trailing `> FILE`, else ""
    exits: int  # `# exits N`, else 0
    actor: str  # `# as WHO`, else ""


class Stray(ValueError):
    """A `$ ` line the test cannot run: outside a console block, or not a fabctl command."""


def _annotations(comment: str) -> tuple[int, str]:
    exits, actor = 0, ""
    for clause in (c.strip() for c in comment.split(";")):
        if found := EXITS.match(clause):
            exits = int(found.group(1))
        elif found := AS.match(clause):
            actor = found.group(1)
    return exits, actor


def parse(text: str, line: int) -> Command:
    """One `$ ` line's text (without the `$ `) as a command; Stray if it is not a fabctl command."""
    code, _, comment = text.partition("  #")  # two spaces: a `#` inside an argument is not a comment
    try:
        words = shlex.split(code)
    except ValueError as e:
        raise Stray(f"line {line}: {text!r}: {e}") from e
    env: dict[str, str] = {}
    while words and (assignment := ASSIGNMENT.match(words[0])):
        env[assignment.group(1)] = assignment.group(2)
        words = words[1:]
    if not words or words[0] != "fabctl":
        raise Stray(f"line {line}: {text!r} is not a fabctl command")
    stdout_to = ""
    if len(words) >= 3 and words[-2] == ">":
        stdout_to, words = words[-1], words[:-2]
    if any(w in ("|", ">", ">>", "<", "&&", ";") for w in words):
        raise Stray(f"line {line}: {text!r}: only one fabctl command, with at most `> FILE`, is run")
    exits, actor = _annotations(comment)
    return Command(line, text, env, words[1:], stdout_to, exits, actor)


def commands(path: Path) -> list[Command]:
    """Every command of the runbook at `path`, in order; Stray for a `$ ` line the test could not run."""
    found: list[Command] = []
    fence = ""  # the open block's info string, "" outside a block
    inside = False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("```"):
            inside, fence = (False, "") if inside else (True, stripped[3:].strip())
            continue
        if not stripped.startswith("$ "):
            continue
        if not (inside and fence == "console"):
            raise Stray(f"{path.name} line {number}: a `$ ` line outside a ```console block: {stripped!r}")
        found.append(parse(stripped[2:], number))
    return found


def placeholders(command: Command) -> list[str]:
    return PLACEHOLDER.findall(command.text)
