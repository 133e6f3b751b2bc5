"""Who a2ia's own MCP server is: one object, read wherever the builtin server is named.

Its tools are named after it (``a2ia``), mcp.json files may not take that name, and the
registry knows it by its in-process target, never by comparing names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServerIdentity:
    name: str  # the server's name in the registry, in tool listings and approval rules (a2ia/run_shell)
    title: str  # what messages call it

    def is_named(self, name: str) -> bool:
        """Whether ``name`` is this server's, in any case (a config may not shadow it as ``A2IA``)."""
        return name.strip().casefold() == self.name.casefold()


BUILTIN_SERVER = ServerIdentity(name="a2ia", title="a2ia's builtin tools")
