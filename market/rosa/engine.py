"""Many ROSA markets played forward together: runs along a leading axis of numpy arrays.

A :class:`MarketBatch` holds ``rows`` markets that share a setting (n, d, T, learner,
mechanism). Each row has its own true qualities and costs (or shares one instance), its reported
bids, ROSA's coins (hence modified bids and payment rates) and an environment index; rows with
the same environment index see the same contexts, noise and priorities. One call of
:meth:`MarketBatch.advance` plays any number of rounds for every row at once; the per-round work
is vectorised over rows and providers, the ridge updates are rank-one.

Whatever the number of rows, and however the horizon is cut into calls of ``advance``, a row's
numbers are bit-identical: randomness comes from per-index streams drawn in fixed blocks
(:mod:`market.rosa.scenarios`) and all vector arithmetic is element-wise in a fixed order
(:mod:`mechanisms.rosa.learners`). The Mesa model is a batch of one row.

Tallies per row: rounds served per provider, the realised reward total, the virtual-surplus
regret against the clairvoyant benchmark (Thm. 2 with true qualities and true costs: each round
``max_i (v_it - phi(c_i)) - (v_{I_t,t} - phi(c_{I_t}))``; ours: the paper's regret definition is
unknown) and the clairvoyant benchmark's expected user utility (its winner's quality minus its
threshold payment) and virtual surplus (the user's expected utility under Myerson payments, in
expectation over costs). Payments are ``served x payment rate`` (a rate is fixed per run).

References:
    Patra et al. (2026), Setting, Def. 4, Experiments (figures a-c);
    ``docs/rosa-reconstruction.md``. Reconstructed.
"""

from __future__ import annotations

import numpy as np

from market.core.errors import UserInputError
from market.rosa.scenarios import BLOCK, EnvironmentStream, RosaSetting
from mechanisms.rosa.auction import optimal_reverse_auction
from mechanisms.rosa.learners import (
    RidgeEstimates,
    RoundView,
    coordinate_dot,
    make_learner,
    ordered_sum,
)
from mechanisms.rosa.resampling import MECHANISMS, ResamplingCoins

#: The largest learner state one batch may hold (ridge inverses: rows x n x d x d doubles).
MAX_STATE_BYTES = 2_000_000_000


def state_bytes(rows: int, setting: RosaSetting) -> int:
    """Bytes of the ridge state of ``rows`` runs."""
    return 8 * rows * setting.providers * setting.dim * (setting.dim + 2)


def check_batch_size(rows: int, setting: RosaSetting, field: str = "runs") -> None:
    """Refuse a batch whose learner state would exceed :data:`MAX_STATE_BYTES`."""
    need = state_bytes(rows, setting)
    if need > MAX_STATE_BYTES:
        raise UserInputError(
            field,
            f"a batch whose learner state fits in {MAX_STATE_BYTES / 1e9:g} GB",
            rows,
            note=f"{rows:,} runs x {setting.providers} providers x d={setting.dim} "
            f"need {need / 1e9:.1f} GB; use fewer runs, providers or dimensions",
        )


class MarketBatch:
    """``rows`` markets stepped together (see the module docstring).

    Args:
        setting: the shared setting.
        seed: the root seed (environment streams are keyed by it and their index).
        thetas: true qualities, shape ``(rows or 1, n, d)``.
        costs: true private costs, shape ``(rows or 1, n)``.
        bids: reported bids, shape ``(rows, n)``.
        coins: ROSA's coins, arrays of shape ``(rows, n)``.
        environments: each row's environment index, shape ``(rows,)``.
        benchmark: also tally regret and the clairvoyant utility (off for truthfulness curves).
        trace_every: keep every k-th round's context and choice (0: none; for one-row runs).
    """

    def __init__(
        self,
        setting: RosaSetting,
        seed: int,
        thetas,
        costs,
        bids,
        coins: ResamplingCoins,
        environments,
        *,
        benchmark: bool = True,
        trace_every: int = 0,
    ):
        self.setting = setting
        self.bids = np.asarray(bids, dtype=float)
        self.rows, n = self.bids.shape
        check_batch_size(self.rows, setting)
        self.thetas = np.asarray(thetas, dtype=float)
        self.costs = np.asarray(costs, dtype=float)
        mechanism = MECHANISMS.get(setting.mechanism, field="mechanism")(setting.resampling)
        self.modified_bids = mechanism.modified_bids(self.bids, coins)
        self.payment_rates = mechanism.payment_rates(self.bids, coins)
        self.flagged = np.asarray(coins.flagged, dtype=bool)
        distribution = setting.costs
        self.virtual_bids = distribution.virtual_cost(self.modified_bids)
        self.true_virtual = distribution.virtual_cost(self.costs)
        self.learner = make_learner(setting.learner, setting.learner_params)
        self.estimates = RidgeEstimates(self.rows, n, setting.dim, setting.ridge)
        keys, self.environment_of_row = np.unique(np.asarray(environments), return_inverse=True)
        self.streams = [EnvironmentStream(setting, seed, int(k)) for k in keys]
        self.shared_environment = len(keys) == 1
        self.benchmark = benchmark
        self.t = 0
        self.row_index = np.arange(self.rows)
        self.no_row = np.zeros_like(self.row_index)
        self.cost_row = self.row_index if self.costs.shape[0] > 1 else self.no_row
        self.noise_row = self.no_row if self.shared_environment else self.row_index
        self.served = np.zeros((self.rows, n), dtype=np.int64)
        self.reward_total = np.zeros(self.rows)
        self.regret = np.zeros(self.rows)
        self.clairvoyant_utility = np.zeros(self.rows)
        self.clairvoyant_surplus = np.zeros(self.rows)
        self.trace_every = trace_every
        self.trace: list[tuple[int, int, int, np.ndarray]] = []

    @property
    def finished(self) -> bool:
        """Whether the horizon is played."""
        return self.t >= self.setting.T

    def load_block(self, number: int) -> None:
        """Draw block ``number`` of every environment and precompute what needs no learner.

        Per round of the block: the rows' contexts, noise and priorities (one shared row when
        every row sees the same environment), every provider's true quality ``theta_i . x`` and,
        for the benchmark, the clairvoyant auction's winner, virtual surplus and user utility.
        """
        blocks = [s.block(number) for s in self.streams]
        contexts = np.stack([b[0] for b in blocks])
        noise = np.stack([b[1] for b in blocks])
        priority = np.stack([b[2] for b in blocks])
        if not self.shared_environment:
            contexts, noise = contexts[self.environment_of_row], noise[self.environment_of_row]
            priority = priority[self.environment_of_row]
        self.contexts, self.noise, self.priority = contexts, noise, priority
        self.values = coordinate_dot(self.thetas[:, None, :, :], contexts[:, :, None, :])
        self.value_row = self.row_index if self.values.shape[0] > 1 else self.no_row
        if self.benchmark:
            outcome = optimal_reverse_auction(
                self.values, self.costs[:, None, :], self.setting.costs
            )
            self.best_winner = outcome.winner
            self.best_surplus = outcome.virtual_surplus
            winner_value = np.take_along_axis(self.values, outcome.winner[..., None], -1)[..., 0]
            self.best_utility = winner_value - outcome.payment

    def advance(self, rounds: int) -> int:
        """Play up to ``rounds`` rounds (fewer at the horizon); returns how many were played."""
        played = 0
        while played < rounds and not self.finished:
            self.play_round()
            played += 1
        return played

    def play_round(self) -> None:
        """One query round for every row (the hot path)."""
        t = self.t
        within = t % BLOCK
        if within == 0:
            self.load_block(t // BLOCK)
        context = self.contexts[:, within]
        learner, estimates = self.learner, self.estimates
        means = estimates.means(context)
        widths = None
        if learner.needs_widths(t):
            spread = estimates.spread(context)
            quadratic = estimates.quadratic(context, spread)
            widths = np.sqrt(np.maximum(quadratic, 0.0))
        view = RoundView(t, means, widths, self.virtual_bids, self.priority[:, within])
        choice = learner.choose(view)
        chosen = choice.provider
        rows, draws = self.row_index, self.value_row
        value = self.values[draws, within, chosen]
        noise = self.noise[self.noise_row, within, chosen]
        if self.setting.noise == "gaussian":
            reward = value + self.setting.sigma * noise
        else:
            reward = value * noise
        if np.any(choice.learn):
            mask = np.zeros(self.served.shape)
            mask[rows, chosen] = choice.learn
            estimates.update(mask, reward, means, spread, quadratic)
        self.served[rows, chosen] += 1
        self.reward_total += reward
        if self.benchmark:
            chosen_surplus = value - self.true_virtual[self.cost_row, chosen]
            best_surplus = self.best_surplus[draws, within]
            self.regret += best_surplus - chosen_surplus
            self.clairvoyant_surplus += best_surplus
            self.clairvoyant_utility += self.best_utility[draws, within]
        if self.trace_every and t % self.trace_every == 0:
            best = int(self.best_winner[0, within]) if self.benchmark else -1
            self.trace.append((t, int(chosen[0]), best, context[0].copy()))
        self.t = t + 1

    # ---- totals ---------------------------------------------------------------------------

    @property
    def payments(self) -> np.ndarray:
        """Payments so far, per row and provider (rounds served x payment rate)."""
        return self.served * self.payment_rates

    @property
    def provider_utility(self) -> np.ndarray:
        """Each provider's utility so far: payments minus its true cost per round served."""
        return self.served * (self.payment_rates - self.costs)

    @property
    def user_utility(self) -> np.ndarray:
        """The user's realised utility so far: rewards minus payments."""
        return self.reward_total - ordered_sum(self.payments)
