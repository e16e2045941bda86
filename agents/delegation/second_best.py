"""The second-best rules: which model i* serves in exploitation, and how it bills (u' given).

Pure functions of a provider's read-only view (:class:`agents.delegation.actions.ProviderView`):
the printed Theorem 5.2 in discrete form, and the authors' simulator's rules.

References:
    Cao et al. (2026), Theorem 5.2 and Section 6; ``docs/delegation-variant.md``.
"""

from __future__ import annotations

import math

from agents.delegation.actions import ProviderView


def second_best_paper(view: ProviderView) -> tuple[int, int] | None:
    """Theorem 5.2 in discrete form: the (model, target length l') pair for u'.

    Among menu models m with ``mu_r_m - p mu_l_m >= u'``, take the largest integer
    ``l' <= min(L, (mu_r_m - u') / p)`` (a model with no integer ``l' >= mu_l_m`` there is
    out) and maximise ``p l' - c_m mu_l_m``; ties go to the cheaper model. ``None`` when no
    model can reach u'.
    """
    best: tuple[float, float, int, int] | None = None
    for m, (reward, length, cost) in enumerate(
        zip(view.mean_reward, view.mean_length, view.costs, strict=True)
    ):
        if reward - view.price * length < view.u_prime:
            continue
        target = math.floor(min(view.max_length, (reward - view.u_prime) / view.price))
        if target < length:  # no whole number of tokens in [mu_l, (mu_r - u') / p]
            continue
        profit = view.price * target - cost * length
        key = (profit, -cost, m, target)
        if best is None or key[:2] > best[:2]:
            best = key
    return None if best is None else (best[2], best[3])


def artifact_padding(view: ProviderView, m: int) -> int:
    """The artifact's constant padding ``add = max(0, int((R mu_r_m - u') / p - mu_l_m))``."""
    reward, length = view.mean_reward[m], view.mean_length[m]
    return max(0, int((reward * view.reward_bound - view.u_prime) / view.price - length))


def artifact_menu_order(view: ProviderView) -> list[int]:
    """Menu indices by descending ``R mu_r_m - c_m mu_l_m`` (ties: menu order).

    The artifact's truthful model maximises this score, so it comes first.
    """
    scores = [
        view.reward_bound * r - c * length
        for r, length, c in zip(view.mean_reward, view.mean_length, view.costs, strict=True)
    ]
    return sorted(range(len(scores)), key=lambda m: -scores[m])


def artifact_improvement(view: ProviderView, profit) -> tuple[int, float]:
    """The artifact's search for i*'s exploitation model: (model, its expected profit).

    Start at the truthful model with profit 0, walk the menu in :func:`artifact_menu_order`
    and switch only to a candidate (``mu_r_m - c_m mu_l_m >= u'``) whose ``profit(m)`` is
    strictly larger than the best so far.
    """
    best, best_profit = view.truthful_model, 0.0
    for m in artifact_menu_order(view):
        reward, length, cost = view.mean_reward[m], view.mean_length[m], view.costs[m]
        if reward - cost * length < view.u_prime:
            continue
        value = profit(m)
        if value > best_profit:
            best, best_profit = m, value
    return best, best_profit


def second_best_artifact(view: ProviderView) -> tuple[int, int]:
    """The artifact's second-best rule: (model, constant padding) for u'.

    The rule as reconstructed in ``docs/delegation-variant.md``.

    Start from the truthful model with no padding (expected profit 0); go through the menu by
    descending ``R mu_r_m - c_m mu_l_m``; switch to a candidate (``mu_r_m - c_m mu_l_m >= u'``,
    compared at the model's own cost) only when its expected profit
    ``p min(mu_l_m + add_m, L) - c_m mu_l_m`` is strictly larger. Never "worst": with no
    profitable candidate it serves the truthful model with true lengths (padding 0).
    """
    p, L = view.price, view.max_length

    def padded_profit(m: int) -> float:
        length = view.mean_length[m]
        return p * min(length + artifact_padding(view, m), L) - view.costs[m] * length

    model, profit = artifact_improvement(view, padded_profit)
    return model, artifact_padding(view, model) if profit > 0 else 0


def second_best_artifact_honest_length(view: ProviderView) -> int:
    """The artifact's 'second-best with honest length': the model for u', true lengths.

    Same start (truthful model, profit 0) and strict-improvement walk as
    :func:`second_best_artifact`, but the objective is ``(p - c_m) mu_l_m``: no padding.
    """
    model, _ = artifact_improvement(
        view, lambda m: (view.price - view.costs[m]) * view.mean_length[m]
    )
    return model
