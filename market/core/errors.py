"""User-facing errors: one clear line naming the field, what was expected and what was given.

A :class:`UserInputError` raised while reading a file keeps the file's values apart: ``field``
and ``expected`` say where and what (the file's name, a line, a column, a TOML key path), and
anything read from the file goes into ``given`` or the ``note``. Where a field or an expectation
must name something read from the file (a model listed under ``[prices]``, the models in the
records), the raise site also says how to put it without that value, so
:meth:`UserInputError.without_values` can be shown to people who must not see the file.
"""

from __future__ import annotations

import itertools
import re

#: What :meth:`UserInputError.without_values` keeps of a note: positions, never text.
POSITION = re.compile(r"\b(?:line|row|column) \d+\b|\bend of document\b")
#: The most characters of an offending value a message quotes (a 2-million-item list from a
#: file would otherwise make a 12 MB line); room for a path or a header row.
QUOTED_CHARACTERS = 160
#: The most characters of a note a message keeps.
NOTE_CHARACTERS = 600


def quoted(value: object, limit: int = QUOTED_CHARACTERS) -> str:
    """``repr(value)``, cut to its first ``limit`` characters and the full size.

    A long list, tuple, set or mapping is never rendered whole: its first items are, and the
    cut says how many items it has (``…(2,000,000 items)``); a long text or number says how
    many characters (``…(1,000,000 characters)``).
    """
    if isinstance(value, list | tuple | set | frozenset | dict) and len(value) > limit:
        items = list(itertools.islice(value.items() if isinstance(value, dict) else value, limit))
        shown = dict(items) if isinstance(value, dict) else type(value)(items)
        return f"{repr(shown)[:limit]}…({len(value):,} items)"
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…({len(text):,} characters)"


class UserInputError(ValueError):
    """A mistake in what the user asked for (CLI flag, preset, data file).

    The CLI turns it into one line on stderr and exit code 2; library callers can catch it
    like any ``ValueError``.

    Attributes:
        field: Where the mistake is, e.g. ``"my.toml: eps"`` or ``"r.csv line 3, column
            'reward'"``.
        expected: What was expected there.
        given: What was found (may be a value read from a file), or None.
        note: More detail on one line (may quote a file), or ``""``.
    """

    def __init__(
        self,
        field: str,
        expected: str,
        given: object = None,
        *,
        note: str = "",
        field_without_values: str | None = None,
        expected_without_values: str | None = None,
    ):
        """Build the one-line message.

        Args:
            field: Where the mistake is.
            expected: What was expected.
            given: What was found (None: nothing to show).
            note: More detail; any whitespace is folded so the message stays one line.
            field_without_values: ``field`` with no value read from a file in it (e.g.
                ``"my.toml: prices.<model>"`` for ``"my.toml: prices.secret-model"``); default
                ``field``.
            expected_without_values: ``expected`` likewise; default ``expected``.
        """
        self.field = field
        self.expected = expected
        self.given = given
        self.note = " ".join(str(note).split())  # always one line
        if len(self.note) > NOTE_CHARACTERS:
            self.note = f"{self.note[:NOTE_CHARACTERS]}…"
        self._field_without_values = field if field_without_values is None else field_without_values
        self._expected_without_values = (
            expected if expected_without_values is None else expected_without_values
        )
        message = f"{field}: expected {expected}"
        if given is not None:
            message += f", got {quoted(given)}"
        if self.note:
            message += f" ({self.note})"
        super().__init__(message)

    def without_values(self) -> str:
        """The message without anything read from a file, for a page anyone may see.

        ``"{field}: expected {expected}"`` followed by the positions the note names (``"line
        3"``, ``"column 7"``, ``"end of document"``); never ``given`` nor the note's text.

        Returns:
            One line, e.g. ``"my.toml: <unknown key>: expected one of the keys name, ..."``.
        """
        message = f"{self._field_without_values}: expected {self._expected_without_values}"
        positions = list(dict.fromkeys(POSITION.findall(self.note)))
        if positions:
            message += f" ({', '.join(positions)})"
        return " ".join(message.split())

    def redacted(self) -> UserInputError:
        """The same mistake as an error whose whole message is :meth:`without_values`."""
        return UserInputError(
            self._field_without_values,
            self._expected_without_values,
            note=" ".join(dict.fromkeys(POSITION.findall(self.note))),
        )
