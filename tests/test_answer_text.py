"""What reaches the person of a reply: no loop to the token limit, none of the prompt's markup.

The repetition guard and the markup filter are pure text functions, tested on the texts the
135M model produced (``2+2: 2+2: …``, ``<message> The capital…``); the guard's place in the loop
runs with the scripted client, the lean tools block with the real model's tokenizer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from a2ia.client import _chatml
from a2ia.client.scripted import ScriptedClient
from a2ia.orchestrator.events import Notice, TurnDone
from a2ia.orchestrator.loop import DEFAULT_SYSTEM_PROMPT, Orchestrator
from a2ia.orchestrator.repetition import loop_start
from a2ia.orchestrator.session import Session
from a2ia.tools.builtin import make_builtin_server
from a2ia.tools.registry import ToolRegistry
from a2ia.tools.workspace import Workspace
from a2ia.types import Done, Message, TextDelta


def test_a_looping_tail_is_cut_after_its_first_copy() -> None:
    text = "What is 2+2? " + "2+2: " * 40
    kept = text[: loop_start(text)]
    assert kept.rstrip() == "What is 2+2? 2+2:"
    assert loop_start("The answer is 4. It is four. " * 2) is None, "a sentence said twice is not a loop"
    assert loop_start("| --- " * 12) is None, "a table rule is not a loop"
    assert loop_start("." * 400) is None, "a unit without a letter or digit is not a loop"
    assert loop_start("y" * 4000) is None, "one character over and over is not a phrase loop"
    assert loop_start("- red\n- green\n- blue\n" * 3) is None, "short runs stay"


def test_markup_the_prompt_uses_never_reaches_the_answer() -> None:
    def run(*parts: str) -> str:
        markup = _chatml.AnswerMarkup()
        return "".join(markup.feed(p) for p in parts) + markup.finish()

    assert run("<mess", "age> The capital", " is Paris.</mes", "sage>") == "The capital is Paris."
    assert run("message:", "\nHello") == "Hello"
    assert run("Me", "ssages are kept") == "Messages are kept"
    assert run(" 4") == " 4", "the model's own whitespace stays (its tokens are in the KV cache)"
    assert run("a < b") == "a < b"
    assert run('"functions.list_dir: returned:', "\nred\ngreen") == "red\ngreen"
    assert run("functions are useful") == "functions are useful"
    assert run("function overloading is", " allowed") == "function overloading is allowed"
    # A call written as text where an answer was asked for (the 135M model, tools off):
    assert run("function functions.list_dir:", '\n{ "path"', ': "."}') == ""
    assert run('functions.read_file:\n{"path": "a.txt"}', "\nThe file says hi.") == "\nThe file says hi."
    assert run('functions.read_file: {"path": "a', "") == "", "cut arguments are markup too"
    assert run("functions.list_dir:", " the folder has a.txt") == "the folder has a.txt"
    # The prompt's spelling of a name inside an answer: the person sees the name alone.
    assert run("Use the `functi", "ons.", "list_dir` function.") == "Use the `list_dir` function."
    assert run("I know these functions.", " Ask me.") == "I know these functions. Ask me."
    assert run("Some functions") == "Some functions"


@pytest.mark.anyio
async def test_a_reply_that_loops_is_cut_with_a_notice(workspace: Path) -> None:
    client = ScriptedClient(["The sum: " + "2+2: " * 60])
    async with ToolRegistry() as tools:
        await tools.add_server("a2ia", make_builtin_server(Workspace(workspace)))
        session = Session()
        events = [e async for e in Orchestrator(client, tools).run(session, "What is 2+2?")]
    shown = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert len(shown) < 260, "the stream stopped soon after the loop began"
    assert any(isinstance(e, Notice) and "repeating itself" in e.text for e in events)
    saved = session.messages[-1].content
    assert saved.startswith("The sum: 2+2") and saved.count("2+2") == 1, "one copy of the loop's unit is kept"
    assert shown.startswith(saved), "what is kept was shown"


@pytest.mark.anyio
async def test_a_loop_that_arrives_in_one_piece_still_shows_its_first_copy(workspace: Path) -> None:
    """A client that holds text back (the markup filter) can hand over a whole loop at once."""
    class OnePiece(ScriptedClient):
        async def _stream(self, messages, tools, options):
            self.requests.append(None)
            yield TextDelta(text="Hello! " * 40)
            yield Done(finish_reason="length")

    client = OnePiece([])
    async with ToolRegistry() as tools:
        await tools.add_server("a2ia", make_builtin_server(Workspace(workspace)))
        events = [e async for e in Orchestrator(client, tools).run(Session(), "Say hello.")]
    shown = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert shown.strip() == "Hello!"
    assert isinstance(events[-1], TurnDone)


@pytest.mark.anyio
@pytest.mark.model
async def test_the_builtin_tools_cost_few_prompt_tokens(smollm2: Path, workspace: Path) -> None:
    """The grammar carries each schema, so the prompt lists one line per tool (was 1,638 tokens)."""
    from llama_cpp import Llama

    async with ToolRegistry() as tools:
        await tools.add_server("a2ia", make_builtin_server(Workspace(workspace)))
        specs = tools.specs()
    prompt = _chatml.render([Message.system(DEFAULT_SYSTEM_PROMPT.format(root=workspace)), Message.user("Say hi.")], specs)
    assert all(_chatml.call_prefix(s.name) in prompt for s in specs)
    assert '"properties"' not in prompt and "<message>" not in prompt
    llama = Llama(str(smollm2), n_ctx=1024, verbose=False)
    try:
        tokens = len(llama.tokenize(prompt.encode(), add_bos=False, special=True))
    finally:
        llama.close()
    assert tokens <= 650, tokens
