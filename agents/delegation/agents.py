"""Mesa agents of the delegation game: the user/platform and the strategic providers.

The :class:`PlatformAgent` is the user: it runs the mechanism, draws the queries, delegates
them and pays for what is reported. A :class:`ProviderAgent` holds a menu of models, a public
price and a strategy; asked to serve a run of queries, it decides at the start of its phase and
again only at the points its strategy declares (``decides_every``, ``decides_at``), from a view
whose :class:`~agents.delegation.actions.PhaseProgress` says how far it is; between two points
the platform serves the run vectorised. The points are counted in queries of the phase, so where
a strategy decides, and so every result, is the same whatever the batching.

Bookkeeping is exact and independent of how the queries are batched: token counts are integers,
and each provider's reward total is accumulated query by query (a running ``cumsum`` carried
from one batch to the next), so serving T queries one by one or all at once gives bit-identical
totals. Utilities are derived from those totals: user utility ``sum r - p_i sum l'`` and provider
utility ``eta (p_i sum l' - sum_m c_m sum l_m)``; an honest provider earns exactly 0.

References:
    Cao et al. (2026), Section 3.1 (utilities), Mechanism 1; ``docs/delegation-variant.md``.
"""

from __future__ import annotations

import mesa
import numpy as np

from agents.delegation.actions import NO_PROGRESS, PhaseProgress, ProviderView, ServiceAction
from agents.delegation.segments import (
    Segment,
    ServedDelegation,
    checked_decision_point,
    served_delegation,
    serving_cost,
)
from agents.delegation.strategies import DelegationStrategy
from agents.delegation.sums import SHARED_LENGTH, SegmentSums
from mechanisms.delegation import (
    EXPLOITATION,
    Delegation,
    DelegationMechanism,
    DelegationParams,
    PhaseRecord,
)


class ProviderAgent(mesa.Agent):
    """A provider: a menu of models, a public price and a strategy (Section 3.1).

    Args:
        model: the Mesa model.
        menu: its menu (a :class:`market.delegation.economy.ProviderMenu`: names, response
            rows, costs, price, truthful model, expected rewards and lengths).
        strategy: its strategy.
        index: its position among the providers (0-based).
        eta: the provider-utility scale (1 in the paper, 0.9 in the authors' simulator).
    """

    def __init__(
        self,
        model: mesa.Model,
        menu,
        strategy: DelegationStrategy,
        index: int,
        eta: float = 1.0,
    ):
        super().__init__(model)
        self.menu = menu
        self.strategy = strategy
        self.index = index
        self.eta = eta
        self.delegations = 0
        self.reward_sum = 0.0
        self.reported_tokens = 0
        self.true_tokens = np.zeros(len(menu.models), dtype=np.int64)

    @property
    def name(self) -> str:
        """Display name."""
        return self.menu.name

    def view(
        self,
        phase: str,
        rules: str,
        params: DelegationParams,
        u_prime,
        progress: PhaseProgress | None = None,
    ) -> ProviderView:
        """What this provider may see now (Cao et al. 2026 Section 3.1, Tables 1-2)."""
        return ProviderView(
            phase=phase,
            rules=rules,
            price=self.menu.price,
            costs=self.menu.costs,
            mean_reward=self.menu.mean_reward,
            mean_length=self.menu.mean_length,
            truthful_model=self.menu.truthful_model,
            max_length=params.max_length,
            reward_bound=params.reward_bound,
            u_prime=u_prime,
            progress=NO_PROGRESS if progress is None else progress,
        )

    def decide(self, view: ProviderView) -> ServiceAction:
        """Ask the strategy (pure) for the action from this point of the phase."""
        return self.strategy.decide(view, self.model.strategy_rng)

    @property
    def user_utility(self) -> float:
        """User utility delivered so far: ``sum r - p_i sum l'``."""
        return self.reward_sum - self.menu.price * self.reported_tokens

    @property
    def provider_utility(self) -> float:
        """``eta (p_i sum l' - sum_m c_m sum l_m)``; exactly 0 for an honest provider."""
        cost = serving_cost(self.menu.costs, self.true_tokens)
        return self.eta * (self.menu.price * self.reported_tokens - cost)


class PlatformAgent(mesa.Agent):
    """The user: runs the mechanism, delegates queries and pays reported lengths.

    Args:
        model: the Mesa model (its ``providers`` and ``mechanism_rng`` are used).
        mechanism: the mechanism, with its public inputs.
        query_ids: the query ids ``w_1..w_T`` (read-only; drawn once from the seed).
        reward: ``(M, Q)`` reward of each model row on each query (read-only).
        length: ``(M, Q)`` true output length, already capped at ``L`` (read-only).
    """

    def __init__(
        self,
        model: mesa.Model,
        mechanism: DelegationMechanism,
        query_ids: np.ndarray,
        reward: np.ndarray,
        length: np.ndarray,
    ):
        super().__init__(model)
        self.mechanism = mechanism
        self.query_ids = query_ids
        self.reward = reward
        self.length = length
        self.T = mechanism.params.T
        self.used = 0
        self.planned = 0  # queries the mechanism asked for (Lemma A.1: never above T)
        self.phase_index = -1
        self.phase_lengths: dict[str, int] = {}
        self.pending: list[Delegation] = []
        self.segment: Segment | None = None
        self.served: list[ServedDelegation] = []  # closed delegations, in order
        self.finished = False
        self.sums: SegmentSums | None = None  # shared running sums (set by sweeps)

    @property
    def phase(self) -> str:
        """Name of the phase being played ("done" at the end)."""
        if self.finished:
            return "done"
        if self.phase_index < 0:
            return self.mechanism.phases[0]
        return self.mechanism.phases[self.phase_index]

    def delegate(self, budget: int) -> int:
        """Serve up to ``budget`` more queries; returns how many were served."""
        total = 0
        while total < budget and not self.finished:
            if self.segment is None and not self.open_segment():
                break
            seg = self.segment
            k = min(budget - total, seg.remaining, self.T - self.used, seg.until_decision)
            total += self.serve(k)
            if seg.remaining == 0 or seg.stopped_early or self.used >= self.T:
                self.close_segment()
                self.plan_ahead()
            elif seg.served == seg.next_decision:
                self.decide()
            if self.used >= self.T:
                self.finished = True
        return total

    def plan_ahead(self) -> bool:
        """Plan phases until a delegation is pending; False (and finished) when none is left.

        Called as soon as a delegation closes, so the end of the run is known at once and a
        phase's plan (and its coin flips) comes at the same point whatever the batching.
        """
        while not self.pending:
            if self.phase_index + 1 >= len(self.mechanism.phases):
                self.finished = True
                return False
            self.phase_index += 1
            phase = self.mechanism.phases[self.phase_index]
            self.phase_lengths.setdefault(phase, 0)
            plan = self.mechanism.plan(phase, self.model.mechanism_rng)
            self.pending = list(plan)
            self.planned += sum(d.count for d in plan)
        return True

    def open_segment(self) -> bool:
        """Start the next pending delegation (planning the next phase when one ends)."""
        if not self.plan_ahead():
            return False
        delegation = self.pending.pop(0)
        provider = self.model.providers[delegation.provider]
        self.segment = Segment(
            delegation,
            provider,
            phase_length=min(delegation.count, self.T - self.used),
            base_true=provider.true_tokens.copy(),
            base_reward=provider.reward_sum,
            base_reported=provider.reported_tokens,
        )
        self.decide()
        if delegation.count == 0:
            self.close_segment()
            return self.open_segment()
        return True

    def decide(self) -> None:
        """Ask the open segment's provider for its action from here, and when to ask again.

        A changed action closes the service record of the previous one (so the log says who
        served which queries how); the mechanism still records the delegation as a whole.
        """
        seg = self.segment
        state = self.mechanism.state
        told = state.u_prime if seg.delegation.provider == state.chosen else None
        progress = seg.progress()
        view = seg.provider.view(
            seg.delegation.phase, self.mechanism.rules, self.mechanism.params, told, progress
        )
        action = seg.provider.decide(view)
        if seg.served > seg.action_start and action != seg.action:
            self.served.append(served_delegation(seg, self.used))
            seg.action_start = seg.served
        seg.action, seg.row = action, seg.provider.menu.rows[action.model]
        seg.next_decision = checked_decision_point(
            seg.provider.strategy.next_decision(progress), progress
        )

    def serve(self, k: int) -> int:
        """Serve the next ``k`` queries of the open segment (vectorised); may stop early."""
        seg, provider = self.segment, self.segment.provider
        shared = self.shared_sums(seg, k)
        if shared is None:
            ids = self.query_ids[self.used : self.used + k]
            rewards = self.reward[seg.row].take(ids)
            true_len = self.length[seg.row].take(ids)
            reported = seg.action.report.apply(true_len, self.mechanism.params.max_length)
            rewards[0] += provider.reward_sum
            cum_reward = np.cumsum(rewards, out=rewards)
        else:
            cum_reward, cum_true, cum_reports = shared
        rule = seg.delegation.validation
        if rule is not None:
            if shared is None:
                cum_reported = np.cumsum(reported) + seg.reported
                k = self.first_failure(rule, cum_reward, cum_reported, k)
            else:
                cum_reported = cum_reports
                k = self.first_shared_failure(rule, k)
            seg.reported = int(cum_reported[k - 1])
        elif shared is None:
            seg.reported += int(reported[:k].sum())
        else:
            seg.reported = int(cum_reports[k - 1])
        provider.reward_sum = float(cum_reward[k - 1])
        provider.reported_tokens = seg.base_reported + seg.reported
        true_total = true_len[:k].sum() if shared is None else cum_true[k - 1]
        provider.true_tokens[seg.action.model] += int(true_total)
        provider.delegations += k
        seg.served += k
        self.used += k
        self.phase_lengths[seg.delegation.phase] += k
        return k

    def shared_sums(self, seg: Segment, k: int):
        """The seed's shared running sums for a long segment's first ``k`` queries, or None.

        Only when the model shares sums (sweeps), the segment starts here and is long, and the
        billed lengths are integers (so every sum is exact): then the arrays are exactly those
        :meth:`serve` would compute (:mod:`agents.delegation.sums`).
        """
        if self.sums is None or seg.served or k < SHARED_LENGTH:
            return None
        if not np.issubdtype(np.asarray(seg.action.report.amount).dtype, np.integer):
            return None
        start, carry = self.used, seg.provider.reward_sum
        L = self.mechanism.params.max_length
        return (
            self.sums.running_rewards(seg.row, start, carry)[:k],
            self.sums.running_lengths(seg.row, start)[:k],
            self.sums.running_reports(seg.row, start, seg.action.report, L)[:k],
        )

    def first_failure(self, rule, cum_reward, cum_reported, k) -> int:
        """Queries served before (and including) the first failed validation check, else k.

        Mechanism 1, line 15: after query j the phase's mean user utility is compared with
        the threshold; the first failure stops the phase at once.
        """
        seg = self.segment
        first_j = seg.served + 1
        j = rule.positions(first_j, seg.served + k)
        if j.size == 0:
            return k
        at = j - first_j
        phase_reward = cum_reward[at] - seg.base_reward
        mean = (phase_reward - seg.provider.menu.price * cum_reported[at]) / j
        failed = np.flatnonzero(mean < rule.threshold)
        if failed.size == 0:
            return k
        seg.stopped_early = True
        return int(at[failed[0]]) + 1

    def first_shared_failure(self, rule, k: int) -> int:
        """:meth:`first_failure` for a shared segment's first ``k`` queries (binary search)."""
        seg = self.segment
        positions, falling = self.sums.falling_means(
            seg.row,
            self.used,
            seg.provider.reward_sum,
            seg.action.report,
            seg.provider.menu.price,
            rule,
            self.mechanism.params.max_length,
        )
        checked = int(np.searchsorted(positions, k, side="right"))
        first = int(np.searchsorted(falling, -rule.threshold, side="right"))
        if first >= checked:
            return k
        seg.stopped_early = True
        return int(positions[first])

    def close_segment(self) -> None:
        """Report the finished delegation's observations to the mechanism."""
        seg = self.segment
        record = PhaseRecord(
            queries=seg.served,
            reward_sum=seg.provider.reward_sum - seg.base_reward,
            reported_length_sum=float(seg.reported),
            stopped_early=seg.stopped_early,
        )
        record.user_utility_sum = record.reward_sum - seg.provider.menu.price * seg.reported
        self.mechanism.record(seg.delegation, record)
        if seg.served > seg.action_start:
            self.served.append(served_delegation(seg, self.used))
        if seg.stopped_early:
            self.planned -= seg.remaining
        if seg.stopped_early and seg.delegation.phase == EXPLOITATION:
            self.pending = []
        self.segment = None

    def served_so_far(self) -> tuple[ServedDelegation, ...]:
        """Every delegation served so far, the open one included (who served what, and how)."""
        seg = self.segment
        if seg is None or seg.served == seg.action_start:
            return tuple(self.served)
        return (*self.served, served_delegation(seg, self.used))

    @property
    def user_utility(self) -> float:
        """The user's total utility so far (sum over providers)."""
        return float(sum(p.user_utility for p in self.model.providers))
