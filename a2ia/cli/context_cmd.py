"""``/context``: what the model is given with each request, in tokens, and the room left.

Counted with the backend's tokenizer where it has one (the embedded engine), else estimated
as the context budget does (``orchestrator/budget.py``); the window is the one the budget uses.
"""

from __future__ import annotations

from a2ia.cli.runtime import Agent
from a2ia.orchestrator.choosing import budget_for
from a2ia.orchestrator.context_files import context_block


async def context_report(agent: Agent) -> str:
    orchestrator = agent.orchestrator
    budget = orchestrator.budget or (await budget_for(agent.client, orchestrator.fallback_window))[0]
    prompt = orchestrator.system_prompt or ""
    own = prompt.split("\n\n", 1)[0] if agent.context else prompt
    specs = agent.tools.specs()
    history = agent.session.messages
    used = {
        "system prompt": budget.count(prompt),
        "tool definitions": budget.spec_tokens(specs),
        "conversation": sum(budget.message_tokens(m) for m in history),
    }
    window = budget.window or 0
    lines = [f"context window: {window:,} tokens ({'counted' if agent.client.count_tokens('a') else 'estimated'})",
             f"  system prompt     {used['system prompt']:>8,}  (a2ia's own {budget.count(own):,})"]
    for file in agent.context:
        cut = f", cut to its first {len(file.text):,} of {file.size:,} characters" if file.cut else ""
        lines.append(f"    {file.path} ({file.scope}): {budget.count(context_block([file])):,}{cut}")
    if not agent.context:
        lines.append("    no context files (AGENTS.md or A2IA.md in the workspace, the folders above it, or ~/.config/a2ia)")
    lines.append(f"  tool definitions  {used['tool definitions']:>8,}  ({len(specs)} tools)")
    lines.append(f"  conversation      {used['conversation']:>8,}  ({len(history)} messages)")
    free = window - sum(used.values())
    lines.append(f"  free              {max(free, 0):>8,}" + ("  (the oldest turns are left out of requests)" if free < 0 else ""))
    return "\n".join(lines)
