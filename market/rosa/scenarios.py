"""Settings of the ROSA game, named presets, and the random draws every run is built from.

A :class:`RosaSetting` is a validated, frozen description of a market (providers, context
dimension, horizon, reward noise, cost distribution, learner, mechanism and their parameters).
None of the paper's parameter values are known: the defaults are ours
(``docs/rosa-reconstruction.md``): n = 5, d = 5, T = 1e4, theta and x uniform on [0,1]^d
then normalised to unit length, Gaussian noise sd 0.1, costs U[0, 0.5], ridge 1.0, alpha 1.0,
``mu = min(0.5, 1/sqrt(T))``.

Randomness: one root seed. Each run draws from streams keyed by (kind, index), the children
``SeedSequence(seed).spawn(4)[kind].spawn(...)[index]`` built directly with ``spawn_key``, so a
run's numbers depend on its index, never on how many runs share a batch or a process:

* ``INSTANCE`` -- the hidden qualities ``theta_i`` and the private costs ``c_i``;
* ``ENVIRONMENT`` -- contexts, reward noise and the learner's bid-blind priorities, drawn in
  blocks of :data:`BLOCK` rounds (a prefix of a longer run is the shorter run);
* ``COINS`` -- ROSA's coins (flag, V) for every provider;
* ``STRATEGY`` -- for bidding strategies that randomise (none of the registered ones does).

References:
    Patra et al. (2026), Setting and Experiments; ``docs/rosa-reconstruction.md``. Reconstructed.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from market.core.errors import UserInputError
from market.core.registry import Registry
from mechanisms.rosa.auction import CostDistribution
from mechanisms.rosa.learners import LEARNERS, LearnerParams, coordinate_dot
from mechanisms.rosa.resampling import MECHANISMS, ResamplingParams, default_mu

INSTANCE, ENVIRONMENT, COINS, STRATEGY = 0, 1, 2, 3
BLOCK = 256
NOISES = ("gaussian", "exponential")
MAX_PROVIDERS = 64
MAX_DIM = 64
MAX_T = 10_000_000
RECONSTRUCTED = (
    "reconstructed: ROSA, the learners and every default are rebuilt from the paper's "
    "abstract and table of contents (docs/rosa-reconstruction.md), not from its body"
)


def check_count(value, field: str, low: int, high: int) -> int:
    """An integer in ``[low, high]`` (a UserInputError otherwise)."""
    expected = f"an integer from {low:,} to {high:,}"
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise UserInputError(field, expected, value)
    if not low <= value <= high:
        raise UserInputError(field, expected, value)
    return int(value)


@dataclass(frozen=True)
class RosaSetting:
    """One market: sizes, noise, costs, learner and mechanism (all validated).

    Attributes:
        name: the preset's name.
        providers: n (2 to 64).
        dim: the context dimension d (1 to 64).
        T: the horizon, query rounds (1 to 1e7).
        noise: ``"gaussian"`` (mean + sigma N(0,1)) or ``"exponential"`` (an exponential
            draw with the linear mean).
        sigma: the Gaussian noise's standard deviation.
        cost_lo: the cost support's bottom ``c_lo``.
        cost_hi: the cost support's top ``c_hi``.
        cost_shape: the power-law shape k (1 = uniform).
        ridge: the learners' ridge lambda.
        alpha: the learners' confidence-width multiplier.
        mu: ROSA's resampling probability (None: ``min(0.5, 1/sqrt(T))``).
        learner: a registered learner name.
        mechanism: a registered mechanism name.
        explore: explore-then-commit's rounds per provider (None: ``ceil(sqrt(T))``).
        explore_scale: the elimination learner's width threshold scale ``c``.
    """

    name: str = "patra2026"
    providers: int = 5
    dim: int = 5
    T: int = 10_000
    noise: str = "gaussian"
    sigma: float = 0.1
    cost_lo: float = 0.0
    cost_hi: float = 0.5
    cost_shape: float = 1.0
    ridge: float = 1.0
    alpha: float = 1.0
    mu: float | None = None
    learner: str = "elimination"
    mechanism: str = "rosa"
    explore: int | None = None
    explore_scale: float = 3.0

    def __post_init__(self):
        check_count(self.providers, "providers", 2, MAX_PROVIDERS)
        check_count(self.dim, "dim", 1, MAX_DIM)
        check_count(self.T, "T", 1, MAX_T)
        if self.noise not in NOISES:
            raise UserInputError("noise", " or ".join(NOISES), self.noise)
        if not (math.isfinite(self.sigma) and self.sigma >= 0):
            raise UserInputError("sigma", "a finite standard deviation >= 0", self.sigma)
        LEARNERS.get(self.learner, field="learner")
        MECHANISMS.get(self.mechanism, field="mechanism")
        self.costs  # noqa: B018 -- validates the cost support
        self.learner_params  # noqa: B018 -- validates alpha, ridge, explore
        ResamplingParams(self.resolved_mu, self.cost_hi)

    @property
    def costs(self) -> CostDistribution:
        """The private-cost distribution."""
        return CostDistribution(self.cost_lo, self.cost_hi, self.cost_shape)

    def bid_grid(self, points: int) -> np.ndarray:
        """``points`` bids evenly spaced over the cost support ``[c_lo, c_hi]``, ends included.

        The grid a truthfulness curve plays (Patra et al. 2026, Def. 5: no bid of the support
        should earn more in expectation than the true cost; reconstructed).
        """
        return np.linspace(self.cost_lo, self.cost_hi, points)

    @property
    def resolved_mu(self) -> float:
        """``mu``, or the default ``min(0.5, 1/sqrt(T))``."""
        return default_mu(self.T) if self.mu is None else self.mu

    @property
    def learner_params(self) -> LearnerParams:
        """The learner's parameters."""
        costs = self.costs
        return LearnerParams(
            T=self.T,
            n=self.providers,
            alpha=self.alpha,
            ridge=self.ridge,
            explore=self.explore,
            explore_scale=self.explore_scale,
            virtual_range=float(costs.virtual_cost(costs.hi) - costs.virtual_cost(costs.lo)),
        )

    @property
    def resampling(self) -> ResamplingParams:
        """ROSA's parameters."""
        return ResamplingParams(self.resolved_mu, self.cost_hi)

    def replace(self, **changes) -> RosaSetting:
        """A validated copy with ``changes`` (None values are ignored)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise UserInputError("setting", "known setting names", ", ".join(sorted(unknown)))
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """The setting as JSON-ready values (mu resolved)."""
        return {**dataclasses.asdict(self), "mu": self.resolved_mu}


SCENARIOS: Registry[RosaSetting] = Registry("preset")
SCENARIOS.register(RosaSetting(name="patra2026"))
SCENARIOS.register(RosaSetting(name="patra2026-exponential", noise="exponential"))


def get_setting(preset="patra2026", **changes) -> RosaSetting:
    """A preset (name or setting) with ``changes`` applied and validated."""
    setting = SCENARIOS.get(preset, field="preset") if isinstance(preset, str) else preset
    return setting.replace(**changes)


def as_setting(setting: str | RosaSetting) -> RosaSetting:
    """The setting a preset name or a RosaSetting stands for.

    Args:
        setting: a preset name (``"patra2026"``, ``"patra2026-exponential"``) or a
            :class:`~market.rosa.scenarios.RosaSetting`.

    Returns:
        The :class:`~market.rosa.scenarios.RosaSetting`.

    Raises:
        UserInputError: for an unknown preset name or anything else.
    """
    if isinstance(setting, str):
        return get_setting(setting)
    if not isinstance(setting, RosaSetting):
        raise UserInputError("setting", "a preset name or a RosaSetting", type(setting).__name__)
    return setting


def stream(seed: int, kind: int, index: int) -> np.random.Generator:
    """The generator of stream ``kind`` for run (or environment) ``index`` of root ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(kind, index)))


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled to unit Euclidean length (rows of zeros stay zero)."""
    norms = np.sqrt(coordinate_dot(vectors, vectors))
    return vectors / np.where(norms > 0, norms, 1.0)[..., None]


@dataclass(frozen=True)
class Instance:
    """The hidden truth of one market: qualities ``theta_i`` (unit length) and private costs."""

    thetas: np.ndarray
    costs: np.ndarray


def draw_instance(setting: RosaSetting, seed: int, index: int) -> Instance:
    """Instance ``index``: ``theta`` uniform on [0,1]^d normalised, then costs from F."""
    rng = stream(seed, INSTANCE, index)
    thetas = unit_rows(rng.random((setting.providers, setting.dim)))
    return Instance(thetas=thetas, costs=setting.costs.sample(rng, setting.providers))


class EnvironmentStream:
    """Contexts, standard noise draws and priorities of one environment, block by block."""

    def __init__(self, setting: RosaSetting, seed: int, index: int):
        self.setting = setting
        self.rng = stream(seed, ENVIRONMENT, index)
        self.next_block = 0

    def block(self, number: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Block ``number`` (blocks are drawn in order): contexts, noise, priorities."""
        if number != self.next_block:
            raise RuntimeError(f"environment blocks are drawn in order: {number} requested")
        self.next_block += 1
        n, d = self.setting.providers, self.setting.dim
        contexts = unit_rows(self.rng.random((BLOCK, d)))
        if self.setting.noise == "gaussian":
            noise = self.rng.standard_normal((BLOCK, n))
        else:
            noise = self.rng.standard_exponential((BLOCK, n))
        return contexts, noise, self.rng.random((BLOCK, n))
