"""``VLLMClient``: the OpenAI-compatible client with vLLM's defaults and knowledge.

* Tool definitions carry ``"strict": true`` and the decoding schema (grounded paths as an
  ``enum`` of what exists): vLLM constrains a call's arguments to the schema only for strict
  tools (with ``tool_choice`` ``required`` or a named tool).
* A server started without ``--enable-auto-tool-choice`` answers tools with a 400 that the base
  client maps to ``ToolsNotSupported``.
* A ``<tool_call>`` block left in ``content`` (streaming through the hermes parser, or a call
  cut by ``max_tokens``) is recovered by the shared ``text_calls`` step; a first tool-call
  delta without ``arguments`` is handled by the shared accumulator.
* Liveness at ``/health`` (outside ``/v1``); ``max_model_len`` from ``/v1/models``.
"""

from __future__ import annotations

import httpx

from a2ia.backends import DEFAULT_VLLM_URL
from a2ia.client.openai_compat import OpenAICompatClient
from a2ia.hints import setting


class VLLMClient(OpenAICompatClient):
    strict_tools = True
    unreachable_hint = (
        f"is vLLM running? start one with {setting('start_server')} (or scripts/vllm_start.sh); "
        f"or check {setting('vllm_url')}"
    )
    constrained_decoding = True

    def __init__(self, base_url: str = DEFAULT_VLLM_URL, **kwargs) -> None:
        super().__init__(base_url, **kwargs)

    @property
    def server_root(self) -> str:
        return self.base_url[: -len("/v1")] if self.base_url.endswith("/v1") else self.base_url

    async def healthy(self) -> bool:
        """Whether ``/health`` answers 200 (the engine is up; ``/v1/models`` follows ~15 ms later)."""
        try:
            response = await self._http.get(f"{self.server_root}/health", timeout=5.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200
