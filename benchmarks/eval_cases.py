"""The tool-calling evaluation's fixed workspace and its cases, each with a check of its own.

Kinds: ``no-tool`` (nothing in the workspace is needed), ``read`` (one file), ``listing``,
``search``, ``two-step``, ``edit`` (a change, approved by the evaluation's approver), and
``missing`` (a question about a file that does not exist). A case is met when the calls it
needs were made, in order, with the paths it names, and the answer holds what it must.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PATH_TOOLS = ("read_file", "list_dir", "glob", "grep", "edit_file", "write_file")

WORKSPACE = {
    "README.md": "# Greeter\nThis project greets people in three languages.\n",
    "notes.txt": "Buy milk. Call Ana.\n",
    "todo.md": "- fix the parser\n- write the docs\n",
    "src/main.py": "from greet import hello\n\nprint(hello('world'))\n",
    "src/greet.py": "def hello(name):\n    return f'Hello, {name}!'\n",
    "docs/guide.md": "# Guide\nRun main.py with Python 3.\n",
    "data/colors.txt": "red\ngreen\nblue\n",
    ".gitignore": "build/\n",
    "build/out.log": "compiled\n",
}


def make_workspace(root: Path) -> None:
    for name, text in WORKSPACE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def norm(path: str) -> str:
    path = path.strip().removeprefix("./")
    return path.rstrip("/") or "."


def names_missing_path(root: Path, tool: str, path: str | None) -> bool:
    """Whether a call names a path that is not there (``write_file``: a folder that is not there)."""
    if tool not in PATH_TOOLS or path is None:
        return False
    target = root / norm(path)
    try:
        return not (target.parent.is_dir() if tool == "write_file" else target.exists())
    except OSError:  # a name too long for the file system names nothing
        return True


@dataclass(frozen=True)
class Case:
    kind: str
    prompt: str
    calls: tuple[tuple[str | tuple[str, ...], str | None], ...] = ()  # (tool or tools, path or None = any)
    answer: tuple[str, ...] = ()  # words the answer must hold (any one of them, case-insensitive)

    def met(self, made: list[tuple[str, str | None]], answer: str) -> bool:
        if self.kind == "no-tool" and made:
            return False
        wanted = list(self.calls)
        for tool, path in made:  # the needed calls, in order; other calls in between are allowed
            if not wanted:
                break
            want_tool, want_path = wanted[0]
            tools = (want_tool,) if isinstance(want_tool, str) else want_tool
            if tool in tools and (want_path is None or (path is not None and norm(path) == want_path)):
                wanted.pop(0)
        if wanted or not answer.strip():
            return False
        return not self.answer or any(word.lower() in answer.lower() for word in self.answer)


LOOK = ("list_dir", "glob")
FIND = ("grep", "glob", "list_dir")
CHANGE = ("edit_file", "write_file")

CASES = [
    # no tool needed
    Case("no-tool", "What is 2 + 2?", answer=("4", "four")),
    Case("no-tool", "Say hello to me."),
    Case("no-tool", "Say hi."),
    Case("no-tool", "Translate the word 'cat' into French.", answer=("chat",)),
    Case("no-tool", "Name three colors."),
    Case("no-tool", "What is the capital of France?", answer=("paris",)),
    Case("no-tool", "Thank you!"),
    Case("no-tool", "What day comes after Monday?", answer=("tuesday",)),
    Case("no-tool", "Is the sun a star? Answer yes or no.", answer=("yes",)),
    Case("no-tool", "Write one short sentence about the sea."),
    # one read
    Case("read", "What is in notes.txt?", (("read_file", "notes.txt"),), ("milk", "ana")),
    Case("read", "Read the file notes.txt.", (("read_file", "notes.txt"),)),
    Case("read", "Show me README.md.", (("read_file", "README.md"),)),
    Case("read", "What does README.md say?", (("read_file", "README.md"),), ("greet",)),
    Case("read", "Open the file src/main.py.", (("read_file", "src/main.py"),)),
    Case("read", "What is in todo.md?", (("read_file", "todo.md"),), ("parser", "docs")),
    Case("read", "Read docs/guide.md for me.", (("read_file", "docs/guide.md"),)),
    Case("read", "Which colors are listed in data/colors.txt?", (("read_file", "data/colors.txt"),), ("red", "green", "blue")),
    # listing
    Case("listing", "What files are in this folder?", ((LOOK, None),)),
    Case("listing", "List the files in this folder.", ((LOOK, None),)),
    Case("listing", "List the folder named src.", ((LOOK, "src"),)),
    Case("listing", "Which files are in the docs folder?", ((LOOK, "docs"),)),
    Case("listing", "Show me what is inside the data folder.", ((LOOK, "data"),)),
    Case("listing", "What folders does this project have?", ((LOOK, None),)),
    # search
    Case("search", "Which file mentions milk?", ((FIND, None),), ("notes",)),
    Case("search", "Search the files for the word hello.", ((FIND, None),)),
    Case("search", "Find all Python files.", ((FIND, None),), ("main.py", "greet.py")),
    Case("search", "Find the markdown files in this project.", ((FIND, None),)),
    Case("search", "Where is the function hello defined?", ((FIND, None),), ("greet",)),
    # two steps
    Case("two-step", "List the files here, then read README.md.", ((LOOK, None), ("read_file", "README.md"))),
    Case("two-step", "List the src folder, then read main.py from it.", ((LOOK, "src"), ("read_file", "src/main.py"))),
    Case("two-step", "Look in the docs folder and read the guide there.", ((LOOK, "docs"), ("read_file", "docs/guide.md"))),
    Case("two-step", "Read notes.txt and then todo.md.", (("read_file", "notes.txt"), ("read_file", "todo.md"))),
    Case("two-step", "List the data folder, then read the colors file.", ((LOOK, "data"), ("read_file", "data/colors.txt"))),
    # edits (approved)
    Case("edit", "Add the line 'Call Bo.' to notes.txt.", ((CHANGE, "notes.txt"),)),
    Case("edit", "Create a file hello.txt that says hello.", ((CHANGE, "hello.txt"),)),
    Case("edit", "In notes.txt, replace 'milk' with 'bread'.", ((CHANGE, "notes.txt"),)),
    Case("edit", "Write a file docs/usage.md with one line: Run it.", ((CHANGE, "docs/usage.md"),)),
    # a file that is not there
    Case("missing", "What is in plan.txt?", answer=("not", "no ", "exist", "cannot", "can't", "couldn")),
    Case("missing", "Read the file secrets.env.", answer=("not", "no ", "exist", "cannot", "can't", "couldn")),
    Case("missing", "Summarise CHANGELOG.md.", answer=("not", "no ", "exist", "cannot", "can't", "couldn")),
    Case("missing", "Open src/server.py.", answer=("not", "no ", "exist", "cannot", "can't", "couldn")),
]
KINDS = ("no-tool", "read", "listing", "search", "two-step", "edit", "missing")
