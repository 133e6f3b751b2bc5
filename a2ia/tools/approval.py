"""Who may run a tool call: the approval policy.

Decisions, in order:

1. a **deny** rule that matches → denied (deny always wins);
2. an **allow** rule that matches → runs;
3. mode ``yolo`` → runs;
4. a **read-only** tool (MCP ``readOnlyHint``) → runs;
5. mode ``auto-edit`` and one of a2ia's own file-editing tools → runs;
6. the person approved this tool "always" in this session, and its definition (description
   and input schema) is the one they approved → runs; a definition that changed since is
   asked about again;
7. otherwise → ask the person (the front end shows the tool, its server and its exact
   arguments). With nobody to ask (no terminal) the call is refused with a message naming the
   flag or rule that would allow it.

Rules are shell-style patterns (``fnmatch``) matched against the tool's name, its name as
offered to the model (``server__tool`` on a clash) and ``server/tool``.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from a2ia.types import ToolCall, ToolSpec

ApprovalMode = Literal["ask", "auto-edit", "yolo"]
Decision = Literal["allow", "deny", "ask"]
Answer = Literal["once", "always", "deny"]
APPROVAL_MODES: tuple[str, ...] = ("ask", "auto-edit", "yolo")
BUILTIN_SERVER = "a2ia"
BUILTIN_EDIT_TOOLS = frozenset({"write_file", "edit_file"})


def fingerprint(spec: ToolSpec) -> str:
    """What an approval is for: the tool's description and input schema."""
    body = json.dumps({"description": spec.description, "schema": spec.input_schema}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str


@dataclass
class ApprovalPolicy:
    mode: ApprovalMode = "ask"
    allow: Sequence[str] = ()
    deny: Sequence[str] = ()
    approved: dict[tuple[str, str], str] = field(default_factory=dict)  # (server, tool) → fingerprint
    changed: set[tuple[str, str]] = field(default_factory=set)

    @staticmethod
    def _names(spec: ToolSpec) -> list[str]:
        own = spec.name.split("__", 1)[1] if spec.server and spec.name.startswith(spec.server + "__") else spec.name
        return [own, spec.name, f"{spec.server}/{own}"]

    def _matches(self, patterns: Sequence[str], spec: ToolSpec) -> str | None:
        names = self._names(spec)
        return next((p for p in patterns if any(fnmatch.fnmatchcase(n, p) for n in names)), None)

    def decide(self, spec: ToolSpec | None, call: ToolCall) -> Verdict:
        if spec is None:
            return Verdict("allow", "unknown tools are answered by the registry, not run")
        if rule := self._matches(self.deny, spec):
            return Verdict("deny", f"the deny rule {rule!r} matches {spec.name}")
        if rule := self._matches(self.allow, spec):
            return Verdict("allow", f"the allow rule {rule!r} matches")
        if self.mode == "yolo":
            return Verdict("allow", "approval mode yolo")
        if spec.annotations.read_only:
            return Verdict("allow", "read-only tool")
        own = self._names(spec)[0]
        if self.mode == "auto-edit" and spec.server == BUILTIN_SERVER and own in BUILTIN_EDIT_TOOLS:
            return Verdict("allow", "approval mode auto-edit")
        key = (spec.server, own)
        if key in self.approved:
            if self.approved[key] == fingerprint(spec):
                return Verdict("allow", "approved for this session")
            self.changed.add(key)
            return Verdict("ask", "its definition changed since it was approved")
        return Verdict("ask", "it can change things" if spec.annotations.destructive else "it is not marked read-only")

    def remember(self, spec: ToolSpec) -> None:
        """The person answered "always" for this tool (as it is defined now)."""
        key = (spec.server, self._names(spec)[0])
        self.approved[key] = fingerprint(spec)
        self.changed.discard(key)

    @staticmethod
    def refusal_hint(spec: ToolSpec) -> str:
        return f"allow it with --yes (this run), --approval yolo, or an allow rule: A2IA_ALLOW_TOOLS={spec.name}"
