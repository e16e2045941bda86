"""A deadline for work that must be refused quickly: a TimeoutError instead of running on."""

import contextlib
import signal


@contextlib.contextmanager
def deadline(seconds: int, what: str = "refused"):
    """Raise ``TimeoutError("not <what> within <seconds> s")`` if the block runs longer."""

    def overtime(signum, frame):
        raise TimeoutError(f"not {what} within {seconds} s")

    previous = signal.signal(signal.SIGALRM, overtime)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
