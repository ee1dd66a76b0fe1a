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
