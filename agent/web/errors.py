"""`PageError`: what went wrong, how to fix it, and the HTTP status of the page.

Routes raise it (or a store `UserError`, mapped in `app.py`) and the error
page shows both lines; nothing half-done stays behind because the store's
functions write in one transaction or not at all.
"""

from __future__ import annotations


class PageError(Exception):
    """An error page: status, message and fix."""

    def __init__(self, status: int, message: str, fix: str | None = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fix = fix or ""
