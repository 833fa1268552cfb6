"""Errors a user can act on: one line that names the field and the rule."""

from __future__ import annotations


_SHOWN = 60


def shown(value: str) -> str:
    """A user's value quoted for an error line, cut short so one line stays one screen line."""
    if len(value) <= _SHOWN:
        return repr(value)
    return f"{value[:_SHOWN]!r}... ({len(value)} characters)"


class GoPublishError(Exception):
    """Base class for every error go-publish reports to a user without a traceback."""


class InputError(GoPublishError, ValueError):
    """A user-supplied value breaks a rule; raised before any container runs."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


class StepFailedError(GoPublishError):
    """A step of the routine (go test, the smoke test, a push) failed; the message says which."""


class ReleaseRefusedError(GoPublishError):
    """The plan refuses to overwrite a release; nothing was pushed."""


class PushError(GoPublishError):
    """A push failed midway: says exactly which tags were pushed and which were not."""

    def __init__(self, pushed: list[str], not_pushed: list[str], cause: str) -> None:
        self.pushed = pushed
        self.not_pushed = not_pushed
        super().__init__(
            f"push failed: {cause}; pushed: {', '.join(pushed) or 'none'}; "
            f"not pushed: {', '.join(not_pushed)}"
        )
