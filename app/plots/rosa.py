"""The ROSA page's plots, as chart records built from one snapshot or one study.

Live (from a :class:`~app.games.rosa.RosaFrame`): cumulative regret against a fitted
``c sqrt(t)``, regret per round, each provider's utility and rounds served, and who serves
which contexts next to whom the clairvoyant auction would choose. On demand: one provider's
expected utility against its bid with the true cost marked, and regret against T.

References:
    Patra et al. (2026), Def. 5-6 and Experiments, figures (a) and (b) (reconstructed);
    ``docs/rosa-reconstruction.md``.
"""

from __future__ import annotations

import math

import numpy as np

from app.charts import LineChart
from app.games.rosa import RosaFrame
from app.scatter import PointGroup, ScatterChart
from app.svg import Series, color, data_range
from market.core.providers import provider_column
from market.rosa.results import RegretCurve, TruthfulnessCurve

REFERENCE = "#444444"
TAG = "reconstructed"


def rounds_axis(frame: RosaFrame) -> np.ndarray:
    """Query rounds played at each recorded row (the `queries` column)."""
    return frame.series["queries"]


def provider_series(frame: RosaFrame, quantity: str, i: int) -> np.ndarray:
    """Provider ``i``'s (0-based) DataCollector column ``<quantity>[Provider <i + 1>]``."""
    return frame.series[provider_column(quantity, i + 1)]


def round_range(frame: RosaFrame) -> tuple[float, float]:
    """0 to the horizon T (the run's whole length, so progress shows)."""
    return 0.0, float(frame.setting.T)


def regret_chart(frame: RosaFrame) -> LineChart:
    """Cumulative regret with ``c sqrt(t)``, ``c`` fitted by least squares over the rows.

    Regret is the clairvoyant auction's virtual surplus minus the served provider's, summed
    over rounds (ours: the paper's exact definition is unknown).
    """
    t = rounds_axis(frame)
    fine = np.linspace(0.0, float(t.max()) if t.size else 1.0, 120)
    scale = frame.scale
    return LineChart(
        title=f"Cumulative regret against {scale:.3g} sqrt(t) ({TAG})",
        x_label="round t",
        y_label="regret (virtual surplus)",
        series=(
            Series("cumulative regret", t, frame.series["regret"], color(0)),
            Series(
                f"{scale:.3g} sqrt(t), least-squares fit",
                fine,
                scale * np.sqrt(fine),
                REFERENCE,
                dashed=True,
            ),
        ),
        test_id="plot-regret",
        x_range=round_range(frame),
    )


def regret_per_round_chart(frame: RosaFrame) -> LineChart:
    """Cumulative regret divided by the rounds played: it goes to zero as the learner learns."""
    t = rounds_axis(frame)
    keep = t > 0
    return LineChart(
        title="Regret per round (cumulative regret / t)",
        x_label="round t",
        y_label="regret per round",
        series=(Series("regret / t", t[keep], frame.series["regret_per_round"][keep], color(0)),),
        test_id="plot-regret-per-round",
        x_range=round_range(frame),
    )


def provider_label(frame: RosaFrame, i: int) -> str:
    """``P4 (inflate:1.5, cost 0.039)``."""
    p = frame.providers[i]
    return f"{p.name} ({p.strategy}, cost {p.cost:.3f})"


def provider_utility_chart(frame: RosaFrame) -> LineChart:
    """Each provider's utility (payments minus true cost per round served), with zero marked."""
    t = rounds_axis(frame)
    lines = tuple(
        Series(provider_label(frame, i), t, provider_series(frame, "utility", i), color(i))
        for i in range(len(frame.providers))
    )
    zero = Series("zero", np.array(round_range(frame)), np.zeros(2), "#999999", dashed=True)
    return LineChart(
        title="Provider utility (payments - cost x rounds served)",
        x_label="round t",
        y_label="utility",
        series=(*lines, zero),
        test_id="plot-provider-utility",
        x_range=round_range(frame),
    )


def rounds_served_chart(frame: RosaFrame) -> LineChart:
    """Rounds each provider has served."""
    t = rounds_axis(frame)
    return LineChart(
        title="Rounds served by each provider",
        x_label="round t",
        y_label="rounds served",
        series=tuple(
            Series(provider_label(frame, i), t, provider_series(frame, "queries", i), color(i))
            for i in range(len(frame.providers))
        ),
        test_id="plot-rounds",
        x_range=round_range(frame),
    )


def context_ranges(frame: RosaFrame) -> tuple[tuple[float, float], tuple[float, float]]:
    """Shared axis ranges of the two context maps."""
    s = frame.service
    return data_range([s.x]), data_range([s.y])


def service_groups(frame: RosaFrame, who: np.ndarray) -> tuple[PointGroup, ...]:
    """One colour per provider: the sampled contexts where ``who`` is that provider."""
    s = frame.service
    return tuple(
        PointGroup(f"{p.name} ({int(np.sum(who == i))})", s.x[who == i], s.y[who == i], color(i))
        for i, p in enumerate(frame.providers)
    )


def service_chart(frame: RosaFrame) -> ScatterChart:
    """Who served each recently sampled round, at its (projected) context."""
    title = f"Who served: last {frame.service.rounds.size} sampled rounds"
    return context_chart(frame, title, frame.service.served, "plot-served")


def best_chart(frame: RosaFrame) -> ScatterChart:
    """Who the clairvoyant auction (true qualities, true costs) would choose at those rounds."""
    agreement = frame.service.agreement
    share = "" if math.isnan(agreement) else f": {agreement:.0%} agree"
    title = f"Who the clairvoyant auction would choose{share}"
    return context_chart(frame, title, frame.service.best, "plot-best")


def context_chart(frame: RosaFrame, title: str, providers, test_id: str) -> ScatterChart:
    """The sampled rounds at their (projected) contexts, grouped by ``providers`` (one each)."""
    xr, yr = context_ranges(frame)
    return ScatterChart(
        title=title,
        x_label="context, direction 1 (where qualities differ most)",
        y_label="context, direction 2",
        groups=service_groups(frame, providers),
        test_id=test_id,
        x_range=xr,
        y_range=yr,
    )


def all_charts(frame: RosaFrame) -> list:
    """Every live plot of the page, in page order."""
    return [
        regret_chart(frame),
        regret_per_round_chart(frame),
        provider_utility_chart(frame),
        rounds_served_chart(frame),
        service_chart(frame),
        best_chart(frame),
    ]


# ---- studies ------------------------------------------------------------------------------


def band(x: np.ndarray, mean: np.ndarray, error: np.ndarray) -> Series:
    """The outline of ``mean +/- error``: along the top, back along the bottom."""
    return Series(
        "+/- 2 standard errors",
        np.concatenate([x, x[::-1]]),
        np.concatenate([mean + error, (mean - error)[::-1]]),
        "#7fb2d8",
        dashed=True,
    )


def truthfulness_chart(curve: TruthfulnessCurve) -> LineChart:
    """Expected utility against bid, a band of two standard errors, the true cost marked."""
    bids = np.asarray(curve.bids)
    mean = np.asarray(curve.expected_utility)
    error = 2 * np.nan_to_num(np.asarray(curve.standard_error))
    low, high = data_range([mean - error, mean + error, np.array([curve.truthful_utility])])
    name = f"P{curve.provider}"
    cost = curve.true_cost
    return LineChart(
        title=f"{name}'s expected utility against its bid ({curve.runs} runs, {TAG})",
        x_label=f"{name}'s bid (the others bid truthfully)",
        y_label="expected utility",
        series=(
            Series("expected utility", bids, mean, color(0)),
            band(bids, mean, error),
            Series(
                f"true cost {cost:.3f}",
                np.array([cost, cost]),
                np.array([low, high]),
                REFERENCE,
                dashed=True,
            ),
            Series(
                "bidding the true cost",
                np.array([cost]),
                np.array([curve.truthful_utility]),
                "#000000",
                points=True,
            ),
        ),
        test_id="plot-truthfulness",
        x_range=(curve.setting.cost_lo, curve.setting.cost_hi),
        y_range=(low, high),
    )


def regret_against_t_chart(curve: RegretCurve) -> LineChart:
    """Mean regret at each horizon with +/- 2 standard errors, and the fitted ``c sqrt(T)``."""
    table = curve.to_frame()
    T = table["T"].to_numpy(float)
    mean = table["mean_regret"].to_numpy(float)
    error = 2 * np.nan_to_num(table["standard_error"].to_numpy(float))
    fine = np.linspace(0.0, T.max(), 120)
    c = curve.sqrt_scale
    runs_ = curve.regret.shape[1]
    return LineChart(
        title=f"Regret against T ({runs_} runs per T, truthful bids, {TAG})",
        x_label="horizon T",
        y_label="mean cumulative regret",
        series=(
            Series("mean regret", T, mean, color(0)),
            Series("mean regret at T", T, mean, color(0), points=True),
            band(T, mean, error),
            Series(
                f"{c:.3g} sqrt(T), least-squares fit",
                fine,
                c * np.sqrt(fine),
                REFERENCE,
                dashed=True,
            ),
        ),
        test_id="plot-regret-against-t",
        x_range=(0.0, float(T.max())),
    )


def regret_per_round_against_t_chart(curve: RegretCurve) -> LineChart:
    """Mean regret divided by T at each horizon: it falls like ``1 / sqrt(T)``."""
    table = curve.to_frame()
    T = table["T"].to_numpy(float)
    per_round = table["regret_per_round"].to_numpy(float)
    return LineChart(
        title="Regret per round against T",
        x_label="horizon T",
        y_label="mean regret / T",
        series=(
            Series("regret / T", T, per_round, color(0)),
            Series("at each T", T, per_round, color(0), points=True),
            Series(
                f"{curve.sqrt_scale:.3g} / sqrt(T)",
                T,
                curve.sqrt_scale / np.sqrt(T),
                REFERENCE,
                dashed=True,
            ),
        ),
        test_id="plot-regret-per-round-against-t",
        x_range=(0.0, float(T.max())),
    )
