"""A conversation: the ordered messages of one session.

Messages are appended only when complete (the user's text, a whole assistant reply, a tool
result), so what a session holds is always a consistent history. Durable storage (JSON Lines,
``--resume``) is added on top of this interface by a later layer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from a2ia.types import Message


@dataclass
class Session:
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    messages: list[Message] = field(default_factory=list)

    def append(self, message: Message) -> None:
        self.messages.append(message)
