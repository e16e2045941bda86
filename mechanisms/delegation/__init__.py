"""The rules of the delegation game (Cao et al. 2026): Mechanism 1 and its peers.

* ``second-best`` -- Mechanism 1 exactly as printed (Section 4), per-query validation check.
* ``second-best-artifact`` -- the authors' public simulator that produced Figures 2-4
  (``docs/delegation-variant.md``): batch validation checks and other constants.
* ``explore-then-commit`` -- a naive baseline without incentives: explore every provider B
  times, then give the rest to the best observed user utility, with no validation and no
  blind-trust rewards.

Modules: :mod:`~mechanisms.delegation.formulas` (B, M, thresholds, deltas, T_R, quotas),
:mod:`~mechanisms.delegation.base` (phases, public inputs, requests, records, the registry),
:mod:`~mechanisms.delegation.second_best` and :mod:`~mechanisms.delegation.baseline`.

References:
    Cao et al. (2026), "Pay for The Second-Best Service", Sections 3-4, Mechanism 1, Appendix A.
"""

from mechanisms.delegation.base import (
    BLIND_TRUST_I,
    BLIND_TRUST_II,
    EXPLOITATION,
    EXPLORATION,
    MECHANISMS,
    PHASES,
    Delegation,
    DelegationMechanism,
    DelegationParams,
    MechanismState,
    PhaseRecord,
    ValidationRule,
    check_eps,
    check_horizon,
    check_max_length,
    check_reward_bound,
)
from mechanisms.delegation.baseline import ExploreThenCommit
from mechanisms.delegation.formulas import (
    ARTIFACT_GAMMA,
    artifact_delta1,
    artifact_log_margin,
    bernoulli_quota,
    confidence_radius,
    exploitation_length_paper,
    exploration_delta,
    exploration_size,
    validation_threshold,
)
from mechanisms.delegation.second_best import ArtifactSecondBestMechanism, SecondBestMechanism

# the paper's mechanism first, then the authors' variant, then the baseline
for _mechanism in (SecondBestMechanism, ArtifactSecondBestMechanism, ExploreThenCommit):
    MECHANISMS.register(_mechanism)

__all__ = [
    "ARTIFACT_GAMMA",
    "BLIND_TRUST_I",
    "BLIND_TRUST_II",
    "EXPLOITATION",
    "EXPLORATION",
    "MECHANISMS",
    "PHASES",
    "ArtifactSecondBestMechanism",
    "Delegation",
    "DelegationMechanism",
    "DelegationParams",
    "ExploreThenCommit",
    "MechanismState",
    "PhaseRecord",
    "SecondBestMechanism",
    "ValidationRule",
    "artifact_delta1",
    "artifact_log_margin",
    "bernoulli_quota",
    "check_eps",
    "check_horizon",
    "check_max_length",
    "check_reward_bound",
    "confidence_radius",
    "exploitation_length_paper",
    "exploration_delta",
    "exploration_size",
    "validation_threshold",
]
