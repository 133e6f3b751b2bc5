"""External MCP servers from configuration, in the ``mcpServers`` shape most MCP clients share.

::

    {"mcpServers": {
        "time": {"command": "uvx", "args": ["mcp-server-time"], "env": {"TZ": "${TZ:-UTC}"}},
        "docs": {"url": "https://example.com/mcp", "headers": {"Authorization": "Bearer ${DOCS_TOKEN}"},
                 "includeTools": ["search"]}
    }}

Files, later ones overriding earlier ones server by server: the user file
(``<platform config dir>/a2ia/mcp.json``), the project file (``<workspace>/.a2ia/mcp.json``,
read only in a trusted folder: see ``a2ia.trust``), then ``--mcp-config FILE``. No file may
declare a server named ``a2ia`` (in any case): that name is the builtin server's, and a file
that tries is refused with a ``ConfigError`` naming it. ``${VAR}`` and ``${VAR:-default}`` are replaced from the
environment in every string. A problem with one server (a missing variable, a bad shape) makes
that server fail with a message; it never stops the others. stdio servers get the SDK's
minimal environment (HOME, PATH, …) plus their ``env``, not a2ia's whole environment.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from a2ia.errors import ConfigError
from a2ia.hints import setting
from a2ia.json_text import JSONTextError, loads
from a2ia.paths import config_dir, project_file
from a2ia.tools.identity import BUILTIN_SERVER

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class _ServerBase(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    include_tools: tuple[str, ...] | None = Field(default=None, alias="includeTools")
    exclude_tools: tuple[str, ...] = Field(default=(), alias="excludeTools")
    disabled: bool = False
    # MCP tool annotations are hints from the server; only a trusted server's ``readOnlyHint``
    # lets a call run without asking (the spec: never decide on hints from untrusted servers).
    trust: bool = False
    # Lets the server's sampling/createMessage use the model without asking (else the person is asked).
    sampling: bool = False
    timeout_s: float | None = Field(default=None, alias="timeout", gt=0)
    source: str = ""

    def offers(self, tool: str) -> bool:
        if tool in self.exclude_tools:
            return False
        return self.include_tools is None or tool in self.include_tools


class StdioServer(_ServerBase):
    command: str
    args: tuple[str, ...] = ()
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    sandbox: bool = False  # run the server under the same kernel sandbox as run_shell


class HttpServer(_ServerBase):
    url: str
    headers: dict[str, str] = Field(default_factory=dict)


ServerConfig = StdioServer | HttpServer


class BrokenServer(BaseModel):
    """A server entry that could not be read: kept so that it is reported, never fatal."""

    model_config = ConfigDict(frozen=True)
    error: str
    source: str = ""


def interpolate(value: Any, environ: dict[str, str], missing: list[str]) -> Any:
    """``${VAR}`` / ``${VAR:-default}`` replaced in every string of ``value``; unknown names collected."""
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in environ:
                return environ[name]
            if default is not None:
                return default
            missing.append(name)
            return ""

        return _VAR.sub(replace, value)
    if isinstance(value, list):
        return [interpolate(v, environ, missing) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v, environ, missing) for k, v in value.items()}
    return value


def parse_server(name: str, raw: Any, source: str, environ: dict[str, str]) -> ServerConfig | BrokenServer:
    if not isinstance(raw, dict):
        return BrokenServer(error=f"{source}: server {name!r} must be a JSON object", source=source)
    missing: list[str] = []
    try:
        data = interpolate(raw, environ, missing)
    except RecursionError:
        return BrokenServer(error=f"{source}: server {name!r} is nested too deeply", source=source)
    if missing:
        names = ", ".join(sorted(set(missing)))
        return BrokenServer(error=f"{source}: server {name!r} uses unset environment variable(s) {names}", source=source)
    try:
        if "command" in data:
            return StdioServer.model_validate({**data, "source": source})
        if "url" in data:
            return HttpServer.model_validate({**data, "source": source})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return BrokenServer(error=f"{source}: server {name!r}: {problems}", source=source)
    return BrokenServer(error=f"{source}: server {name!r} needs either \"command\" (stdio) or \"url\" (HTTP)", source=source)


def read_config_file(path: Path, environ: dict[str, str]) -> dict[str, ServerConfig | BrokenServer]:
    """The servers one file declares. An unreadable or malformed file is a ``ConfigError``."""
    try:
        data = loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the MCP config {path}: {exc.strerror or exc}") from None
    except ValueError as exc:  # not UTF-8 (UnicodeDecodeError), or not JSON (JSONTextError)
        why = exc.why if isinstance(exc, JSONTextError) else str(exc)
        raise ConfigError(f"the MCP config {path} is not valid JSON: {why}", hint="it takes the mcpServers shape of Claude Desktop") from None
    servers = data.get("mcpServers") if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        raise ConfigError(f"the MCP config {path} has no \"mcpServers\" object", hint='{"mcpServers": {"name": {"command": "…"}}}')
    reserved = [name for name in servers if is_reserved(name)]
    if reserved:
        raise ConfigError(
            f"the MCP config {path} declares a server named {reserved[0]!r}: that name is reserved for {BUILTIN_SERVER.title}",
            hint="give the server another name in that file",
        )
    return {name: parse_server(name, raw, str(path), environ) for name, raw in servers.items()}


def is_reserved(name: str) -> bool:
    return BUILTIN_SERVER.is_named(name)


def user_config_file() -> Path:
    return config_dir() / "mcp.json"


def project_config_file(workspace: Path) -> Path:
    return project_file(workspace, "mcp.json")


def load_servers(
    workspace: Path,
    extra_file: Path | None = None,
    environ: dict[str, str] | None = None,
    *,
    include_project: bool = False,
) -> dict[str, ServerConfig | BrokenServer]:
    """All configured servers: user file, then project file (``include_project``: the folder is
    trusted), then ``extra_file``; disabled ones left out."""
    environ = dict(os.environ) if environ is None else environ
    merged: dict[str, ServerConfig | BrokenServer] = {}
    files = [user_config_file(), *([project_config_file(workspace)] if include_project else [])]
    for path in files:
        if path.is_file():
            merged.update(read_config_file(path, environ))
    if extra_file is not None:
        if not extra_file.is_file():
            raise ConfigError(f"no file at {extra_file} (the extra MCP servers file)", hint=f"check {setting('mcp_config')}")
        merged.update(read_config_file(extra_file, environ))
    return {name: cfg for name, cfg in merged.items() if not getattr(cfg, "disabled", False)}
