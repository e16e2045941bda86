"""How and where an experiment's runs are computed: one record instead of six keywords.

Every experiment function (the games' sweeps and curves, :func:`market.run_grid`,
:func:`market.core.experiments.execute`) takes ``engine: Engine | None = None``. The record
never changes a result, only where the runs are kept and which processes compute them::

    from market.core.engine import Engine
    sweep("cao2026", engine=Engine(store="runs.db", jobs=4, progress=True))
    sweep("cao2026", jobs=4, store="runs.db")   # the two shorthands, the same record

The shorthands ``jobs=`` and ``store=`` build the record on the first line of the function
that takes them (:func:`engine_with`) and go no further. The CLI's flags (``--store``,
``--executor``, ``--jobs``, ``--scheduler``) are added by :func:`market.core.cli.engine_options`
and read into a record by :func:`market.core.cli.engine_from_args`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from market.core.errors import UserInputError


@dataclass(frozen=True)
class Engine:
    """How and where an experiment's runs are computed (results never depend on it).

    Every field is checked when the record is made; a mistake is a
    :class:`~market.core.errors.UserInputError` naming the field.

    Attributes:
        store: the experiment store file keeping every finished run, so the same call again
            resumes (None: nothing kept). Checked like ``--store``: named, in an existing
            folder, not a directory.
        executor: ``"local"`` (this process, or worker processes) or ``"dask"``
            (:mod:`market.core.executors`).
        jobs: workers, an integer >= 1 (default 1; the CLI's default is the cores available).
        scheduler: a Dask scheduler's address, with ``executor="dask"`` only (None: a local
            cluster started for the experiment).
        progress: show a progress bar with an ETA on stderr.
        resume_hint: the command that resumes, quoted in the messages that stop a run
            (Ctrl-C, lost workers, a full store).
    """

    store: Path | None = None
    executor: str = "local"
    jobs: int = 1
    scheduler: str | None = None
    progress: bool = False
    resume_hint: str = ""

    def __post_init__(self) -> None:
        """Check every field once (executor and scheduler, jobs, store, progress, hint)."""
        from market.core.executors import check_executor
        from market.core.store_files import store_path
        from market.core.values import count

        check_executor(self.executor, self.scheduler)
        object.__setattr__(self, "jobs", count(self.jobs, "jobs"))
        if self.store is not None:
            object.__setattr__(self, "store", store_path(self.store))
        if not isinstance(self.progress, bool):
            raise UserInputError("progress", "True or False", self.progress)
        if not isinstance(self.resume_hint, str):
            expected = "a text (the command that resumes)"
            raise UserInputError("resume_hint", expected, self.resume_hint)


def engine_with(engine: Engine | None = None, *, jobs=None, store=None) -> Engine:
    """The record of a call: ``engine``, or one made from the shorthands ``jobs=``/``store=``.

    Args:
        engine: how and where runs are computed (None: the defaults, :class:`Engine`).
        jobs: shorthand for ``Engine(jobs=...)`` (None: not given).
        store: shorthand for ``Engine(store=...)`` (None: not given).

    Raises:
        UserInputError: a shorthand given beside ``engine`` (one place says it), or a bad field.
    """
    given = {name: value for name, value in (("jobs", jobs), ("store", store)) if value is not None}
    if engine is None:
        return Engine(**given)
    if not isinstance(engine, Engine):
        raise UserInputError("engine", "a market.core.engine.Engine or None", engine)
    if given:
        name, value = next(iter(given.items()))
        raise UserInputError(name, f"either {name}= or engine=, not both", value)
    return engine
