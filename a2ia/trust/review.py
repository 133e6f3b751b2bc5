"""What a folder's project files would do, for the person deciding whether to trust it.

Each server is shown with its exact command or URL, each setting with its value; everything
that acts on its own (a program started, a connection made) or loosens safety (approvals,
allow rules, believed hints, the sandbox) carries the reason. The files are read as written
(``${VAR}`` left as is) and nothing in them runs: a broken file is a line that says so.
"""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from a2ia.net import is_local_host
from a2ia.paths import PROJECT_DIR, PROJECT_FILES, project_file, project_files, shown_name
from a2ia.trust.check import TrustCheck

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MAX_SHOWN = 200  # a value longer than this is cut in the listing (the digest covers all of it)


@dataclass(frozen=True)
class ReviewLine:
    text: str
    warning: str | None = None  # why this acts on its own or loosens safety

    def render(self) -> str:
        return f"{self.text}  ⚠ {self.warning}" if self.warning else self.text


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)  # TOML has dates
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def _remote(url: Any) -> bool:
    return not is_local_host(urlsplit(str(url)).hostname)


def _setting_warning(key: str, value: Any) -> str | None:
    if key == "approval" and value != "ask":
        return {"yolo": "no tool call asks first"}.get(str(value), "some tool calls run without asking")
    if key == "yes" and value:
        return "every call that would ask is allowed"
    if key == "allow_tools" and value:
        return "these tools run without asking"
    if key == "sandbox" and value == "off":
        return "shell commands run without the sandbox"
    if key == "sandbox_backend" and value == "landlock":
        return "a weaker sandbox than bubblewrap"
    if key == "sandbox_network" and value:
        return "sandboxed commands may use the network"
    if key == "sandbox_writable" and value:
        return "sandboxed commands may write there"
    if key == "sandbox_deny_read":
        return "replaces the folders sandboxed commands may not read"
    if key in ("base_url", "vllm_url", "ollama_url") and _remote(value):
        return "your conversation and files go to that server"
    if key in ("vllm_command", "vllm_args"):
        return "runs when a2ia starts vLLM"
    if key == "api_key":
        return "a key you did not set"
    return None


def _read(folder: Path, name: str, parse) -> tuple[object, list[ReviewLine]]:
    """A project file parsed, or the line that says it cannot be (``None, []`` when absent)."""
    try:
        return parse(project_file(folder, name).read_text(encoding="utf-8")), []
    except FileNotFoundError:
        return None, []
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, [ReviewLine(f"{PROJECT_DIR}/{name}: cannot be read ({type(exc).__name__}); a2ia will stop with its error if trusted")]


def _settings_lines(folder: Path) -> list[ReviewLine]:
    data, problem = _read(folder, "config.toml", tomllib.loads)
    if not isinstance(data, dict):
        return problem
    return [ReviewLine(f"setting {_short(k)} = {_short(v)}", _setting_warning(k, v)) for k, v in data.items()]


def _server_lines(folder: Path) -> list[ReviewLine]:
    data, problem = _read(folder, "mcp.json", json.loads)
    if problem or data is None:
        return problem
    servers = data.get("mcpServers") if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        return [ReviewLine(f"{PROJECT_DIR}/mcp.json: no \"mcpServers\" object")]
    lines: list[ReviewLine] = []
    for server, raw in servers.items():
        if not isinstance(raw, dict):
            lines.append(ReviewLine(f"server {_short(server)}: not an object (ignored)"))
            continue
        if raw.get("disabled") is True:
            lines.append(ReviewLine(f"server {_short(server)}: disabled"))
            continue
        if "command" in raw:
            args = raw.get("args") if isinstance(raw.get("args"), list) else []
            argv = [str(raw["command"]), *(str(a) for a in args)]
            sandboxed = " (sandboxed)" if raw.get("sandbox") is True else ""
            lines.append(ReviewLine(f"server {_short(server)} runs: {_short(shlex.join(argv))}{sandboxed}", "starts this program when a2ia starts"))
            if isinstance(raw.get("env"), dict) and raw["env"]:
                lines.append(ReviewLine(f"    with environment {', '.join(_short(k) for k in raw['env'])}"))
        elif "url" in raw:
            lines.append(ReviewLine(f"server {_short(server)} connects to: {_short(raw['url'])}", "a2ia connects when it starts"))
        else:
            lines.append(ReviewLine(f"server {_short(server)}: neither command nor url (ignored)"))
        if raw.get("trust") is True:
            lines.append(ReviewLine(f"    {_short(server)}: \"trust\": true", "its read-only hints are believed (its calls may run without asking)"))
    return lines


def _context_lines(folder: Path) -> list[ReviewLine]:
    lines = []
    for name, path in project_files(folder).items():
        if name in PROJECT_FILES or not path.exists():
            continue
        if name.startswith("commands/"):
            command = "/" + ":".join(Path(name).relative_to("commands").with_suffix("").parts)
            lines.append(ReviewLine(f"command {command} ({shown_name(name)}): a prompt you run by typing it"))
            continue
        try:
            count = len(path.read_text(encoding="utf-8").splitlines())
        except (OSError, UnicodeDecodeError) as exc:
            lines.append(ReviewLine(f"{name}: cannot be read ({type(exc).__name__}); left out if trusted"))
            continue
        lines.append(ReviewLine(f"{name}: instructions for the model ({count} lines)", "the model gets them with every request"))
    return lines


def review_project(folder: Path) -> list[ReviewLine]:
    """Every server, setting and context file the folder's project files declare, in file order."""
    return _server_lines(folder) + _settings_lines(folder) + _context_lines(folder)


def summary(lines: list[ReviewLine]) -> list[str]:
    """What the store keeps, to say later what changed."""
    return [line.render() for line in lines]


def changes(check: TrustCheck, lines: list[ReviewLine]) -> list[str]:
    """Since the folder was trusted: files changed, and lines added (+) or gone (-)."""
    if check.state != "changed" or check.entry is None:
        return []
    now, before = summary(lines), list(check.entry.summary)
    out = [f"changed: {shown_name(name)}" for name in check.changed_files()]
    out += [f"+ {line}" for line in now if line not in before]
    out += [f"- {line}" for line in before if line not in now]
    return out
