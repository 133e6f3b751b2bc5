"""Who may run a tool call: the approval policy.

Decisions, in order:

1. a **deny** rule that matches → denied (deny always wins);
2. ``run_shell`` asked to run **outside the sandbox** (``sandbox: false``) → asks, whatever
   the rules and earlier answers say (only ``yolo`` lets it through);
3. an **allow** rule that matches → runs;
4. mode ``yolo`` → runs;
5. a **read-only** tool (MCP ``readOnlyHint``, believed only from a2ia's own server and
   servers configured with ``"trust": true``) → runs;
6. mode ``auto-edit`` or ``auto`` and one of a2ia's own file-editing tools (they never leave
   the workspace) → runs; mode ``auto`` and a ``run_shell`` command that runs in the sandbox
   → runs;
7. the person approved this tool "always" in this session, and its definition (description
   and input schema) is the one they approved → runs; a definition that changed since is
   asked about again. For ``run_shell`` "always" is for that exact command only, so a model
   cannot ride an approval of ``ls`` with ``ls; rm -rf ~``;
8. otherwise → ask the person (the front end shows the tool, its server and its exact
   arguments). With nobody to ask (no terminal) the call is refused with a message naming the
   flag or rule that would allow it.

Rules are shell-style patterns (``fnmatch``) matched against the tool's name as offered to
the model (``server__tool`` on a clash) and ``server/tool``. A rule for
``run_shell`` may name commands: ``run_shell(git status*)`` matches only commands that fit the
pattern *and* have no shell operators (``;``, ``&``, ``|``, ``$(``, backquotes, redirections,
newlines), so a matching prefix cannot carry a second command.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from a2ia.errors import ConfigError
from a2ia.hints import setting
from a2ia.types import ToolCall, ToolSpec

ApprovalMode = Literal["ask", "auto", "auto-edit", "yolo", "plan"]
Decision = Literal["allow", "deny", "ask"]
Answer = Literal["once", "always", "deny"]
APPROVAL_MODES: tuple[str, ...] = ("ask", "auto", "auto-edit", "yolo", "plan")
PLAN_REFUSAL = "plan mode: only read-only tools run; the person says /go to carry out the plan"
BUILTIN_EDIT_TOOLS = frozenset({"write_file", "edit_file"})
SHELL_TOOL = "run_shell"
SHELL_OPERATORS = re.compile(r"[;&|`<>\n\r]|\$\(")
COMMAND_RULE = re.compile(r"^(?P<tool>[^()]+)\((?P<command>.*)\)$", re.S)


def single_command(command: str) -> bool:
    """Whether ``command`` is one plain command: no operator that could chain or redirect."""
    return not SHELL_OPERATORS.search(command)


def fingerprint(spec: ToolSpec) -> str:
    """What an approval is for: the tool's description and input schema."""
    body = json.dumps({"description": spec.description, "schema": spec.input_schema}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str


@dataclass
class Grants:
    """What the person approved "always" in one session (the session owns it: a new session
    starts with none)."""

    approved: dict[tuple[str, str], str] = field(default_factory=dict)  # (server, tool) → fingerprint
    approved_commands: set[str] = field(default_factory=set)  # run_shell commands approved "always"


NO_GRANTS = Grants()  # only read: ``decide`` and ``may_run_unasked`` never change the grants


@dataclass
class ApprovalPolicy:
    """The rules (mode, allow and deny patterns, whether commands are sandboxed); what a
    session's person granted comes with each question (``Grants``)."""

    mode: ApprovalMode = "ask"
    allow: Sequence[str] = ()
    deny: Sequence[str] = ()
    sandboxed: bool = False  # run_shell's commands run in the kernel sandbox (a2ia.sandbox)

    before_plan: str | None = None  # the mode /plan left, which /go goes back to

    def set_mode(self, mode: str) -> None:
        """``/approval MODE``: the mode for every session from now on (a ``ConfigError`` if unknown)."""
        if mode not in APPROVAL_MODES:
            raise ConfigError(f"unknown approval mode {mode!r}", hint=f"the modes are: {', '.join(APPROVAL_MODES)}")
        if mode == "plan" and self.mode != "plan":
            self.before_plan = self.mode
        self.mode = mode  # type: ignore[assignment]

    def leave_plan(self) -> str:
        """``/go``: back to the mode before plan mode (``ask`` when a2ia started in it); that mode."""
        self.mode = self.before_plan if self.before_plan not in (None, "plan") else "ask"  # type: ignore[assignment]
        self.before_plan = None
        return self.mode

    def _is_shell(self, spec: ToolSpec) -> bool:
        return spec.builtin and self._names(spec)[0] == SHELL_TOOL

    @staticmethod
    def _names(spec: ToolSpec) -> list[str]:
        own = spec.name.split("__", 1)[1] if spec.server and spec.name.startswith(spec.server + "__") else spec.name
        return [own, spec.name, f"{spec.server}/{own}"]

    def _rule_names(self, spec: ToolSpec) -> list[str]:
        """What a rule is matched against: the name the model is offered, and ``server/tool``.

        Not the server's own name for a renamed tool: ``read_file`` allows a2ia's
        ``read_file``, never another server's ``read_file`` offered as ``evil__read_file``.
        """
        return [spec.name, f"{spec.server}/{self._names(spec)[0]}"]

    def _matches(self, patterns: Sequence[str], spec: ToolSpec, call: ToolCall) -> str | None:
        names = self._rule_names(spec)
        for pattern in patterns:
            rule = COMMAND_RULE.match(pattern)
            if rule is None:
                if any(fnmatch.fnmatchcase(n, pattern) for n in names):
                    return pattern
                continue
            command = call.arguments.get("command")
            if (
                self._is_shell(spec)
                and any(fnmatch.fnmatchcase(n, rule["tool"]) for n in names)
                and isinstance(command, str)
                and single_command(command)
                and fnmatch.fnmatchcase(command.strip(), rule["command"])
            ):
                return pattern
        return None

    def decide(self, spec: ToolSpec | None, call: ToolCall, grants: Grants = NO_GRANTS) -> Verdict:
        if spec is None:
            return Verdict("allow", "unknown tools are answered by the registry, not run")
        if rule := self._deny_rule(spec, call):
            return Verdict("deny", f"the deny rule {rule!r} matches {spec.name}")
        if self.mode == "plan" and not spec.annotations.read_only:
            return Verdict("deny", PLAN_REFUSAL)
        outside = self._is_shell(spec) and call.arguments.get("sandbox") is False
        if outside and self.mode != "yolo":
            return Verdict("ask", "it asks to run outside the sandbox: it could change anything you can change")
        if rule := self._matches(self.allow, spec, call):
            return Verdict("allow", f"the allow rule {rule!r} matches")
        if self.mode == "yolo":
            return Verdict("allow", "approval mode yolo")
        if spec.annotations.read_only:
            return Verdict("allow", "read-only tool")
        own = self._names(spec)[0]
        if self.mode in ("auto-edit", "auto") and spec.builtin and own in BUILTIN_EDIT_TOOLS:
            return Verdict("allow", f"approval mode {self.mode}")
        if self.mode == "auto" and self.sandboxed and self._is_shell(spec):
            return Verdict("allow", "approval mode auto: the command runs in the sandbox")
        key = (spec.server, own)
        if key in grants.approved:
            if grants.approved[key] != fingerprint(spec):
                return Verdict("ask", "its definition changed since it was approved")
            if not self._is_shell(spec):
                return Verdict("allow", "approved for this session")
            if call.arguments.get("command") in grants.approved_commands:
                return Verdict("allow", "this command was approved for this session")
            return Verdict("ask", "a shell command not approved yet (run_shell is approved per command)")
        return Verdict("ask", "it can change things" if spec.annotations.destructive else "it is not marked read-only")

    def may_run_unasked(self, spec: ToolSpec, grants: Grants = NO_GRANTS) -> bool:
        """Whether some call of this tool can run without a person's yes (what a script may offer).

        A tool a deny rule names whole is never offered; one an allow rule names (whole, or some of
        its commands) is, and so is everything steps 4-7 of ``decide`` let through.
        """
        names = self._rule_names(spec)
        if any(COMMAND_RULE.match(p) is None and any(fnmatch.fnmatchcase(n, p) for n in names) for p in self.deny):
            return False
        for pattern in self.allow:
            rule = COMMAND_RULE.match(pattern)
            tool = rule["tool"] if rule else pattern
            if any(fnmatch.fnmatchcase(n, tool) for n in names):
                return True
        own = self._names(spec)[0]
        return (
            self.mode == "yolo"
            or spec.annotations.read_only
            or (self.mode in ("auto-edit", "auto") and spec.builtin and own in BUILTIN_EDIT_TOOLS)
            or (self.mode == "auto" and self.sandboxed and self._is_shell(spec))
            or (spec.server, own) in grants.approved
        )

    def held_back_notice(self, names: Sequence[str]) -> str:
        """The one line a script shows about the tools it did not offer."""
        listed = ", ".join(names)
        return (
            f"no terminal to approve on: not offering {listed} to the model "
            f"(offer them with {setting('yes')} for this run, {setting('approval', 'auto')}, "
            f"or an allow rule: {setting('allow_tools', names[0])})"
        )

    def _deny_rule(self, spec: ToolSpec, call: ToolCall) -> str | None:
        """A deny rule naming commands (``run_shell(rm *)``) also denies any command it cannot vet."""
        if rule := self._matches(self.deny, spec, call):
            return rule
        command = call.arguments.get("command")
        if self._is_shell(spec) and isinstance(command, str) and not single_command(command):
            for pattern in self.deny:
                parsed = COMMAND_RULE.match(pattern)
                if parsed and any(fnmatch.fnmatchcase(n, parsed["tool"]) for n in self._rule_names(spec)):
                    if fnmatch.fnmatchcase(command, f"*{parsed['command']}"):
                        return pattern
        return None

    def remember(self, grants: Grants, spec: ToolSpec, call: ToolCall | None = None) -> None:
        """The person answered "always" for this tool as defined now (for run_shell: this command)."""
        key = (spec.server, self._names(spec)[0])
        grants.approved[key] = fingerprint(spec)
        if self._is_shell(spec) and call is not None and isinstance(call.arguments.get("command"), str):
            grants.approved_commands.add(call.arguments["command"])

    def refusal_hint(self, spec: ToolSpec, call: ToolCall | None = None) -> str:
        if call is not None and self._is_shell(spec) and call.arguments.get("sandbox") is False:
            return (
                f"a command outside the sandbox needs a person's yes: run on a terminal, or {setting('yes')} "
                f"(this run), or {setting('approval', 'yolo')}"
            )
        return (
            f"allow it with {setting('yes')} (this run), {setting('approval', 'yolo')}, "
            f"or an allow rule: {setting('allow_tools', spec.name)}"
        )
