"""``fetch_url``: GET a web page or file over HTTP(S) and return its text.

HTML is reduced to its readable text (scripts, styles and markup dropped); JSON and plain
text come back as they are; other content types are refused. The body read is capped, and
the text returned is capped again.
"""

from __future__ import annotations

import html.parser
import re

import httpx

from a2ia.tools.files import ToolFailure

MAX_BODY_BYTES = 2_000_000
MAX_TEXT_CHARS = 20_000
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/xhtml+xml", "application/javascript")
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head"})
_BLOCK_TAGS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "section", "article", "table", "ul", "ol"})


class _TextExtractor(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS and self._skipping:
            self._skipping -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    text = "".join(extractor.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()


async def fetch_url(url: str, *, client: httpx.AsyncClient, max_chars: int = MAX_TEXT_CHARS) -> str:
    if not url.startswith(("http://", "https://")):
        raise ToolFailure("only http:// and https:// URLs can be fetched")
    try:
        async with client.stream("GET", url, follow_redirects=True) as response:
            if response.status_code >= 400:
                raise ToolFailure(f"{url} answered HTTP {response.status_code}")
            kind = response.headers.get("content-type", "text/plain").split(";")[0].strip().lower()
            if not kind.startswith(TEXT_TYPES):
                raise ToolFailure(f"{url} is {kind}, not text; fetch_url reads web pages and text files")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) >= MAX_BODY_BYTES:
                    break
            text = bytes(body[:MAX_BODY_BYTES]).decode(response.encoding or "utf-8", errors="replace")
    except httpx.HTTPError as exc:
        raise ToolFailure(f"cannot fetch {url}: {str(exc) or type(exc).__name__}") from None
    if "html" in kind:
        text = html_to_text(text)
    if len(text) > max_chars:
        text = text[:max_chars] + f"\n… (truncated at {max_chars} characters)"
    return text
