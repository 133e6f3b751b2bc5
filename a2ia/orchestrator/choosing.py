"""How a session calls tools, chosen from what the backend says it can do.

* The protocol: ``native`` (the backend's function calling) where the mode allows it and the
  backend has it, else ReAct prompting (constrained JSON where the backend can constrain
  decoding). A session keeps what it chose (``SessionState.protocol``); a backend that refuses
  tools after all moves that session to ReAct (``react_for``).
* The context budget: the backend's window, or ``fallback_window`` with a notice when it does
  not say (the same for every session on that client).
"""

from __future__ import annotations

from typing import Literal

from a2ia.client.base import LLMClient
from a2ia.orchestrator.budget import ContextBudget
from a2ia.orchestrator.events import Notice
from a2ia.orchestrator.protocols import NativeTools, ReActTools, ToolProtocol

Mode = Literal["auto", "native", "react"]


async def budget_for(client: LLMClient, fallback_window: int) -> tuple[ContextBudget, list[Notice]]:
    caps = await client.capabilities()
    notices = []
    window = caps.context_length
    if window is None:
        window = fallback_window
        notices.append(Notice(text=f"the server does not say how long its context is; assuming {window:,} tokens (set A2IA_N_CTX)"))
    return ContextBudget.for_client(client, window), notices


async def choose_protocol(client: LLMClient, mode: Mode) -> tuple[ToolProtocol, list[Notice]]:
    caps = await client.capabilities()
    if mode == "native" or (mode == "auto" and caps.native_tools):
        return NativeTools(), []
    protocol = ReActTools(constrained=caps.constrained_decoding)
    notices = []
    if mode == "auto":
        notices.append(Notice(text=f"{caps.model_id} has no native tool calling here; using {protocol.name} prompting"))
    return protocol, notices


async def react_for(client: LLMClient) -> ToolProtocol:
    """ReAct for a backend that turned out not to take tools natively."""
    return ReActTools(constrained=(await client.capabilities()).constrained_decoding)
