"""Settings: one object for every front end, from (highest first):

1. command-line flags;
2. ``A2IA_*`` environment variables (``A2IA_BACKEND=vllm``, ``A2IA_ALLOW_TOOLS=run_*,git/*``);
3. the project file ``<workspace>/.a2ia/config.toml``, only in a folder the person trusts
   (``a2ia.trust``; ``--trust`` for one run): a cloned repository's config is someone else's;
4. the user file ``<platform config dir>/a2ia/config.toml`` (``~/.config/a2ia/config.toml``);
5. the defaults below.

The TOML keys are the field names (``backend = "ollama"``, ``allow_tools = ["run_*"]``).
``a2ia-cli config`` prints the effective settings and where each came from. ``trust`` is for
one run (flag or env) and ``project_trusted`` is what a2ia decided: neither can come from a
file, and a project file cannot move the workspace or name another servers file.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict, SettingsError

from a2ia.backends import BACKEND_CHOICES, DEFAULT_VLLM_URL
from a2ia.errors import ConfigError
from a2ia.hints import setting
from a2ia.paths import config_dir, project_file
from a2ia.trust.check import check_trust

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

Backend = Literal[BACKEND_CHOICES]  # type: ignore[valid-type]  # a2ia.backends declares them
Approval = Literal["ask", "auto", "auto-edit", "yolo", "plan"]
SandboxMode = Literal["workspace-write", "read-only", "off"]
SandboxBackend = Literal["auto", "bwrap", "landlock"]
Patterns = Annotated[tuple[str, ...], NoDecode]
Args = Annotated[tuple[str, ...], NoDecode]
DEFAULT_MAX_STEPS = 8
DEFAULT_N_CTX = 8192


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="A2IA_", extra="ignore", frozen=True)

    backend: Backend = "auto"
    model: str | None = Field(default=None, description="GGUF path (llamacpp) or served model name")
    base_url: str | None = Field(default=None, description="OpenAI-compatible server, ending in /v1")
    vllm_url: str = DEFAULT_VLLM_URL
    ollama_url: str | None = Field(default=None, description="Ollama server; default OLLAMA_HOST or :11434")
    api_key: SecretStr | None = Field(default=None, description="Bearer token for the openai and vllm backends")
    workspace: Path = Field(default_factory=Path.cwd)
    max_steps: int = Field(default=DEFAULT_MAX_STEPS, ge=1, le=1000)
    react: bool = Field(default=False, description="force ReAct prompting instead of native tool calls")
    approval: Approval | None = Field(default=None, description="default: auto where the sandbox works, else ask")
    yes: bool = Field(default=False, description="approve every call that would be asked about (this run)")
    allow_tools: Patterns = Field(default=(), description="tool name patterns that run without asking")
    deny_tools: Patterns = Field(default=(), description="tool name patterns that never run (deny wins)")
    mcp_config: Path | None = Field(default=None, description="an extra mcpServers JSON file")
    resume: str | None = Field(default=None, description="a saved session to continue: its id, or latest")
    save_sessions: bool = Field(default=True, description="save each session as JSON Lines in the data dir")
    start_server: bool = Field(default=False, description="start the engine's server (vLLM, Ollama) when none answers")
    pull: bool = Field(default=False, description="let Ollama download a missing model")
    vllm_command: str | None = Field(default=None, description="the vllm executable (default: beside a2ia, else on PATH)")
    vllm_args: Args = Field(default=(), description="extra arguments for vllm serve (a shell-quoted string in env)")
    tensor_parallel_size: int = Field(default=1, ge=1, le=64, description="GPUs a started vLLM server splits the model over")
    sandbox: SandboxMode = Field(default="workspace-write", description="how run_shell's commands are confined")
    sandbox_writable: Patterns = Field(default=(), description="more folders sandboxed commands may write to")
    add_dirs: Patterns = Field(
        default=(), description="more folders a2ia works in: file tools reach them, sandboxed commands may write there, "
        "MCP servers get them as roots",
    )
    sandbox_deny_read: Patterns | None = Field(default=None, description="what sandboxed commands may not read (default: credentials)")
    sandbox_network: bool = Field(default=False, description="let sandboxed commands use the network")
    sandbox_backend: SandboxBackend = Field(default="auto", description="bwrap (bubblewrap), landlock, or auto: bwrap, else landlock")
    trust: bool = Field(default=False, description="apply this folder's .a2ia/ files for this run without trusting it")
    project_trusted: bool = Field(default=False, description="set by a2ia: whether the workspace's .a2ia/ files were applied")

    @field_validator("allow_tools", "deny_tools", "sandbox_writable", "sandbox_deny_read", "add_dirs", mode="before")
    @classmethod
    def _split_patterns(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(p.strip() for p in value.split(",") if p.strip())
        return value

    @field_validator("vllm_args", mode="before")
    @classmethod
    def _split_args(cls, value: Any) -> Any:
        return tuple(shlex.split(value)) if isinstance(value, str) else value

    chat_template_file: Path | None = Field(
        default=None,
        description="embedded engine: a Jinja chat template to use instead of the model's own (as llama.cpp's --chat-template-file)",
    )
    n_ctx: int = Field(default=DEFAULT_N_CTX, ge=512)
    seed: int = 0
    temperature: float = Field(default=0.2, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=None, ge=1)
    vision: bool = Field(default=False, description="the model sees images though its server does not say (OpenAI-compatible, vLLM)")
    sampling_max_tokens: int = Field(default=1024, ge=1, le=65536, description="tokens an MCP server's sampling request may get")
    """Tokens a reply may have (``A2IA_MAX_TOKENS``); unset, the backend's own limit (1,024 embedded)."""
    debug: bool = False


NOT_IN_FILES = frozenset({"trust", "project_trusted"})
NOT_IN_PROJECT_FILES = frozenset({"workspace", "add_dirs", "mcp_config", "chat_template_file"})


def user_settings_file() -> Path:
    return config_dir() / "config.toml"


def project_settings_file(workspace: Path) -> Path:
    return project_file(workspace, "config.toml")


def _read_toml(path: Path, *, project: bool = False) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the settings file {path}: {exc}") from None
    except (ValueError, RecursionError) as exc:  # TOMLDecodeError, an integer over the digit limit, deep nesting
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ConfigError(f"the settings file {path} is not valid TOML: {why}") from None
    unknown = sorted(set(data) - set(Settings.model_fields))
    if unknown:
        raise ConfigError(
            f"the settings file {path} has unknown setting(s): {', '.join(unknown)}",
            hint=f"the settings are: {', '.join(k for k in Settings.model_fields if k not in NOT_IN_FILES)}",
        )
    forbidden = sorted(set(data) & (NOT_IN_FILES | (NOT_IN_PROJECT_FILES if project else frozenset())))
    if forbidden:
        raise ConfigError(
            f"the settings file {path} sets {', '.join(forbidden)}, which a settings file cannot set",
            hint=f"trust a folder with a2ia-cli trust (or {setting('trust')} for one run); choose the workspace "
            f"with {setting('workspace')}; a project's MCP servers go in .a2ia/mcp.json",
        )
    return data


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def resolve_settings(**flags: Any) -> tuple[Settings, dict[str, str]]:
    """The effective settings and, for each one set anywhere, where it came from."""
    given = {key: value for key, value in flags.items() if value is not None}
    try:
        from_env = EnvSettingsSource(Settings)()
    except (ValueError, SettingsError) as exc:
        raise ConfigError(f"invalid A2IA_* environment variable: {exc}") from None
    workspace = Path(given.get("workspace") or from_env.get("workspace") or Path.cwd())
    user_file, project_toml = user_settings_file(), project_settings_file(workspace)
    trust = check_trust(workspace, once=_flag(given.get("trust") or from_env.get("trust") or False))
    project = _read_toml(project_toml, project=True) if trust.applies else {}
    layers = [
        (f"user file {user_file}", _read_toml(user_file)),
        (f"project file {project_toml}", project),
        ("env", from_env),
        ("flag", given),
    ]
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for label, values in layers:
        for key, value in values.items():
            merged[key] = value
            origins[key] = f"env A2IA_{key.upper()}" if label == "env" else label
    merged["project_trusted"] = trust.state in ("once", "trusted")
    origins.pop("project_trusted", None)
    try:
        return Settings(**merged), origins
    except ValidationError as exc:
        problems = "; ".join(_problem(err, origins) for err in exc.errors())
        raise ConfigError(
            f"invalid setting: {problems}",
            hint=f"backends are {', '.join(BACKEND_CHOICES)}; A2IA_* variables and config.toml files count as settings",
        ) from None


def _problem(error: Any, origins: dict[str, str]) -> str:
    """One validation problem, with where the bad value came from (a file is named by its path)."""
    where = ".".join(str(p) for p in error["loc"]) or "settings"
    source = origins.get(str(error["loc"][0])) if error["loc"] else None
    return f"{where}: {error['msg']}" + (f" ({source})" if source else "")


def load_settings(**flags: Any) -> Settings:
    """The effective settings (flags given as ``None`` are "not given")."""
    return resolve_settings(**flags)[0]
