"""Running sums of long segments, shared by the runs of one seed (sweeps).

Every strategy profile of a seed serves the same query ids (drawn once per seed), and the long
exploitation segment of many profiles starts at the same position with the same model and the
same carried reward total (the chosen provider's exploration sum). :class:`SegmentSums` keeps
the running sums of such a segment, computed once up to the horizon, so that the next profile
reads them instead of gathering and summing a million values again.

The sums are the very arrays the platform would compute (the same gathers, the carry added to
the first reward, then a sequential ``cumsum``; integer lengths summed exactly), cut to the
length served: results are bit-identical with and without sharing (a test checks it on random
profiles and markets).

References:
    Cao et al. (2026), Section 6 (all 216 profiles share each seed's queries).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

#: Segments at least this long are worth sharing; shorter ones are served directly.
SHARED_LENGTH = 50_000
#: The most bytes of running sums kept per seed and process (oldest dropped first).
BUDGET_BYTES = 160 * 1024**2


class SegmentSums:
    """Running sums of segments ``[start, T)`` of one seed's queries, per model row.

    Args:
        query_ids: the seed's query ids ``w_1..w_T`` (read-only).
        reward: ``(M, Q)`` rewards per model row.
        length: ``(M, Q)`` true lengths per model row (capped at L).
    """

    def __init__(self, query_ids: np.ndarray, reward: np.ndarray, length: np.ndarray):
        self.query_ids = query_ids
        self.reward = reward
        self.length = length
        self.arrays: OrderedDict = OrderedDict()
        self.bytes = 0

    def running_rewards(self, row: int, start: int, carry: float) -> np.ndarray:
        """``cumsum`` of row ``row``'s rewards from ``start`` with ``carry`` added first."""
        key = ("reward", row, start, carry)

        def compute() -> np.ndarray:
            rewards = self.reward[row].take(self.query_ids[start:])
            rewards[0] += carry
            return np.cumsum(rewards, out=rewards)

        return self.kept(key, compute)

    def running_lengths(self, row: int, start: int) -> np.ndarray:
        """``cumsum`` of row ``row``'s true lengths from ``start`` (exact integers)."""
        return self.kept(
            ("length", row, start),
            lambda: np.cumsum(self.length[row].take(self.query_ids[start:])),
        )

    def running_reports(self, row: int, start: int, report, max_length: int) -> np.ndarray:
        """``cumsum`` of the lengths billed under ``report`` from ``start`` (exact integers)."""
        if report.mode == "true":
            return self.running_lengths(row, start)
        return self.kept(
            ("report", row, start, report),
            lambda: np.cumsum(
                report.apply(self.length[row].take(self.query_ids[start:]), max_length)
            ),
        )

    def falling_means(self, row: int, start: int, carry: float, report, price: float, rule, L: int):
        """The validation positions from ``start`` and minus the running minimum of the means.

        The mean user utility after ``j`` queries of a segment opened at ``start`` is
        ``(S_j - carry - p R_j) / j`` (Mechanism 1, line 15), computed exactly as the platform
        does; the first position where it falls below a threshold is the first where its
        running minimum does, found by binary search in the (non-decreasing) negated minimum.
        """
        key = ("check", row, start, carry, report, price, rule.start, rule.every)

        def compute() -> tuple[np.ndarray, np.ndarray]:
            rewards = self.running_rewards(row, start, carry)
            reports = self.running_reports(row, start, report, L)
            j = rule.positions(1, len(rewards))
            at = slice(rule.start - 1, None) if rule.every == 1 else j - 1  # same values
            mean = (rewards[at] - carry - price * reports[at]) / j
            return j, np.negative(np.minimum.accumulate(mean, out=mean), out=mean)

        return self.kept(key, compute)

    def kept(self, key, compute):
        """The array(s) under ``key``, computed on first use (least recently used dropped)."""
        if key in self.arrays:
            self.arrays.move_to_end(key)
            return self.arrays[key]
        value = compute()
        for array in value if isinstance(value, tuple) else (value,):
            array.setflags(write=False)
        self.arrays[key] = value
        self.bytes += size(value)
        while self.bytes > BUDGET_BYTES and len(self.arrays) > 1:
            _, dropped = self.arrays.popitem(last=False)
            self.bytes -= size(dropped)
        return value


def size(value) -> int:
    """Bytes held by an array or a tuple of arrays."""
    return sum(a.nbytes for a in value) if isinstance(value, tuple) else value.nbytes
