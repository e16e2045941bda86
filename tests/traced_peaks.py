"""The ``tracemalloc`` peak of some work: the measurement the footprint tests hold estimates to."""

import gc
import tracemalloc


def traced_peak(work) -> int:
    """The ``tracemalloc`` peak, in bytes, of ``work()`` (started from a collected heap)."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
