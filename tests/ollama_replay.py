"""A local HTTP server that replays recorded Ollama wire fixtures (``fixtures/ollama/``).

There is no Ollama daemon here; this serves its documented formats over real HTTP so the
official ``ollama`` client and ``OllamaClient`` run unchanged against it.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "ollama"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


class OllamaReplay:
    """Serves ``/api/show`` and ``/api/chat``; records every request body."""

    def __init__(self) -> None:
        self.url = ""
        self.reset()

    def reset(self) -> None:
        self.show = "show_qwen2.5_tools.json"
        self.chat: str | None = None  # a fixture name, or None to answer by the request
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def chat_bodies(self) -> list[dict[str, Any]]:
        return [body for path, body in self.requests if path == "/api/chat"]

    def respond_to(self, body: dict[str, Any]) -> dict[str, Any]:
        """With no fixture chosen: a named tool when exactly one is offered, else streamed text."""
        if self.chat:
            return load(self.chat)
        tools = body.get("tools") or []
        if len(tools) == 1:
            name = tools[0]["function"]["name"]
            fixture = load("chat_tool_calls_arrive_whole.json")
            first = fixture["lines"][0]
            first["message"]["tool_calls"] = [{"function": {"name": name, "arguments": {"path": "src"}}}]
            return {"status": 200, "lines": [first, fixture["lines"][-1]]}
        return load("chat_text_streamed.json")

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        replay = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, fixture: dict[str, Any]) -> None:
                if "lines" in fixture:
                    payload = "".join(json.dumps(line) + "\n" for line in fixture["lines"]).encode()
                    kind = "application/x-ndjson"
                else:
                    payload, kind = json.dumps(fixture["body"]).encode(), "application/json"
                self.send_response(fixture["status"])
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:  # noqa: N802
                self._send({"status": 200, "body": "Ollama is running"})

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                replay.requests.append((self.path, body))
                if self.path == "/api/show":
                    self._send(load(replay.show))
                elif self.path == "/api/chat":
                    self._send(replay.respond_to(body))
                else:
                    self._send({"status": 404, "body": {"error": "404 page not found"}})

        return Handler


@contextmanager
def ollama_replay() -> Iterator[OllamaReplay]:
    replay = OllamaReplay()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), replay._handler())
    replay.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield replay
    finally:
        server.shutdown()
        server.server_close()
