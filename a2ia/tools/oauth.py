"""OAuth 2.1 for remote MCP servers. The ``mcp`` SDK's ``OAuthClientProvider`` does the protocol:
metadata discovery from the server's 401, dynamic client registration, PKCE, the ``state``
check, the token exchange and refreshes. a2ia gives it three things:

- where tokens are kept (``TokenFile``: one JSON file per server in the user data dir, ``0600``
  in a ``0700`` folder; never logged, never in a session file);
- how the person signs in (``a2ia-cli mcp auth NAME``: the authorization URL is printed and
  opened in the browser; the answer comes back to ``CallbackReceiver`` on ``127.0.0.1``);
- what a connection does without a person (``SignInNeeded``: a server whose tokens are gone or
  refused says to run ``mcp auth``; a2ia never opens a browser on its own at start).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import anyio
import httpx2
import platformdirs
from mcp.client.auth import OAuthClientProvider
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from a2ia.errors import SignInFailed, SignInNeeded

SIGN_IN_TIMEOUT_S = 300.0
EXPIRY_MARGIN_S = 30.0  # refreshed a little before its time, not refused mid-request
CLIENT_NAME = "a2ia"


def tokens_dir() -> Path:
    override = os.environ.get("A2IA_DATA_DIR")
    return (Path(override) if override else platformdirs.user_data_path("a2ia")) / "oauth"


def token_file(server: str, url: str) -> TokenFile:
    """The file of one server's sign-in: named by the server and a hash of its URL (a changed URL
    is a new sign-in, so tokens never go to a server they were not given for)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", server)[:40]
    return TokenFile(tokens_dir() / f"{safe}-{hashlib.sha256(url.encode()).hexdigest()[:12]}.json")


class TokenFile:
    """The SDK's ``TokenStorage`` over one private file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.path.parent, 0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(data, out)
        os.chmod(self.path, 0o600)

    def exists(self) -> bool:
        return bool(self._read().get("tokens"))

    def expire(self) -> None:
        """Take the access token as past its time (its server said so, or a test does)."""
        self._write({**self._read(), "expires_at": 0})

    def redirect_uri(self) -> str:
        """The redirect URI the kept client was registered with (its metadata must say the same)."""
        uris = (self._read().get("client") or {}).get("redirect_uris") or ["http://127.0.0.1/callback"]
        return str(uris[0])

    def remove(self) -> bool:
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True

    async def get_tokens(self) -> OAuthToken | None:
        """The kept tokens. An access token past its time is given as empty: the SDK then uses the
        refresh token first (it learns a token's expiry only when it gets one, not from storage)."""
        data = self._read()
        try:
            tokens = OAuthToken.model_validate(data["tokens"]) if data.get("tokens") else None
        except ValueError:
            return None
        expires_at = data.get("expires_at")
        if tokens is not None and isinstance(expires_at, (int, float)) and time.time() >= expires_at - EXPIRY_MARGIN_S:
            return tokens.model_copy(update={"access_token": ""})
        return tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        expires_at = time.time() + tokens.expires_in if tokens.expires_in else None
        self._write({**self._read(), "tokens": tokens.model_dump(mode="json", exclude_none=True), "expires_at": expires_at})

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        raw = self._read().get("client")
        try:
            return OAuthClientInformationFull.model_validate(raw) if raw else None
        except ValueError:
            return None

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self._write({**self._read(), "client": client_info.model_dump(mode="json", exclude_none=True)})


class CallbackReceiver:
    """One authorization answer on ``http://127.0.0.1:PORT/callback`` (the port the system gives)."""

    def __init__(self) -> None:
        self.result: AuthorizationCodeResult | str | None = None  # str: the server's error
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path != "/callback" or not (query.get("code") or query.get("error")):
                    self.send_error(404)
                    return
                if query.get("error"):
                    receiver.result = " ".join(filter(None, [query["error"], query.get("error_description")]))
                else:
                    receiver.result = AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))
                receiver.answered.set()  # the server thread finishes this answer before close() returns
                body = b"<html><body>a2ia has the answer. You can close this tab.</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # the URL carries the code: not logged
                pass

        self._server = HTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self._server.server_address[1]}/callback"
        self.answered = threading.Event()
        # Served from now on: the browser may come back before the SDK starts to wait.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    async def wait(self, timeout_s: float = SIGN_IN_TIMEOUT_S) -> AuthorizationCodeResult:
        await anyio.to_thread.run_sync(self.answered.wait, timeout_s, abandon_on_cancel=True)
        if isinstance(self.result, str):
            raise SignInFailed(f"the authorization server refused the sign-in: {self.result}")
        if self.result is None:
            raise SignInFailed(
                f"no answer came back to {self.redirect_uri} within {timeout_s:g} s",
                hint="the authorization server may have sent the browser elsewhere; sign in again with a2ia-cli mcp auth",
            )
        return self.result

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def open_in_browser(say: Callable[[str], None]):
    """The SDK's ``redirect_handler`` for a person: the URL shown, and opened in their browser."""

    async def redirect(url: str) -> None:
        say(f"open this page to sign in (a2ia opens it in your browser if it can):\n  {url}")
        await anyio.to_thread.run_sync(webbrowser.open, url)

    return redirect


def _no_person(server: str):
    async def redirect(url: str) -> None:
        raise SignInNeeded(f"the MCP server {server!r} needs you to sign in", hint=f"run a2ia-cli mcp auth {server}")

    async def callback() -> AuthorizationCodeResult:
        raise SignInNeeded(f"the MCP server {server!r} needs you to sign in", hint=f"run a2ia-cli mcp auth {server}")

    return redirect, callback


class SignInProbe(httpx2.Auth):
    """For a server with no sign-in kept: a 401 that asks for a bearer token becomes
    ``SignInNeeded`` (the transport would only say "an error response")."""

    def __init__(self, server: str) -> None:
        self.server = server

    async def async_auth_flow(self, request: httpx2.Request):
        response = yield request
        if response.status_code == 401 and "bearer" in response.headers.get("www-authenticate", "").lower():
            raise SignInNeeded(f"the MCP server {self.server!r} needs you to sign in", hint=f"run a2ia-cli mcp auth {self.server}")


def signed_in_auth(server: str, url: str, storage: TokenFile) -> OAuthClientProvider:
    """For a connection: the kept tokens (refreshed when refused); a new sign-in is ``SignInNeeded``."""
    redirect, callback = _no_person(server)
    return OAuthClientProvider(url, _metadata(storage.redirect_uri()), storage, redirect_handler=redirect, callback_handler=callback)


def sign_in_auth(url: str, storage: TokenFile, receiver: CallbackReceiver, say: Callable[[str], None],
                 timeout_s: float = SIGN_IN_TIMEOUT_S) -> OAuthClientProvider:
    """For ``mcp auth``: the whole flow, the person in the loop."""
    return OAuthClientProvider(url, _metadata(receiver.redirect_uri), storage, redirect_handler=open_in_browser(say),
                               callback_handler=lambda: receiver.wait(timeout_s))


def _metadata(redirect_uri: str) -> OAuthClientMetadata:
    return OAuthClientMetadata(client_name=CLIENT_NAME, redirect_uris=[redirect_uri], token_endpoint_auth_method="none",
                               grant_types=["authorization_code", "refresh_token"], response_types=["code"])
