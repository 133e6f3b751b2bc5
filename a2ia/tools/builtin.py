"""a2ia's builtin tools, served by one in-process MCP server (the SDK's ``MCPServer``).

The work is done in ``files.py``, ``shell.py`` and ``fetch.py``; this module only declares
the tools, their parameters (every string bounded, for grammar-constrained decoding on small
models) and their MCP annotations, which the approval policy reads:

=============  =========  ===========  ==========
tool           read-only  destructive  open world
=============  =========  ===========  ==========
list_dir       yes        no           no
read_file      yes        no           no
glob           yes        no           no
grep           yes        no           no
write_file     no         yes          no
edit_file      no         yes          no
run_shell      no         yes          yes
fetch_url      yes        no           yes
=============  =========  ===========  ==========

A refusal or failure is the SDK's ``ToolError``: a result with ``is_error`` the model reads.
With a ``Sandbox``, ``run_shell`` runs its commands confined and takes ``sandbox: false`` to
ask for one outside it (the approval policy always asks the person about those).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import httpx
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from a2ia.sandbox.base import Sandbox
from a2ia.tools import fetch, files, shell
from a2ia.tools.identity import BUILTIN_SERVER
from a2ia.tools.workspace import Workspace

MAX_PATH_CHARS = 256
MAX_PATTERN_CHARS = 200
MAX_COMMAND_CHARS = 4_000
MAX_CONTENT_CHARS = files.MAX_WRITE_CHARS
EDIT_TOOLS = frozenset({"write_file", "edit_file"})

PathArg = Annotated[str, Field(description="Path relative to the workspace root ('.' is the root).", max_length=MAX_PATH_CHARS)]
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
EDITS = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=False)
SHELL = ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=True)
WEB = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=True)

T = TypeVar("T")


def _failures_as_tool_errors(work: Callable[[], T]) -> T:
    try:
        return work()
    except files.ToolFailure as exc:
        raise ToolError(str(exc)) from None


CommandArg = Annotated[str, Field(description="A shell command, run in the workspace root.", max_length=MAX_COMMAND_CHARS)]
TimeoutArg = Annotated[int, Field(description="Seconds before it is stopped.", ge=1, le=shell.MAX_TIMEOUT_S)]


def make_builtin_server(workspace: Workspace, *, http: httpx.AsyncClient | None = None, sandbox: Sandbox | None = None) -> MCPServer:
    """Build the builtin MCP server for one workspace root (shell commands confined by ``sandbox``)."""
    server = MCPServer(BUILTIN_SERVER.name, instructions=f"Tools for the workspace at {workspace.root}.", log_level="WARNING")

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def list_dir(path: PathArg = ".") -> str:
        """List the files and folders in a folder of the workspace (folders end with '/')."""
        return _failures_as_tool_errors(lambda: files.list_dir(workspace, path))

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def read_file(
        path: PathArg,
        offset: Annotated[int, Field(description="First line to read, from 1.", ge=1)] = 1,
        limit: Annotated[int | None, Field(description="How many lines to read (default: all).", ge=1)] = None,
    ) -> str:
        """Read a text file of the workspace, whole or a range of lines."""
        return _failures_as_tool_errors(lambda: files.read_file(workspace, path, offset, limit))

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def glob(
        pattern: Annotated[str, Field(description="e.g. '**/*.py' or 'src/*.md'.", max_length=MAX_PATTERN_CHARS)],
        path: PathArg = ".",
    ) -> str:
        """Find files by name pattern under a folder of the workspace."""
        return _failures_as_tool_errors(lambda: files.glob(workspace, pattern, path))

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def grep(
        pattern: Annotated[str, Field(description="A regular expression.", max_length=MAX_PATTERN_CHARS)],
        path: PathArg = ".",
        glob: Annotated[str | None, Field(description="Only files whose name matches, e.g. '*.py'.", max_length=MAX_PATTERN_CHARS)] = None,
        ignore_case: bool = False,
    ) -> str:
        """Search the text of the workspace's files; answers 'file:line: text'."""
        return _failures_as_tool_errors(lambda: files.grep(workspace, pattern, path, glob, ignore_case))

    @server.tool(annotations=EDITS, structured_output=False)
    def write_file(path: PathArg, content: Annotated[str, Field(max_length=MAX_CONTENT_CHARS)]) -> str:
        """Create or overwrite a text file in the workspace (folders are created as needed)."""
        return _failures_as_tool_errors(lambda: files.write_file(workspace, path, content))

    @server.tool(annotations=EDITS, structured_output=False)
    def edit_file(
        path: PathArg,
        old_text: Annotated[str, Field(description="The exact text to replace, whitespace included.", max_length=MAX_CONTENT_CHARS)],
        new_text: Annotated[str, Field(description="The text to put in its place.", max_length=MAX_CONTENT_CHARS)],
        replace_all: bool = False,
    ) -> str:
        """Replace exact text in a file; refuses when the text is missing or appears more than once."""
        return _failures_as_tool_errors(lambda: files.edit_file(workspace, path, old_text, new_text, replace_all))

    async def shell_command(command: str, timeout_s: int, confined: bool) -> str:
        try:
            return await shell.run_shell(workspace, command, timeout_s, sandbox if confined else None)
        except files.ToolFailure as exc:
            raise ToolError(str(exc)) from None

    if sandbox is None:

        @server.tool(annotations=SHELL, structured_output=False)
        async def run_shell(command: CommandArg, timeout_s: TimeoutArg = shell.DEFAULT_TIMEOUT_S) -> str:
            """Run a shell command in the workspace root; answers its output (stdout and stderr)."""
            return await shell_command(command, timeout_s, confined=False)

    else:
        where = "it may write only inside the workspace and the temp dir" if sandbox.policy.mode == "workspace-write" else "it may not write files"
        net = "" if sandbox.policy.network else ", and has no network"

        @server.tool(annotations=SHELL, structured_output=False, description=(
            "Run a shell command in the workspace root; answers its output (stdout and stderr). "
            f"It runs in a sandbox: {where}{net}."
        ))
        async def run_shell(  # type: ignore[no-redef]
            command: CommandArg,
            timeout_s: TimeoutArg = shell.DEFAULT_TIMEOUT_S,
            sandbox: Annotated[bool, Field(description="false: run outside the sandbox (the person is always asked first).")] = True,
        ) -> str:
            return await shell_command(command, timeout_s, confined=sandbox)

    @server.tool(annotations=WEB, structured_output=False)
    async def fetch_url(url: Annotated[str, Field(description="An http:// or https:// URL.", max_length=2_000)]) -> str:
        """Fetch a web page or text file; answers its readable text."""
        try:
            if http is not None:
                return await fetch.fetch_url(url, client=http)
            async with httpx.AsyncClient(timeout=httpx.Timeout(20.0), headers={"User-Agent": "a2ia"}) as client:
                return await fetch.fetch_url(url, client=client)
        except files.ToolFailure as exc:
            raise ToolError(str(exc)) from None

    return server
