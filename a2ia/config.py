"""Settings: one object, read from flags (highest), then ``A2IA_*`` environment variables.

Config files (project and user) join this chain in a later layer; the object stays the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from a2ia.errors import ConfigError

Backend = Literal["auto", "llamacpp", "vllm", "ollama", "openai", "scripted"]
Approval = Literal["ask", "auto-edit", "yolo"]
Patterns = Annotated[tuple[str, ...], NoDecode]
BACKENDS: tuple[str, ...] = Backend.__args__  # type: ignore[attr-defined]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="A2IA_", extra="ignore", frozen=True)

    backend: Backend = "auto"
    model: str | None = Field(default=None, description="GGUF path (llamacpp) or served model name")
    base_url: str | None = Field(default=None, description="OpenAI-compatible server, ending in /v1")
    vllm_url: str = "http://127.0.0.1:8000/v1"
    ollama_url: str | None = Field(default=None, description="Ollama server; default OLLAMA_HOST or :11434")
    api_key: SecretStr | None = Field(default=None, description="Bearer token for --backend openai/vllm")
    workspace: Path = Field(default_factory=Path.cwd)
    max_steps: int = Field(default=8, ge=1, le=1000)
    react: bool = Field(default=False, description="force ReAct prompting instead of native tool calls")
    approval: Approval = "ask"
    yes: bool = Field(default=False, description="approve every call that would be asked about (this run)")
    allow_tools: Patterns = Field(default=(), description="tool name patterns that run without asking")
    deny_tools: Patterns = Field(default=(), description="tool name patterns that never run (deny wins)")
    mcp_config: Path | None = Field(default=None, description="an extra mcpServers JSON file")

    @field_validator("allow_tools", "deny_tools", mode="before")
    @classmethod
    def _split_patterns(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(p.strip() for p in value.split(",") if p.strip())
        return value
    n_ctx: int = Field(default=8192, ge=512)
    seed: int = 0
    temperature: float = Field(default=0.2, ge=0.0, le=2.0)
    debug: bool = False


def load_settings(**flags: Any) -> Settings:
    """Settings from flags (``None`` means "not given") over the environment."""
    given = {key: value for key, value in flags.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(
            f"invalid setting: {problems}",
            hint=f"backends are {', '.join(BACKENDS)}; A2IA_* environment variables count as settings",
        ) from None
