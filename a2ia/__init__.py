"""a2ia: a local-first AI agent for the terminal."""

__version__ = "0.1.0"
