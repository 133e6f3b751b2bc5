"""The kernel sandbox for ``run_shell`` (and stdio MCP servers configured ``"sandbox": true``).

``policy`` says what a sandboxed command may do (from the settings), ``support`` whether this
machine can confine it (probed once), ``seccomp`` builds the socket filter, ``bwrap`` the
command line that runs a command confined. Why bubblewrap, and what is confined by what:
``bwrap.py``'s docstring and the README's "Security model".
"""
