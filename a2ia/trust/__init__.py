"""Trusted folders: a folder's own ``.a2ia/`` files apply only where the person said so.

``store`` keeps the answers (per real path, in the user's config folder), ``check`` says
whether a workspace's project files apply, ``review`` describes what they would do.
"""
