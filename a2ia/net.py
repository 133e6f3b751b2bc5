"""Whether a host is this machine: the one table every "local only" decision reads."""

from __future__ import annotations

LOCAL_HOSTS = frozenset({"localhost", "::1", "[::1]", "0.0.0.0", "::"})


def is_local_host(host: str | None) -> bool:
    """``localhost``, a loopback address (all of 127.0.0.0/8, ``::1``) or this machine's any-address."""
    host = (host or "").lower()
    return host in LOCAL_HOSTS or host.startswith("127.")
