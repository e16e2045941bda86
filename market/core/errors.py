"""User-facing errors: one clear line naming the field, what was expected and what was given."""

from __future__ import annotations


class UserInputError(ValueError):
    """A mistake in what the user asked for (CLI flag, preset, data file).

    The CLI turns it into one line on stderr and exit code 2; library callers can catch it
    like any ``ValueError``.
    """

    def __init__(self, field: str, expected: str, given: object = None, *, note: str = ""):
        self.field = field
        self.expected = expected
        self.given = given
        message = f"{field}: expected {expected}"
        if given is not None:
            message += f", got {given!r}"
        if note:
            message += f" ({' '.join(str(note).split())})"  # always one line
        super().__init__(message)
