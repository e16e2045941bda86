"""The ROSA game's page (reconstructed): URL settings, a per-tab model, live plots, studies.

The two studies (utility against bid, regret against T) are computed on demand, off the UI
thread (:mod:`app.background`).

References:
    Patra et al. (2026), "Truthful Reverse Auctions for Adaptive Selection via Contextual
    Multi-Armed Bandits", Def. 4-6 and Experiments; ``docs/rosa-reconstruction.md``. Reconstructed.
"""

from __future__ import annotations

import math

import solara

from app.background import DONE, FAILED, use_background
from app.export import table_csv
from app.games import rosa as game
from app.games import rosa_studies as studies
from app.plots import rosa as plots
from app.prose import Prose
from app.session import Session, user_message
from app.skeleton import DownloadSpec, GamePage, GameParts, Tab
from app.widgets import (
    ErrorMessage,
    Figures,
    Guarded,
    drawn,
    text_field,
)
from market.core.errors import UserInputError

PATH = "rosa"
TITLE = "ROSA auction (reconstructed)"

INTRO = """
**Truthful reverse auctions with a contextual bandit** (Patra et al. 2026), **reconstructed**:
only the paper's abstract, summaries and table of contents could be obtained, so ROSA, the
learners and every default here are rebuilt from them, not taken from the paper's body:
`docs/rosa-reconstruction.md` in the repository says what comes from the paper and what is ours.

n providers each bid a per-query cost once. Every round a query with a context x arrives; the
platform's **learner** picks one provider by its estimated quality at x minus the *virtual
cost* of its bid, and learns from the reward it sees. **ROSA** (Def. 4) first *flags* each
provider with a small probability mu and moves a flagged bid up at random; a flagged provider
is paid b + (c_hi - b)/mu per round served, an unflagged one its bid b.

**What to watch.** With a monotone learner (`elimination`, `explore-then-commit`), bidding the
true cost maximises a provider's **expected** utility: compute *Utility against bid* below.
Naive `linucb` (and the `active-set` rule) is not monotone, so the guarantee does not
cover it. A truthful provider's utility is **never below zero**, in any run (universal ex-post
IR). In one run an unflagged truthful provider earns exactly 0: its expected profit comes from
the rare flagged runs, so judge a bidding strategy by the study, not by one run. Regret is
measured against the clairvoyant auction that knows every quality and cost (ours: the paper's
definition is unknown).
"""

FACTOR_LABELS = {
    "shade": "shade factor F, bid = F x cost, 0 <= F < 1 (blank: 0.8)",
    "inflate": "inflate factor F > 1, bid = min(F x cost, c_hi) (blank: 1.25)",
    "fixed": "fixed bid B, kept in the cost support (blank: its middle)",
}


def make_session(tab: Tab) -> Session:
    """The tab's session (built per tab, never at module level)."""
    return Session(game.build_run, game.snapshot, demand=game.memory_demand)


def provider_choices(settings: game.RosaSettings) -> list[str]:
    """The provider select's values, 1 to n (n = 5 while the providers field does not parse)."""
    try:
        n = game.market_setting(settings).providers
    except UserInputError:
        n = 5
    return [str(i) for i in range(1, n + 1)]


@solara.component
def SettingsForm(tab: Tab):
    """Market size, learner, mechanism, noise, mu, one provider's bidding, seed, batch."""
    settings, change = tab.settings, tab.change
    text_field(settings, change, "providers", "Providers n (2 to 64)")
    text_field(settings, change, "dim", "Context dimension d")
    text_field(settings, change, "T", "T: query rounds")
    for name, label, values in (
        ("learner", "Learner (allocation rule)", game.learner_names()),
        ("mechanism", "Mechanism", game.mechanism_names()),
        ("noise", "Reward noise", list(game.noise_names())),
    ):
        solara.Select(
            label=label,
            value=getattr(settings, name),
            values=values,
            on_value=lambda v, name=name: change(**{name: v}),
        )
    if settings.mechanism != "pay-as-bid":  # pay-as-bid never resamples: mu plays no part
        text_field(settings, change, "mu", "mu (blank: min(0.5, 1/sqrt(T)))")
    choices = provider_choices(settings)
    solara.Select(
        label="Provider whose bidding you choose (the others bid truthfully)",
        value=settings.provider if settings.provider in choices else choices[0],
        values=choices,
        on_value=lambda v: change(provider=v),
    )
    solara.Select(
        label="Its bidding strategy",
        value=settings.bidding,
        values=game.bidding_names(),
        on_value=lambda v: change(bidding=v, factor=""),
    )
    if settings.bidding in FACTOR_LABELS:
        text_field(settings, change, "factor", FACTOR_LABELS[settings.bidding])
    text_field(settings, change, "seed", "Seed (blank: a fresh one)")
    text_field(settings, change, "batch", "Rounds per step (plots: at most a point a step)")


def number_text(value: float, digits: int = 4) -> str:
    """A table number."""
    return f"{value:.{digits}g}" if math.isfinite(value) else "-"


@solara.component
def ProvidersTable(frame: game.RosaFrame):
    """Each provider's cost, bid, ROSA flag, rounds served, payments and utility so far."""
    head = (
        "<tr><th>provider</th><th>strategy</th><th>true cost</th><th>bid</th>"
        "<th>ROSA flag</th><th>bid the learner sees</th><th>rounds served</th>"
        "<th>paid per round</th><th>utility</th></tr>"
    )
    rows = []
    for i, p in enumerate(frame.providers):
        rate = p.payments / p.rounds_served if p.rounds_served else math.nan
        weight = "font-weight:700;" if i == frame.chosen else ""
        rows.append(
            f"<tr style='{weight}'><td>{p.name}</td><td>{p.strategy}</td>"
            f"<td>{p.cost:.3f}</td><td>{p.bid:.3f}</td><td>{'yes' if p.flagged else 'no'}</td>"
            f"<td>{p.modified_bid:.3f}</td><td>{p.rounds_served:,}</td>"
            f"<td>{number_text(rate)}</td><td data-testid='utility-{p.name}'>{p.utility:.2f}</td>"
            "</tr>"
        )
    solara.HTML(
        tag="table",
        unsafe_innerHTML=head + "".join(rows),
        attributes={"data-testid": "providers-table"},
        style="font-size:13px;border-spacing:10px 2px;align-self:flex-start;",
    )


def status_text(frame: game.RosaFrame) -> str:
    """Round, regret and what the learner and mechanism guarantee."""
    s = frame.setting
    regret = frame.series["regret"][-1] if frame.series["regret"].size else 0.0
    root = math.sqrt(frame.rounds) if frame.rounds else 1.0
    mu = "" if s.mechanism == "pay-as-bid" else f"; mu = {s.resolved_mu:.3g}"
    return (
        f"Round {frame.rounds:,} of {s.T:,}; cumulative regret {regret:.1f} "
        f"(regret / sqrt(t) = {regret / root:.2f}){mu}; seed {frame.seed}"
    )


def guarantee_notes(frame: game.RosaFrame) -> list[str]:
    """What the chosen learner and mechanism do and do not guarantee."""
    s = frame.setting
    notes = []
    if s.mechanism == "pay-as-bid":
        notes.append(
            "pay-as-bid (a contrast, ours): no resampling, every round pays the bid, so "
            "inflating the bid pays and truthful providers earn exactly zero."
        )
    if not game.learner_is_monotone(s.learner):
        notes.append(
            f"{s.learner} is not ex-post monotone (measured by llm-market rosa monotonicity): "
            "ROSA's truthfulness guarantee does not cover it."
        )
    return notes


@solara.component
def Study(title, text, fields, settings, change, seed, request_of, work_of, charts_of, summary):
    """A study computed on demand on the server's shared pool: settings, button, state, plots.

    ``work_of`` is ``(compute, demand)``: the request's computation and the memory it holds.
    """
    requested, set_requested = solara.use_state(None)
    try:
        current, problem = request_of(settings, seed), ""
    except UserInputError as error:
        current, problem = None, user_message(error)
    key = requested if requested is not None and requested == current else None
    compute, demand = work_of
    work = use_background(compute, key, demand=demand)
    with solara.Card(title=title, style="margin-top:12px;"):
        Prose(text)
        with solara.Row(style="flex-wrap:wrap;gap:8px;align-items:center;"):
            for name, label in fields:
                with solara.Div(style="width:190px;"):
                    text_field(settings, change, name, label)
            solara.Button(
                "Compute",
                on_click=lambda: set_requested(current),
                disabled=current is None or work.computing,
                color="primary",
            )
        ErrorMessage(problem)
        if work.computing:
            solara.ProgressLinear(True)
            solara.Text(work.status)
        if work.state == FAILED:
            ErrorMessage(work.error)
        if work.state == DONE:
            Prose(summary(work.value) + f" Computed in {work.seconds:.1f} s.")
            charts = charts_of(work.value)
            Figures(drawn(lambda: charts))
            solara.FileDownload(
                lambda: table_csv(work.value.to_frame()),
                filename=f"rosa-{charts[0].test_id.removeprefix('plot-')}-seed{seed}.csv",
                label="Study data (CSV)",
                mime_type="text/csv",
            )


def truthfulness_summary(curve) -> str:
    """The curve's verdict in words: does any bid on the grid beat the true cost?"""
    return (
        f"P{curve.provider}'s true cost is **{curve.true_cost:.3f}**; bidding it earns "
        f"{curve.truthful_utility:.2f} +/- {curve.truthful_standard_error:.2f} in expectation. "
        f"{studies.truthfulness_verdict(curve)} Lowest utility of the truthful bid in any run: "
        f"**{curve.min_truthful_run_utility:.2f}** (universal ex-post IR: >= 0)."
    )


def regret_summary(curve) -> str:
    """The regret curve's fit in words."""
    table = curve.to_frame()
    ratio = ", ".join(f"{v:.2f}" for v in table["regret_over_sqrt_T"])
    return (
        f"Least-squares fit: mean regret ~ **{curve.sqrt_scale:.3g} sqrt(T)**; regret / sqrt(T) "
        f"at each T: {ratio} (bounded if the regret grows like sqrt(T))."
    )


@solara.component
def Studies(settings: game.RosaSettings, change, seed: int):
    """Utility against bid and regret against T, each on demand."""
    Study(
        "Utility against bid (on demand)",
        f"The chosen provider (P{settings.provider}) bids each value on a grid over the cost "
        "support while the others bid truthfully; its utility is averaged over draws of "
        "ROSA's coins (its own flag exactly; pay-as-bid has none), with the instance, "
        "contexts and noise fixed. "
        "EPIC says the curve peaks at the true cost for a monotone learner.",
        [("study_T", "T for this study"), ("bids", "Bids on the grid"), ("runs", "Runs")],
        settings,
        change,
        seed,
        studies.truthfulness_request,
        (studies.truthfulness, studies.truthfulness_demand),
        lambda curve: [plots.truthfulness_chart(curve)],
        truthfulness_summary,
    )
    Study(
        "Regret against sqrt(T) (on demand)",
        "Every provider bids truthfully; each horizon T is played by independent runs "
        "(instance, contexts and coins r for run r). Regret that grows like sqrt(T) means "
        "regret per round falls to zero.",
        [("horizons", "Horizons LO:HI:N"), ("regret_runs", "Runs per T")],
        settings,
        change,
        seed,
        studies.regret_request,
        (studies.regret, studies.regret_demand),
        lambda curve: [
            plots.regret_against_t_chart(curve),
            plots.regret_per_round_against_t_chart(curve),
        ],
        regret_summary,
    )


@solara.component
def Panels(tab: Tab, frame: game.RosaFrame, ready):
    """Where the run stands, what is guaranteed, the providers, the plots and the studies."""
    solara.Text(status_text(frame), style="font-weight:600")
    for note in guarantee_notes(frame):
        solara.Warning(note, dense=True)
    Guarded(ProvidersTable, frame)
    Figures(drawn(lambda: plots.all_charts(frame)))
    Studies(tab.settings, tab.change, frame.seed)


PARTS = GameParts(
    session=make_session,
    form=SettingsForm,
    panels=Panels,
    downloads=DownloadSpec(
        name_of=lambda frame: (
            f"rosa-{frame.setting.learner}-{frame.setting.mechanism}-seed{frame.seed}"
        ),
        table_of=game.frame_table,
        charts_of=plots.all_charts,
        title_of=lambda frame: "ROSA (reconstructed)",
    ),
)


@solara.component
def Page():
    """The ROSA page."""
    GamePage(game.RosaSettings, PATH, TITLE, INTRO, PARTS)
