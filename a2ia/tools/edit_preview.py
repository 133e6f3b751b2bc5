"""What an edit would change, shown when a2ia asks before making it: a unified diff for
``edit_file`` and for ``write_file`` over an existing file, the first lines of a new file.

Computed from the file as it is when the person is asked, by the same code the tool runs
(``files.planned_edit``), so what is shown is what would be written. A call that would fail
has no preview: it fails when run, and says why.
"""

from __future__ import annotations

import difflib
from typing import Any

from a2ia.tools.files import MAX_WRITE_CHARS, ToolFailure, planned_edit, read_text, resolve
from a2ia.tools.workspace import Workspace

MAX_DIFF_LINES = 200
NEW_FILE_LINES = 20


def edit_preview(workspace: Workspace, tool: str, arguments: dict[str, Any]) -> str | None:
    try:
        if tool == "edit_file":
            real, before, after, _ = planned_edit(
                workspace, arguments["path"], arguments["old_text"], arguments["new_text"], bool(arguments.get("replace_all")))
        elif tool == "write_file":
            real = resolve(workspace, arguments["path"])
            after = arguments["content"]
            before = read_text(real, arguments["path"], MAX_WRITE_CHARS * 4) if real.is_file() else None
        else:
            return None
    except (ToolFailure, KeyError, TypeError, AttributeError):
        return None
    if not isinstance(after, str):
        return None
    shown = workspace.relative(real)
    if before is None:
        lines = after.splitlines()
        more = f"\n… {len(lines) - NEW_FILE_LINES} more lines" if len(lines) > NEW_FILE_LINES else ""
        return f"new file {shown} ({len(lines)} lines)\n" + "\n".join(f"+{line}" for line in lines[:NEW_FILE_LINES]) + more
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), f"a/{shown}", f"b/{shown}", lineterm=""))
    if not diff:
        return f"{shown}: no change"
    more = f"\n… {len(diff) - MAX_DIFF_LINES} more lines of the diff" if len(diff) > MAX_DIFF_LINES else ""
    return "\n".join(diff[:MAX_DIFF_LINES]) + more
