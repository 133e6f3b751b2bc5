"""Model backends behind one contract, ``LLMClient``."""

from a2ia.client.base import LLMClient
from a2ia.client.scripted import ScriptedClient

__all__ = ["LLMClient", "ScriptedClient"]
