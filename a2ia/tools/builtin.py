"""a2ia's builtin tools, served by one in-process MCP server (the SDK's ``MCPServer``).

Every file tool is confined to the workspace root (see ``workspace.py``). A refusal or a
failure is raised as the SDK's ``ToolError``, which the SDK returns to the client as a
result with ``is_error`` set: data the model reads, never a crash.

String parameters carry ``maxLength``: grammar-constrained decoding on small models only
terminates reliably when every string is bounded.
"""

from __future__ import annotations

from typing import Annotated

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from a2ia.tools.workspace import OutsideWorkspace, Workspace

MAX_LIST_ENTRIES = 500
MAX_READ_CHARS = 32_000
MAX_PATH_CHARS = 256

PathArg = Annotated[
    str,
    Field(description="Path relative to the workspace root ('.' is the root).", max_length=MAX_PATH_CHARS),
]
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)


def make_builtin_server(workspace: Workspace) -> MCPServer:
    """Build the builtin MCP server for one workspace root."""
    server = MCPServer(
        "a2ia",
        instructions=f"File tools for the workspace at {workspace.root}.",
        log_level="WARNING",
    )

    def resolve(path: str):
        try:
            real = workspace.resolve(path)
            real.exists()  # an unusable name (too long, …) fails here, as a tool error
        except OutsideWorkspace as exc:
            raise ToolError(str(exc)) from None
        except OSError as exc:
            raise ToolError(f"cannot use the path {path[:80]!r}: {exc.strerror or exc}") from None
        return real

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def list_dir(path: PathArg = ".") -> str:
        """List the files and folders in a folder of the workspace (folders end with '/')."""
        real = resolve(path)
        if not real.exists():
            raise ToolError(f"{path!r} does not exist")
        if not real.is_dir():
            raise ToolError(f"{path!r} is a file, not a folder; use read_file to read it")
        try:
            entries = sorted(real.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower()))
        except OSError as exc:
            raise ToolError(f"cannot list {path!r}: {exc.strerror or exc}") from None
        lines = [e.name + ("/" if e.is_dir() else "") for e in entries[:MAX_LIST_ENTRIES]]
        if len(entries) > MAX_LIST_ENTRIES:
            lines.append(f"… and {len(entries) - MAX_LIST_ENTRIES} more entries")
        return "\n".join(lines) if lines else f"({workspace.relative(real)} is empty)"

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def read_file(path: PathArg) -> str:
        """Read a text file of the workspace."""
        real = resolve(path)
        if not real.exists():
            raise ToolError(f"{path!r} does not exist")
        if real.is_dir():
            raise ToolError(f"{path!r} is a folder; use list_dir to see what is in it")
        try:
            with real.open("rb") as handle:
                data = handle.read(MAX_READ_CHARS * 4 + 1)
        except OSError as exc:
            raise ToolError(f"cannot read {path!r}: {exc.strerror or exc}") from None
        if b"\x00" in data[:8192]:
            raise ToolError(f"{path!r} looks like a binary file; read_file reads text only")
        text = data.decode("utf-8", errors="replace")
        if len(text) > MAX_READ_CHARS:
            return text[:MAX_READ_CHARS] + f"\n… (truncated at {MAX_READ_CHARS} characters)"
        return text

    return server
