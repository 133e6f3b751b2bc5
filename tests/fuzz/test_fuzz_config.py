"""Fuzzed configuration files: ``mcpServers`` JSON (``tools/mcp_config``) and settings TOML
(``config.resolve_settings`` reading the user and project ``config.toml``).

Properties: a file gives servers (or settings) or a ``ConfigError`` whose message names the
file; a server entry that cannot be used is a ``BrokenServer`` naming its file, never a
failure of the others; ``${VAR}`` and ``${VAR:-default}`` are replaced as documented; a
settings file written from valid values resolves to exactly those values.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fuzz_support import cases, cut_short, json_text, json_values, junk, or_junk, scratch_dir
from hypothesis import given, settings
from hypothesis import strategies as st

from a2ia.config import Settings, project_settings_file, resolve_settings, user_settings_file
from a2ia.errors import ConfigError
from a2ia.tools.mcp_config import (
    BrokenServer,
    HttpServer,
    StdioServer,
    interpolate,
    is_reserved,
    parse_server,
    read_config_file,
)

pytestmark = pytest.mark.fuzz

ENVIRON = {"HOME": "/home/ana", "TOKEN": "s3cret", "EMPTY": ""}


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with scratch_dir("config") as folder:
        yield folder


# --- mcpServers -----------------------------------------------------------------------------------

_var = st.sampled_from(["${HOME}", "${TOKEN}", "${NOPE}", "${NOPE:-x}", "${EMPTY:-d}", "${", "$HOME", "${1BAD}", "${A:-}", "}"])
_string = st.one_of(st.text(max_size=12), st.lists(st.one_of(_var, st.text(max_size=5)), max_size=3).map("".join))


_server = st.fixed_dictionaries(
    {},
    optional={
        "command": or_junk(_string),
        "args": or_junk(st.lists(or_junk(_string), max_size=3)),
        "env": or_junk(st.dictionaries(st.text(max_size=5), or_junk(_string), max_size=3)),
        "cwd": or_junk(_string),
        "url": or_junk(_string),
        "headers": or_junk(st.dictionaries(st.text(max_size=5), or_junk(_string), max_size=3)),
        "includeTools": or_junk(st.lists(or_junk(st.text(max_size=5)), max_size=3)),
        "excludeTools": or_junk(st.lists(or_junk(st.text(max_size=5)), max_size=3)),
        "disabled": or_junk(st.booleans()),
        "timeout": or_junk(st.one_of(st.integers(-5, 100), st.floats())),
        "type": st.sampled_from(["stdio", "http", "sse"]),
    },
)
_servers = st.dictionaries(st.text(max_size=8), or_junk(_server), max_size=3)
mcp_documents = st.one_of(
    _servers.map(lambda s: json.dumps({"mcpServers": s})),
    st.builds(lambda s, extra: json.dumps({**extra, "mcpServers": s}), _servers, st.dictionaries(st.text(max_size=5), junk, max_size=2)),
    cut_short(_servers.map(lambda s: json.dumps({"mcpServers": s}))),
    json_text,
)
mcp_files = st.one_of(
    mcp_documents.map(lambda t: t.encode("utf-8", "surrogatepass")),
    mcp_documents.map(lambda t: t.encode("utf-16")),
    st.binary(max_size=60),
)


@given(mcp_files)
def test_mcp_files_give_servers_or_a_config_error_naming_the_file(scratch: Path, data: bytes) -> None:
    path = scratch / "mcp.json"
    path.write_bytes(data)
    try:
        servers = read_config_file(path, ENVIRON)
    except ConfigError as exc:
        assert str(path) in str(exc)
        return
    for server in servers.values():
        assert isinstance(server, (StdioServer, HttpServer, BrokenServer))
        if isinstance(server, BrokenServer):
            assert server.error.startswith(str(path))
        else:
            assert server.source == str(path)
            strings = [*(server.include_tools or ()), *server.exclude_tools]
            if isinstance(server, StdioServer):
                strings += [server.command, *server.args, *server.env.values(), *server.env]
            else:
                strings += [server.url, *server.headers.values(), *server.headers]
            assert all(isinstance(s, str) for s in strings)
            assert server.timeout_s is None or server.timeout_s > 0


@settings(max_examples=cases(0.1))
@given(_string, st.text(max_size=8))
def test_interpolation_replaces_set_variables_and_defaults(value: str, tail: str) -> None:
    missing: list[str] = []
    out = interpolate(value + tail.replace("$", ""), ENVIRON, missing)
    assert isinstance(out, str)
    assert "${HOME}" not in out and "${TOKEN}" not in out and "${NOPE:-x}" not in out
    text = value + tail.replace("$", "")
    unset = {name for name in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text) if name not in ENVIRON}
    assert set(missing) == unset, "exactly the names with no value and no default"  # text pieces can spell ${A}


_good_stdio = st.fixed_dictionaries(
    {"command": st.text(min_size=1, max_size=10).filter(lambda s: "${" not in s)},
    optional={
        "args": st.lists(st.text(max_size=8).filter(lambda s: "${" not in s), max_size=3),
        "env": st.dictionaries(st.text(max_size=5), st.text(max_size=5).filter(lambda s: "${" not in s), max_size=3),
        "timeout": st.floats(min_value=0.001, max_value=1e6),
    },
)


@settings(max_examples=cases(0.1))
@given(st.dictionaries(st.text(max_size=8).filter(lambda name: not is_reserved(name)), _good_stdio, max_size=4))
def test_valid_stdio_servers_are_read_exactly(scratch: Path, servers: dict) -> None:
    path = scratch / "good.json"
    path.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    read = read_config_file(path, ENVIRON)
    assert set(read) == set(servers)
    for name, raw in servers.items():
        server = read[name]
        assert isinstance(server, StdioServer)
        assert (server.command, server.args, server.env) == (raw["command"], tuple(raw.get("args", ())), raw.get("env", {}))
        assert server.timeout_s == raw.get("timeout")


@settings(max_examples=cases(0.1))
@given(st.text(max_size=8), or_junk(_server))
def test_parse_server_gives_a_server_or_a_broken_entry(name: str, raw: Any) -> None:
    server = parse_server(name, raw, "cfg.json", ENVIRON)
    assert isinstance(server, (StdioServer, HttpServer, BrokenServer))
    if isinstance(server, BrokenServer):
        assert server.error.startswith("cfg.json") and repr(name) in server.error


# --- settings TOML ----------------------------------------------------------------------------------

KEYS = list(Settings.model_fields)


def _toml_string(text: str) -> str:
    """A TOML basic string: JSON's, with DEL escaped too (TOML counts it as a control character)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_string(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return "null"  # not TOML


_toml_values = st.one_of(
    st.sampled_from(["auto", "vllm", "ollama", "llamacpp", "openai", "scripted", "ask", "yolo", "auto-edit", "run_*,git/*"]).map(_toml_string),
    json_values.map(_toml_value),
    st.sampled_from(["1979-05-27T07:32:00Z", "07:32:00", "1979-05-27", "0x1F", "1_000", "'literal'", "'''multi\nline'''", '"""a\\\nb"""', "[", "{", "", "=", "+inf"]),
    st.sampled_from([  # nesting the TOML parser recurses into; an integer past Python's digit limit
        *("[" * n + "]" * n for n in (200, 400, 1000, 2000)),
        *("{a = " * n + "1" + "}" * n for n in (200, 400, 1000, 2000)),
        "1" * 4301,
    ]),
)
_key = st.one_of(st.sampled_from(KEYS), st.sampled_from(["bakend", "a.b", '"quoted"', "[table]", "[[array]]"]), st.text(max_size=6))
_line = st.one_of(
    st.builds(lambda k, v: f"{k} = {v}", _key, _toml_values),
    st.sampled_from(["# comment", "", "[tools]", "x = 1 # trailing", "key", "= 3"]),
    st.text(max_size=20),
)
toml_texts = st.lists(_line, max_size=6).map("\n".join)
toml_files = st.one_of(
    toml_texts.map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=40),
    st.none(),  # no file
)


def _place(path: Path, data: bytes | None) -> None:
    if data is None:
        path.unlink(missing_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@given(toml_files, toml_files)
def test_settings_files_give_settings_or_a_config_error_naming_the_file(scratch: Path, user: bytes | None, project: bytes | None) -> None:
    assert os.environ.get("A2IA_CONFIG_DIR")  # the suite's conftest points it at this test's tmp folder
    workspace = scratch / "workspace"
    workspace.mkdir(exist_ok=True)
    _place(user_settings_file(), user)
    _place(project_settings_file(workspace), project)
    try:
        settings, origins = resolve_settings(workspace=str(workspace), trust=True)  # the project file applies
    except ConfigError as exc:
        named = [str(p) for p, data in ((user_settings_file(), user), (project_settings_file(workspace), project)) if data is not None]
        assert any(name in str(exc) for name in named), str(exc)
        return
    assert isinstance(settings, Settings)
    assert set(origins) <= set(KEYS)


_valid = st.fixed_dictionaries(
    {},
    optional={
        "backend": st.sampled_from(["auto", "vllm", "ollama", "llamacpp", "openai", "scripted"]),
        "max_steps": st.integers(1, 1000),
        "temperature": st.floats(0.0, 2.0),
        "n_ctx": st.integers(512, 10**9),
        "model": st.text(max_size=12),
        "allow_tools": st.lists(st.text(max_size=6), max_size=3),
        "react": st.booleans(),
        "approval": st.sampled_from(["ask", "auto-edit", "yolo"]),
    },
)


@settings(max_examples=cases(0.1))
@given(_valid, _valid)
def test_valid_settings_files_resolve_to_their_values(scratch: Path, user: dict, project: dict) -> None:
    workspace = scratch / "workspace"
    workspace.mkdir(exist_ok=True)
    for path, values in ((user_settings_file(), user), (project_settings_file(workspace), project)):
        text = "\n".join(f"{k} = {_toml_value(v)}" for k, v in values.items())
        _place(path, text.encode("utf-8", "surrogatepass"))
    settings, origins = resolve_settings(workspace=str(workspace), trust=True)
    expected = {**user, **project}
    for key, value in expected.items():
        got = getattr(settings, key)
        assert (tuple(value) if isinstance(value, list) else value) == got
        assert origins[key].startswith("project file" if key in project else "user file")


@given(toml_files, mcp_files)
def test_the_trust_review_reads_any_project_files_and_prints_only_printable_lines(
    scratch: Path, settings_file: bytes | None, servers_file: bytes | None
) -> None:
    """What a cloned folder's files say is shown to the person before they trust it: it must
    never crash a2ia, nor put a control character (a terminal escape) on their screen."""
    from a2ia.paths import project_file
    from a2ia.trust.review import review_project

    folder = scratch / "cloned"
    folder.mkdir(exist_ok=True)
    _place(project_file(folder, "config.toml"), settings_file)
    _place(project_file(folder, "mcp.json"), servers_file)
    for line in review_project(folder):
        assert line.render().replace("\u26a0", "").isprintable(), repr(line.render())
