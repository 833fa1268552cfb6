"""Errors a user can act on: one line that names the field and the rule."""

from __future__ import annotations


class GoPublishError(Exception):
    """Base class for every error go-publish reports to a user without a traceback."""


class InputError(GoPublishError, ValueError):
    """A user-supplied value breaks a rule; raised before any container runs."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")
