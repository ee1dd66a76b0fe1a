"""Errors a person can act on: what went wrong, where, and how to fix it."""

from __future__ import annotations


class GalleryError(Exception):
    """A build problem the user must fix; the MkDocs plugin turns it into a PluginError."""


class NotebookError(GalleryError):
    """A problem with one notebook; the message names the notebook file."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


# Appended to "cannot run in the browser" errors: the other tier is where such a notebook belongs.
SERVER_TIER_HINT = (
    "A notebook that needs it runs on the server tier instead: move it to `notebooks/analysis/` "
    '(docs/server-tier.md, "Add a notebook"), where it gets a gallery card and a build-time preview.'
)
