"""A tiny OpenAI-compatible server for the fault suite: a real process, streaming SSE slowly.

Run: ``python sse_server.py PORT``. It answers ``GET /v1/models`` and streaming
``POST /v1/chat/completions`` in the documented ``chat.completion.chunk`` format, deciding the
reply from the last message, so a test steers it with what it types:

* the last message is a tool result → ``"tool said: <its first 40 characters>"``
* a user message starting ``slow`` → 200 words, one chunk every 0.05 s (10 s in all): long
  enough to kill the process, or press Ctrl-C, in the middle
* a user message ``call NAME {json}`` → one tool call of NAME with those arguments
* anything else → ``"echo: <the text>"``, at once
"""

from __future__ import annotations

import http.server
import json
import sys
import time

SLOW_WORDS = 200
SLOW_DELAY_S = 0.05


def chunk(delta: dict, finish: str | None = None) -> bytes:
    body = {"id": "chatcmpl-fault", "object": "chat.completion.chunk", "created": 0, "model": "fault",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body)}\n\n".encode()


def reply_for(messages: list[dict]) -> tuple[list[bytes], float]:
    """The chunks of the reply, and the pause before each."""
    last = messages[-1] if messages else {"role": "user", "content": ""}
    text = last.get("content") or ""
    if last.get("role") == "tool":
        return [chunk({"role": "assistant", "content": f"tool said: {text[:40]}"}), chunk({}, "stop")], 0.0
    if text.startswith("slow"):
        words = [chunk({"content": f"word{i} "}) for i in range(SLOW_WORDS)]
        return [chunk({"role": "assistant", "content": ""}), *words, chunk({}, "stop")], SLOW_DELAY_S
    if text.startswith("call "):
        _, name, arguments = text.split(" ", 2)
        call = {"index": 0, "id": "call_fault_0", "type": "function", "function": {"name": name, "arguments": arguments}}
        return [chunk({"role": "assistant", "tool_calls": [call]}), chunk({}, "tool_calls")], 0.0
    return [chunk({"role": "assistant", "content": f"echo: {text}"}), chunk({}, "stop")], 0.0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _json(self, status: int, body: object) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802
        if self.path.rstrip("/") == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": "fault", "object": "model", "max_model_len": 8192}]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        chunks, delay = reply_for(body.get("messages") or [])
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for piece in [*chunks, b"data: [DONE]\n\n"]:
                time.sleep(delay)
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (cancelled): nothing to do


class Server(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    port = int(sys.argv[1])
    print(f"listening on 127.0.0.1:{port}", flush=True)
    Server(("127.0.0.1", port), Handler).serve_forever()
