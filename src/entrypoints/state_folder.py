"""The state folder (`FABCTL_STATE_DIR`): checked, and created, before any adapter opens a file in it.

An adapter that fails to create `state.db` can only say "[Errno 20] Not a directory"; here the
problem is named with the setting that chose the folder. Lengths are checked before anything is
created, so a refused folder leaves no half-made path behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from fabctl.adapters.source.documents import shown

# The longest name fabctl puts in the folder: SQLite's journal of the local Fabric.
LONGEST_FILE = "local-fabric.db-journal"


def state_folder_problem(folder: Path) -> str:
    """What keeps fabctl from keeping its files in `folder` ('' when nothing): it is created if missing."""
    anchor = next((p for p in (folder, *folder.parents) if os.path.lexists(p)), Path("."))
    name_max, path_max = os.pathconf(anchor, "PC_NAME_MAX"), os.pathconf(anchor, "PC_PATH_MAX")
    longest = max(folder.parts, key=lambda part: len(os.fsencode(part)), default="")
    if len(os.fsencode(longest)) > name_max:
        return f"has a name longer than the file system allows ({name_max} bytes): '{shown(longest, 40)}'"
    if len(os.fsencode(os.path.abspath(folder / LONGEST_FILE))) >= path_max:
        return f"is a longer path than the file system allows ({path_max} bytes)"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return "is a file, not a folder"
    except NotADirectoryError:
        return "is inside a file, not a folder"
    except OSError as e:
        return f"cannot be created: {e.strerror or e}"
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        return f"cannot be written: {e.strerror or e}"
    return ""
