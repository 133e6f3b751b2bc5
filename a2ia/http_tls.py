"""``verify`` for an httpx client that talks to one base URL.

An ``httpx.AsyncClient`` with the default ``verify=True`` loads the CA bundle when it is built:
54 ms here, per client. a2ia probes local engines (``http://127.0.0.1:…``) at every start, where
no TLS happens at all, so for ``http://`` URLs the bundle is not loaded. ``https://`` URLs are
verified as always.
"""

from __future__ import annotations


def verify_for(url: str) -> bool:
    """False only for plain-HTTP URLs (nothing to verify); True for everything else."""
    return not url.lower().startswith("http://")
