"""Simulated users of the TTC market: a vectorised population choosing providers each round.

Each user has its own value per accuracy point and its own rationality; their choices make the
market shares (the heterogeneous-users extension named in Section 6). Identical users reproduce
the share functions of Table 1. The mechanisms use a population through the duck-typed
:class:`mechanisms.ttc.settlement.Users` interface.

References:
    Velasco et al. (2026), "Test-Time Compute Games", Table 1, footnote 8, Section 6.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from market.core.errors import UserInputError


@dataclass(frozen=True)
class UserPopulation:
    """A population of user agents, one row per user, choosing providers each round.

    User ``u`` values provider ``i`` at level ``theta`` as ``V_ui = w_u q_i(theta) - p_i(theta)``:
    ``w_u`` is the user's value per accuracy point relative to the game's calibration (the game's
    quality already carries the representative user's ``alpha`` dollars per point, so a user who
    values a point at ``a_u`` dollars has ``w_u = a_u / alpha``). Each user has its own rationality
    ``beta_u`` (``math.inf`` = perfectly rational) and abstains with value ``v0``. Choices are drawn
    for all users at once (Gumbel-max trick), never in a Python loop per user.

    Identical users with ``w_u = 1`` and ``beta_u = beta`` reproduce the logit shares of the
    paper's Table 1 as the population grows.

    Attributes:
        quality_weight: ``(U,)`` value per accuracy point relative to the game's ``alpha``.
        beta: ``(U,)`` rationality per user, > 0, ``inf`` allowed.
        v0: abstention value V_0 shared by the users.

    References:
        Velasco et al. (2026), Table 1 (share functions), footnote 8 (random utility models),
        Section 6 (heterogeneous users as future work).
    """

    quality_weight: np.ndarray
    beta: np.ndarray
    v0: float = 0.0
    _perfect: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        weight = np.asarray(self.quality_weight, dtype=float).reshape(-1)
        beta = np.asarray(self.beta, dtype=float).reshape(-1)
        if beta.size == 1 and weight.size > 1:
            beta = np.full(weight.size, float(beta[0]))
        if weight.size == 0:
            raise UserInputError("users", "at least one user", 0)
        if beta.shape != weight.shape:
            raise UserInputError("beta", f"one rationality per user ({weight.size})", beta.size)
        if not np.all(np.isfinite(weight)) or np.any(weight < 0):
            raise UserInputError("quality_weight", "finite values >= 0", "NaN/inf or negative")
        if np.any(np.isnan(beta)) or np.any(beta <= 0):
            raise UserInputError("beta", "rationalities > 0 (inf allowed)", "NaN or <= 0")
        if not math.isfinite(self.v0):
            raise UserInputError("v0", "a finite abstention value", self.v0)
        object.__setattr__(self, "quality_weight", weight)
        object.__setattr__(self, "beta", beta)
        object.__setattr__(self, "_perfect", np.isinf(beta))

    @classmethod
    def identical(
        cls, n_users: int, beta: float, quality_weight: float = 1.0, v0: float = 0.0
    ) -> UserPopulation:
        """``n_users`` copies of the representative user of the paper."""
        if n_users < 1:
            raise UserInputError("n_users", "at least 1", n_users)
        return cls(np.full(n_users, float(quality_weight)), np.full(n_users, float(beta)), v0)

    @classmethod
    def heterogeneous(
        cls,
        n_users: int,
        rng: np.random.Generator,
        *,
        beta: float,
        weight_spread: float = 0.5,
        beta_spread: float = 1.0,
        v0: float = 0.0,
    ) -> UserPopulation:
        """Users with log-normal value per point and log-normal rationality.

        Medians 1 and ``beta``; ``beta = inf`` makes every user perfectly rational.

        Args:
            n_users: population size.
            rng: the generator to draw the users with.
            beta: median rationality.
            weight_spread: standard deviation of ``log w_u``.
            beta_spread: standard deviation of ``log beta_u``.
            v0: abstention value.
        """
        if n_users < 1:
            raise UserInputError("n_users", "at least 1", n_users)
        if weight_spread < 0 or beta_spread < 0:
            raise UserInputError("spread", "standard deviations >= 0", (weight_spread, beta_spread))
        weight = np.exp(weight_spread * rng.standard_normal(n_users))
        betas = np.full(n_users, math.inf)
        if math.isfinite(beta):
            betas = beta * np.exp(beta_spread * rng.standard_normal(n_users))
        return cls(weight, betas, v0)

    @property
    def n_users(self) -> int:
        """Number of users U."""
        return int(self.quality_weight.size)

    def user_values(self, quality: np.ndarray, price: np.ndarray) -> np.ndarray:
        """Each user's value of each offer: ``(..., N)`` quality and price -> ``(..., U, N)``."""
        quality = np.asarray(quality, dtype=float)[..., None, :]
        price = np.asarray(price, dtype=float)[..., None, :]
        return self.quality_weight[:, None] * quality - price

    def log_choice_probabilities(self, values: np.ndarray) -> np.ndarray:
        """Each user's log choice probabilities ``(..., U, N + 1)``; abstention is last.

        Logit rows (finite ``beta_u``) are log-softmaxes ``beta_u (V - max V) - log sum exp``,
        exact however small the probability (beta = 1e6 and value gaps of 1e-3 give
        probabilities far below the float range, whose logs are still ordinary numbers);
        perfectly rational rows split equally among the best offers (abstention included) and
        are ``-inf`` elsewhere.
        """
        values = np.asarray(values, dtype=float)
        options = np.concatenate([values, np.full((*values.shape[:-1], 1), self.v0)], axis=-1)
        best = options.max(axis=-1, keepdims=True)
        finite_beta = np.where(self._perfect, 1.0, self.beta)[:, None]
        scaled = finite_beta * (options - best)
        logit = scaled - np.log(np.exp(scaled).sum(axis=-1, keepdims=True))
        winners = options == best
        with np.errstate(divide="ignore"):
            perfect = np.where(winners, -np.log(winners.sum(axis=-1, keepdims=True)), -np.inf)
        return np.where(self._perfect[:, None], perfect, logit)

    def choice_probabilities(self, values: np.ndarray) -> np.ndarray:
        """Each user's choice probabilities ``(..., U, N + 1)``; the last column is abstention."""
        return np.exp(self.log_choice_probabilities(values))

    def log_expected_shares(self, values: np.ndarray) -> np.ndarray:
        """Log population shares ``(..., N + 1)``: the users' probabilities averaged in log space.

        ``log s = log(mean_u exp(log P_u))``, a log-mean-exp over users, so a provider whose
        every user picks it with probability ``1e-400`` keeps log share ``-921`` instead of 0.
        """
        return log_mean_exp(self.log_choice_probabilities(values), axis=-2)

    def expected_shares(self, values: np.ndarray) -> np.ndarray:
        """Population market shares ``(..., N + 1)``, abstention last (mean over users)."""
        return self.choice_probabilities(values).mean(axis=-2)

    def draw_choices(self, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One choice per user, ``(U,)`` provider indices with ``N`` meaning "abstain".

        Logit users pick ``argmax(beta_u V_ui + Gumbel)``, which has exactly the logit law;
        perfectly rational users pick a best offer, ties broken uniformly.

        Args:
            values: ``(U, N)`` user values.
            rng: the generator to draw with.
        """
        values = np.asarray(values, dtype=float)
        options = np.concatenate([values, np.full((values.shape[0], 1), self.v0)], axis=-1)
        noise = rng.gumbel(size=options.shape)
        finite_beta = np.where(self._perfect, 0.0, self.beta)[:, None]
        best = options == options.max(axis=-1, keepdims=True)
        score = np.where(
            self._perfect[:, None],
            np.where(best, noise, -np.inf),
            finite_beta * (options - options.max(axis=-1, keepdims=True)) + noise,
        )
        return np.argmax(score, axis=-1)

    def realised_shares(self, choices: np.ndarray, n_providers: int) -> np.ndarray:
        """Fractions of users choosing each provider ``(N + 1,)`` (abstention last)."""
        return np.bincount(choices, minlength=n_providers + 1) / choices.size


def log_mean_exp(log_values: np.ndarray, axis: int) -> np.ndarray:
    """``log(mean(exp(log_values)))`` along ``axis``, stable (``-inf`` where all are ``-inf``)."""
    log_values = np.asarray(log_values, dtype=float)
    top = log_values.max(axis=axis, keepdims=True)
    safe_top = np.where(np.isfinite(top), top, 0.0)
    total = np.exp(log_values - safe_top).sum(axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):
        result = safe_top + np.log(total) - math.log(log_values.shape[axis])
    return np.squeeze(result, axis=axis)
