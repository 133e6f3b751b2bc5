"""Images attached with ``@path.png``: read from the workspace, checked by their first bytes,
given to a model that sees images in its backend's documented wire form (OpenAI-compatible
``image_url`` content parts; Ollama's ``images``: both asserted on the request bodies a2ia
builds, since no vision model runs here), and refused with a clear notice otherwise."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from a2ia.client.ollama import message_to_ollama
from a2ia.client.openai_compat import message_to_openai
from a2ia.client.scripted import ScriptedClient
from a2ia.orchestrator.events import Notice, TurnDone
from a2ia.orchestrator.images import image_type
from a2ia.orchestrator.loop import Orchestrator
from a2ia.orchestrator.session import Session
from a2ia.tools.workspace import Workspace
from a2ia.types import ImagePart, Message

PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)


def test_the_wire_forms_of_an_image() -> None:
    message = Message.user("what is this?", (ImagePart(mime_type="image/png", data="aGk="),))
    assert message_to_openai(message) == {"role": "user", "content": [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,aGk="}},
    ]}
    assert message_to_ollama(message) == {"role": "user", "content": "what is this?", "images": ["aGk="]}
    assert message_to_openai(Message.user("plain")) == {"role": "user", "content": "plain"}, "no images: as before"


def test_an_image_is_known_by_its_first_bytes() -> None:
    assert image_type(PNG) == "image/png" and image_type(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert image_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp" and image_type(b"GIF89a") == "image/gif"
    assert image_type(b"not an image") is None


@pytest.mark.anyio
async def test_a_vision_model_gets_the_image_and_others_are_told(workspace: Path, tools) -> None:
    (workspace / "shot.png").write_bytes(PNG)
    (workspace / "fake.png").write_text("just text")
    locate = Workspace(workspace).locate
    seeing = ScriptedClient(["a screenshot"], vision=True)
    events = [e async for e in Orchestrator(seeing, tools, locate=locate).run(Session(), "what is @shot.png? and @fake.png, @gone.jpg")]
    assert isinstance(events[-1], TurnDone)
    (image,) = seeing.requests[0].messages[-1].images
    assert (image.mime_type, base64.b64decode(image.data), image.source) == ("image/png", PNG, "shot.png")
    said = [e.text for e in events if isinstance(e, Notice)]
    assert f"attached the image @shot.png (image/png, {len(PNG)} bytes)" in said
    assert "@fake.png is not a PNG, JPEG, GIF or WebP image; not attached" in said
    assert "@gone.jpg: no such image in the workspace; not attached" in said

    blind = ScriptedClient(["no"])
    session = Session()
    events = [e async for e in Orchestrator(blind, tools, locate=locate).run(session, "what is @shot.png?")]
    assert blind.requests[0].messages[-1].images == () and session.messages[0].content == "what is @shot.png?"
    assert any(isinstance(e, Notice) and e.text.startswith("the model cannot see images; not attached: @shot.png") for e in events)
    told = ScriptedClient(["yes"])
    [e async for e in Orchestrator(told, tools, locate=locate, vision=True).run(Session(), "what is @shot.png?")]
    assert len(told.requests[0].messages[-1].images) == 1, "the vision setting, for a server that does not say"


@pytest.mark.anyio
async def test_a_pasted_image_path_becomes_its_mention_in_the_tui(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from pilot_support import wait_pilot
    from textual import events

    from a2ia.cli.tui.app import make_app
    from a2ia.config import load_settings

    (workspace / "shot.png").write_bytes(PNG)
    monkeypatch.setenv("A2IA_SCRIPT", json.dumps(["ok"]))
    app = make_app(load_settings(backend="scripted", workspace=str(workspace)))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_pilot(pilot, lambda: app.agent is not None, "the agent")
        prompt = app.query_one("#prompt")
        prompt.focus()
        prompt.text = "look at "
        prompt.move_cursor(prompt.document.end)
        prompt.post_message(events.Paste(str(workspace / "shot.png")))
        await wait_pilot(pilot, lambda: "@" in prompt.text, "the paste")
        assert prompt.text == f"look at @{workspace / 'shot.png'} "
        prompt.post_message(events.Paste("plain words"))
        await wait_pilot(pilot, lambda: prompt.text.endswith("plain words"), "a plain paste")
