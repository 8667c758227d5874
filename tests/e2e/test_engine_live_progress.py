"""`fabctl deploy` on a terminal, through the real CLI against the emulator: stdout and stderr are a
pseudo-terminal, as when a person runs it, so the CLI picks its live display instead of the plain
lines it prints in CI logs (those are checked in test_engine_execution.py)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

from cli import COMMAND
from emulator_process import RunningEmulator
from sources import SOURCE, items, new_source, notebook, workspace, write_item

ROWS, COLUMNS = 40, 120
TIMEOUT_SECONDS = 120
# Control sequences: colours, erase line, cursor up, show/hide cursor...
CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
ITEM_LINE = re.compile(r"^\[(\d+)/(\d+)\] (\S+) (.+) \.\.\. (\w+) \(\d+\.\ds\)$")
BAR = re.compile(r"^deploying\s.*?\s(\d+|\?)/(\d+|\?)\s")


def run_on_terminal(cwd: Path, *args: str) -> tuple[int, str]:
    """`fabctl ARGS...` with stdout and stderr on a pseudo-terminal of ROWS x COLUMNS; its exit code
    and everything it wrote to the terminal."""
    # As `cli.run`: no FABCTL_* setting from the developer's shell. NO_COLOR stays set: colours are not
    # what tells the live display apart, and without them what remains to check is layout alone.
    env = {k: v for k, v in os.environ.items() if not k.startswith("FABCTL_")}
    env.update(NO_COLOR="1", TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(ROWS))
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    try:
        process = subprocess.Popen(
            [*COMMAND, *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal
        )
    finally:
        os.close(terminal)  # the child holds its own copy: reading ends once it exits
    output = bytearray()
    deadline = time.monotonic() + TIMEOUT_SECONDS
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the terminal's other side is closed, the process has exited
                break
            if not chunk:
                break
            output += chunk
        code = process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
    return code, output.decode("utf-8", errors="replace")


def screen(raw: str) -> list[str]:
    """What the terminal shows once the output has been played: carriage returns, line feeds, "erase
    line" (ESC[2K) and "cursor up" (ESC[nA) move or wipe text; other sequences (colours, cursor
    visibility) write none."""
    lines, row, column = [""], 0, 0
    for token in re.split(r"(\x1b\[[0-9;?]*[A-Za-z]|\r|\n)", raw):
        if token == "\r":
            column = 0
        elif token == "\n":
            row += 1
            lines.extend([""] * (row + 1 - len(lines)))
        elif token.startswith("\x1b["):
            if token == "\x1b[2K":
                lines[row] = ""
            elif token.endswith("A"):
                row = max(0, row - int(token[2:-1] or "1"))
        elif token:
            line = lines[row].ljust(column)
            lines[row] = line[:column] + token + line[column + len(token) :]
            column += len(token)
    while lines and not lines[-1].strip():
        lines.pop()
    return [line.rstrip() for line in lines]


def test_deploy_on_a_terminal_shows_a_live_bar_then_leaves_the_items_and_the_result_table(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    root = new_source(tmp_path)
    for index in range(3):
        write_item(root, "Notebook", f"Job {index}", notebook(f"print({index})"), folder="Jobs")

    code, raw = run_on_terminal(tmp_path, "deploy", SOURCE, "--env", "dev", "--fabric-url", emulator.url)

    assert code == 0, raw
    ids = {key: item["id"] for key, item in items(emulator).items()}
    assert sorted(ids) == ["Job 0.Notebook", "Job 1.Notebook", "Job 2.Notebook"]
    # While it ran: a progress bar redrawn in place (each frame starts after a carriage return), its
    # count rising to the folder and three items. Plain CI output never draws one.
    frames = [m for m in map(BAR.match, re.split(r"[\r\n]", CONTROL.sub("", raw))) if m]
    assert frames, raw
    assert (frames[-1].group(1), frames[-1].group(2)) == ("4", "4"), [f.group(0) for f in frames]
    assert any(f.group(1) != "4" for f in frames), [f.group(0) for f in frames]
    # Once it is over the bar is gone (it is transient): the terminal shows one line per finished item,
    # then the result table with the ids the emulator gave, then the transaction's outcome.
    shown = screen(raw)
    assert not [line for line in shown if BAR.match(line)], "\n".join(shown)
    finished = [m for m in map(ITEM_LINE.match, shown) if m]
    assert [int(m.group(1)) for m in finished] == [1, 2, 3, 4], "\n".join(shown)
    assert sorted((m.group(3), m.group(4), m.group(5)) for m in finished) == [
        ("create", "Job 0.Notebook", "done"),
        ("create", "Job 1.Notebook", "done"),
        ("create", "Job 2.Notebook", "done"),
        ("create_folder", "Jobs", "done"),
    ]
    after = shown[shown.index(finished[-1].group(0)) + 1 :]
    assert after[0] == f"Deployed to environment dev, workspace 'Engine (dev)' ({workspace(emulator)['id']})"
    assert after[1].split() == ["action", "item", "result", "id", "/", "detail"]
    rows = after[2:-1]
    for key, item_id in ids.items():
        assert any(re.fullmatch(rf"create\s+{re.escape(key)}\s+done\s+{item_id}", row) for row in rows), after
    assert re.fullmatch(r"Transaction \S+ committed: 3 create, 0 update, 0 delete, 0 no-op", after[-1]), after
