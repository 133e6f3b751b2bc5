"""Images a person's message attaches: ``@path/to/picture.png`` (a file in the workspace).

Given to a model that sees images (``Capabilities.vision``: Ollama's ``/api/show``; for an
OpenAI-compatible server, which does not say, the ``vision`` setting) as image parts of the
message (``ImagePart``: the OpenAI ``image_url`` form, Ollama's ``images``). A file is an image
by its first bytes, not its name; one that is not, is too large, or a model that cannot see is
said so, and the message goes on without it. The mention stays in the text either way.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path

from a2ia.orchestrator.events import Notice
from a2ia.types import ImagePart

IMAGE_MENTION = re.compile(r"(?<![\w@])@([^\s:@]+\.(?:png|jpe?g|gif|webp))\b", re.IGNORECASE)
MAX_IMAGE_BYTES = 5_000_000
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def image_type(data: bytes) -> str | None:
    """The image's MIME type by its first bytes, or ``None``: it is not an image a2ia sends."""
    for magic, mime in MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def find_images(text: str) -> list[str]:
    return list(dict.fromkeys(match.group(1) for match in IMAGE_MENTION.finditer(text)))


def attach_images(text: str, locate: Callable[[object], Path | None] | None, sees: bool) -> tuple[tuple[ImagePart, ...], list[Notice]]:
    """The images ``text`` names, read; and what to tell the person."""
    named = find_images(text)
    if not named or locate is None:
        return (), []
    if not sees:
        return (), [Notice(level="warning", text=f"the model cannot see images; not attached: {', '.join('@' + n for n in named)} "
                                                  "(a vision model, or the vision setting for a server that sees images)")]
    images: list[ImagePart] = []
    notices: list[Notice] = []
    for name in named:
        path = locate(name)
        try:
            if path is None or not path.is_file():
                raise FileNotFoundError
            size = path.stat().st_size
            if size > MAX_IMAGE_BYTES:
                notices.append(Notice(level="warning", text=f"@{name} is {size:,} bytes (at most {MAX_IMAGE_BYTES:,}); not attached"))
                continue
            data = path.read_bytes()
        except OSError:
            notices.append(Notice(level="warning", text=f"@{name}: no such image in the workspace; not attached"))
            continue
        mime = image_type(data)
        if mime is None:
            notices.append(Notice(level="warning", text=f"@{name} is not a PNG, JPEG, GIF or WebP image; not attached"))
            continue
        images.append(ImagePart(mime_type=mime, data=base64.b64encode(data).decode("ascii"), source=name))
        notices.append(Notice(text=f"attached the image @{name} ({mime}, {len(data):,} bytes)"))
    return tuple(images), notices
