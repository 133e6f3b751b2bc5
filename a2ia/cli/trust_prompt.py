"""The trust question every terminal front end asks before a folder's own files take effect.

``trust_question`` says whether to ask (the folder has project files, is not trusted or they
changed since, and ``--trust`` was not given); ``TrustQuestion.text`` is what the person reads
(each server's exact command or URL, each loosening setting marked, what changed);
``accept`` records the answer in the store and gives the settings to run with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from a2ia.config import Settings
from a2ia.trust.check import TrustCheck, check_trust, project_digests
from a2ia.trust.review import ReviewLine, changes, review_project, summary
from a2ia.trust.store import TrustEntry, TrustStore, TrustStoreError

Reload = Callable[[bool], Settings]  # trust for this run → the settings resolved again


def record_trust(folder: Path, store: TrustStore | None = None) -> tuple[TrustEntry, list[ReviewLine]]:
    """Trust ``folder`` as its project files are now (``TrustStoreError`` if the store is broken)."""
    lines = review_project(folder)
    return (store or TrustStore()).trust(folder, project_digests(folder), summary(lines)), lines


@dataclass
class TrustQuestion:
    check: TrustCheck
    lines: list[ReviewLine]
    changed: list[str]
    reload: Reload

    def title(self) -> str:
        if self.check.state == "changed":
            return f"The project files of {self.check.folder} changed since you trusted it."
        return f"{self.check.folder} has its own a2ia configuration ({self.check.file_names()})."

    def body(self) -> list[str]:
        shown = self.changed if self.changed else [line.render() for line in self.lines]
        heading = "What changed:" if self.changed else "If you trust this folder, a2ia will use:"
        return [heading, *(f"  {line}" for line in shown or ["(nothing a2ia would use)"])]

    def text(self) -> str:
        return "\n".join([self.title(), *self.body(), "Trust it only if you know where it comes from; "
                          "not now: a2ia starts without these files."])

    def accept(self) -> tuple[Settings, str | None]:
        """Trust the folder: the settings with its files, and a warning if it could not be remembered."""
        try:
            record_trust(self.check.folder)
            warning = None
        except TrustStoreError as exc:
            warning = f"trusted for this run only: {exc.message}"
        return self.reload(True), warning

    def decline(self) -> str:
        return self.check.notice() or ""


def trust_question(settings: Settings, reload: Reload) -> TrustQuestion | None:
    """The question to ask on a terminal, or None when there is nothing to decide."""
    if settings.project_trusted:
        return None
    check = check_trust(settings.workspace, once=settings.trust)
    if not check.can_ask:
        return None
    lines = review_project(check.folder)
    return TrustQuestion(check, lines, changes(check, lines), reload)
