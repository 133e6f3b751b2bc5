"""A local HTTP server that replays recorded Ollama wire fixtures (``fixtures/ollama/``).

There is no Ollama daemon here; this serves its documented formats over real HTTP so the
official ``ollama`` client, ``OllamaClient`` and ``OllamaServer`` run unchanged against it.
``serve(address)`` runs it in the foreground, as a stand-in for ``ollama serve``.
"""

from __future__ import annotations

import http.server
import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "ollama"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def full_name(model: str) -> str:
    """Ollama's naming: a name without a tag means ``:latest``."""
    return model if ":" in model.rsplit("/", 1)[-1] else f"{model}:latest"


class OllamaReplay:
    """Serves ``/api/show``, ``/api/chat``, ``/api/tags`` and ``/api/pull``; records every request body."""

    # What the registry has: a pull of anything else fails as Ollama's does.
    PULLABLE = frozenset({"qwen2.5:7b", "qwen2.5:latest", "llama3.2:latest", "smollm2:135m"})

    def __init__(self) -> None:
        self.url = ""
        self.reset()

    def reset(self) -> None:
        self.show = "show_qwen2.5_tools.json"
        self.chat: str | None = None  # a fixture name, or None to answer by the request
        self.pull: str | None = None  # a fixture name, or None to answer by the model asked for
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.models: list[dict[str, Any]] = load("tags_two_models.json")["body"]["models"]

    def pull_response(self, body: dict[str, Any]) -> dict[str, Any]:
        """With no fixture chosen: progress then success (the model is listed after), or the registry's error."""
        if self.pull:
            return load(self.pull)
        name = full_name(body.get("model", ""))
        if name not in self.PULLABLE:
            return load("pull_unknown_model.json")
        if all(m["name"] != name for m in self.models):
            self.models.append({"name": name, "model": name, "size": 1929913861, "details": {"format": "gguf"}})
        return load("pull_progress.json")

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
                if "raw" in fixture:  # a body as it is, for lines that are not JSON
                    payload, kind = fixture["raw"].encode(), "application/x-ndjson"
                elif "lines" in fixture:
                    payload = "".join(json.dumps(line) + "\n" for line in fixture["lines"]).encode()
                    kind = "application/x-ndjson"
                else:
                    payload, kind = json.dumps(fixture["body"]).encode(), "application/json"
                self.send_response(fixture["status"])
                self.send_header("Content-Type", kind)
                # "cut": promise more than is sent, then close: the connection drops mid-stream
                self.send_header("Content-Length", str(len(payload) + (100 if fixture.get("cut") else 0)))
                self.end_headers()
                self.wfile.write(payload)
                self.close_connection = self.close_connection or bool(fixture.get("cut"))

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/api/tags":
                    replay.requests.append((self.path, {}))
                    self._send({"status": 200, "body": {"models": replay.models}})
                else:
                    self._send({"status": 200, "body": "Ollama is running"})

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                replay.requests.append((self.path, body))
                if self.path == "/api/show":
                    self._send(load(replay.show))
                elif self.path == "/api/chat":
                    self._send(replay.respond_to(body))
                elif self.path == "/api/pull":
                    self._send(replay.pull_response(body))
                else:
                    self._send({"status": 404, "body": {"error": "404 page not found"}})

        return Handler


def _server(host: str = "127.0.0.1", port: int = 0) -> tuple[OllamaReplay, http.server.ThreadingHTTPServer]:
    replay = OllamaReplay()
    server = http.server.ThreadingHTTPServer((host, port), replay._handler())
    replay.url = f"http://{host}:{server.server_address[1]}"
    return replay, server


def serve(address: str) -> None:
    """Serve in the foreground on ``address`` (``host:port``, as ``OLLAMA_HOST`` gives it) until killed."""
    host, _, port = address.removeprefix("http://").rpartition(":")
    replay, server = _server(host or "127.0.0.1", int(port))
    print(f"Listening on {replay.url[7:]} (version 0.0.0-replay)", file=sys.stderr, flush=True)
    server.serve_forever()


@contextmanager
def ollama_replay() -> Iterator[OllamaReplay]:
    replay, server = _server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield replay
    finally:
        server.shutdown()
        server.server_close()
