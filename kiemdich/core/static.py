"""The app's own static files, read by the views that serve them from another path."""

from __future__ import annotations

from django.contrib.staticfiles import finders


def static_file(name: str) -> str:
    """The path of a static file of the project (a service worker, served under its scope)."""
    found = finders.find(name)
    if not isinstance(found, str):  # None when missing; a list only when asked for all
        raise FileNotFoundError(name)
    return found
