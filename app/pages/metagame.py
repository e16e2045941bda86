"""The strategy-dynamics page: delegation-game providers learn their strategy between plays.

Between plays of the whole mechanism, providers revise by better response. The payoff table
behind the dynamics is computed (or read from the on-disk cache) in a background thread with a
visible state (:mod:`app.background`); then a per-tab model steps one play at a time.

References:
    Cao et al. (2026), Theorem 5.2 and Section 6; better-response dynamics (not from the
    paper).
"""

from __future__ import annotations

import solara

from app.background import DONE, use_background
from app.games import metagame as game
from app.plots import metagame as plots
from app.prose import Prose
from app.session import Session, user_message
from app.skeleton import DownloadSpec, GamePage, GameParts, Preparation, Tab
from app.widgets import (
    Figures,
    Guarded,
    Svg,
    drawn,
    named_select,
    text_field,
)
from market.core.errors import UserInputError
from market.core.seeds import model_seed
from market.delegation.graph_plot import abbreviation

PATH = "metagame"
TITLE = "Strategy dynamics"
TABLE_STYLE = "font-size:13px;border-spacing:10px 2px;align-self:flex-start;"

INTRO = """
**Strategy dynamics in the delegation game** (Cao et al. 2026). Here the providers are not
told a strategy: they **learn** one. One **play** is a whole run of the mechanism over T
queries. After each play the providers, in a random order, look at what each of their six
strategies would have earned against the others' current ones (estimated from the payoff table
of all 6^K profiles, averaged over the seeds) and switch to the best (or a random improving)
one. The dynamics stop where nobody can improve: a **sink** of the better-response graph, a
pure equilibrium of this empirical game.

**What to watch.** Theorem 5.2: under the second-best mechanism, "ours" (honest exploration,
second-best service) is the chosen provider's best play, so learning providers should end
there, with the user near u_SB. Under the naive `explore-then-commit` baseline nothing checks
the service, and they learn to cheat. **At short horizons the data disagrees**: the validation
check lets the running mean fall (R + pL) M / 3 below its target, with M = T^(-eps) ln(KT)
still large, so billing the longest length L passes the check and *dishonest-length* wins for
provider 1. The theorem allows this slack, O(T^(1 - eps) log T); it shrinks relative to T as T
grows (set T = 1,000,000 to see "ours" win). Utilities are simulation estimates (approximate);
`second-best-artifact` is the authors' simulator as reconstructed from its description.
"""


def make_session(tab: Tab) -> Session:
    """The tab's session (built per tab, never at module level)."""
    return Session(game.build_run, game.snapshot)


@solara.component
def SettingsForm(tab: Tab):
    """Preset, mechanism, T, seeds, the start profile, rule, tolerance and seed."""
    settings, change = tab.settings, tab.change
    solara.Select(
        label="Scenario",
        value=settings.preset,
        values=game.preset_names(),
        on_value=lambda v: change(preset=v),
    )
    named_select(
        "Mechanism",
        settings.mechanism,
        [("", "the scenario's own"), *game.mechanism_choices()],
        lambda name: change(mechanism=name),
    )
    text_field(settings, change, "T", "T: queries per play")
    text_field(settings, change, "seeds", "Seeds per payoff estimate")
    try:
        providers = game.provider_names(settings.preset)
    except UserInputError:
        providers = []
    start = game.fit_start(settings.start, len(providers))
    for i, name in enumerate(providers):

        def choose(value, i=i):
            chosen = list(start)
            chosen[i] = value
            change(start=tuple(chosen))

        solara.Select(
            label=f"{name}: starts with",
            value=start[i] if start[i] in game.strategy_names() else None,
            values=game.strategy_names(),
            on_value=choose,
        )
    solara.Select(
        label="Revision rule",
        value=settings.rule,
        values=list(game.rule_names()),
        on_value=lambda v: change(rule=v),
    )
    text_field(settings, change, "tolerance", "Tolerance: a move must gain more than")
    text_field(settings, change, "seed", "Seed (blank: a fresh one)")


def resolved_seed(text: str) -> tuple[int | None, str]:
    """The root seed of the settings (a fresh one for blank text), or the error line."""
    try:
        return model_seed(text.strip()), ""
    except UserInputError as error:
        return None, user_message(error)


def use_preparation(tab: Tab) -> Preparation:
    """The empirical game of the settings, computed in the background (a hook).

    Ready once :func:`prepare` is done; until then the page shows a mistake in one line, or
    the computation's progress.
    """
    settings = tab.settings
    seed, problem = solara.use_memo(lambda: resolved_seed(settings.seed), [settings.seed])
    request = None
    if seed is not None:
        try:
            request = game.game_request(settings, seed)
        except UserInputError as error:
            problem = user_message(error)
    work = use_background(prepare, request, demand=game.memory_demand)
    if work.state == DONE:
        return Preparation(work.value)
    waiting = None if request is None else (lambda: Computing(request, work.status))
    return Preparation(None, problem or work.error, waiting)


def prepare(request: game.GameRequest) -> game.Prepared:
    """The empirical game of a request, with the seconds it took (the background work)."""
    import time

    started = time.perf_counter()
    result, stored = game.empirical_game(request)
    return game.Prepared(request, result, time.perf_counter() - started, stored)


@solara.component
def Computing(request: game.GameRequest, status: str = ""):
    """The payoff table's computation under way: progress, state and what is computed."""
    with solara.Card(title="Computing the payoff table"):
        solara.ProgressLinear(True)
        solara.Text(status, style="font-size:13px;color:#555")
        Prose(
            f"{request.profiles} strategy profiles x {request.seeds} seed(s) at "
            f"T = {request.T:,}, one play each, in the background (the page stays "
            "usable). A table is computed once per configuration and then read "
            "from the server's on-disk cache."
        )


@solara.component
def Panels(tab: Tab, frame: game.MetagameFrame, prepared: game.Prepared):
    """Where the dynamics stand, the profile table, the plots, the graph and the sinks."""
    solara.Text(status_text(frame, prepared), style="font-weight:600")
    Guarded(ProfileTable, frame)
    Figures(drawn(lambda: plots.all_charts(frame)))
    ((test_id, markup),) = drawn(lambda: [plots.graph_chart(frame)])
    Svg(markup, test_id)
    Guarded(SinksTable, frame)


PARTS = GameParts(
    session=make_session,
    form=SettingsForm,
    panels=Panels,
    downloads=DownloadSpec(
        name_of=lambda frame: f"metagame-{frame.game.settings['scenario']}-seed{frame.seed}",
        table_of=game.frame_table,
        charts_of=plots.charts_with_graph,
        title_of=lambda frame: "Strategy dynamics",
    ),
    unit="play",
    steps_of=lambda frame: frame.plays,
    prepare=use_preparation,
)


@solara.component
def Page():
    """The strategy-dynamics page."""
    GamePage(game.MetagameSettings, PATH, TITLE, INTRO, PARTS)


def status_text(frame: game.MetagameFrame, prepared: game.Prepared) -> str:
    """Plays, why the dynamics stopped, and where the payoff table came from."""
    s = frame.game.settings
    if s.get("payoffs_from_cache"):
        source = "read from the cache"
    else:
        stored = "and cached" if prepared.stored else "(the cache folder is not writable)"
        source = f"computed in {prepared.seconds:.1f} s {stored}"
    state = frame.stop_reason or "a provider can still improve"
    return (
        f"{s['scenario']}, {s['mechanism']}, T = {s['T']:,}, {s['seeds']} seed(s), seed "
        f"{frame.seed}: plays {frame.plays}; {state}. Payoff table {source}."
    )


@solara.component
def ProfileTable(frame: game.MetagameFrame):
    """Each provider's strategy now and its estimated utility with each of its strategies."""
    table = frame.game.table
    head = "<tr><th>provider</th><th>strategy now</th>" + "".join(
        f"<th title='{s}'>{abbreviation(s)}</th>" for s in frame.strategies
    )
    rows = []
    for k, name in enumerate(frame.providers):
        best = int(frame.alternatives[k].argmax())
        cells = []
        for j, strategy in enumerate(frame.strategies):
            style = "font-weight:700;color:#007a55;" if j == best else ""
            if strategy == frame.profile[k]:
                style += "outline:1.5px solid #0072B2;"
            cells.append(f"<td style='{style}'>{frame.alternatives[k, j]:,.0f}</td>")
        rows.append(
            f"<tr><td>{name}</td><td data-testid='strategy-{k + 1}'>{frame.profile[k]}</td>"
            + "".join(cells)
            + "</tr>"
        )
    user = float(table.user_mean[table.index(frame.profile)])
    rows.append(
        f"<tr><td>user</td><td colspan='{1 + len(frame.strategies)}'>{user:,.0f} "
        f"({frame.user_share(frame.profile):.2f} u_SB) at the current profile</td></tr>"
    )
    Prose(
        "Each provider's estimated utility with each of its strategies, the others as now "
        "(box: its strategy now; **bold green**: its best response; the better response moves "
        "there when the gain exceeds the tolerance)."
    )
    solara.HTML(
        tag="table",
        unsafe_innerHTML=head + "</tr>" + "".join(rows),
        attributes={"data-testid": "profile-table"},
        style=TABLE_STYLE,
    )


@solara.component
def SinksTable(frame: game.MetagameFrame):
    """Every sink with its basin (the share of start profiles whose dynamics end there)."""
    head = (
        "<tr><th>sink (P1|P2|P3...)</th><th>basin</th><th>user / u_SB</th>"
        "<th>provider utilities</th></tr>"
    )
    body = "".join(
        f"<tr><td>{p}</td><td>{b}</td><td>{u}</td><td>{v}</td></tr>"
        for p, b, u, v in plots.sink_rows(frame)
    )
    cycling = frame.game.cycling_share
    Prose(
        f"**Sinks and their basins** ({frame.game.settings['rule']} response from every start "
        "profile; a basin is the share of starts whose dynamics end at the sink"
        + (f"; {cycling:.0%} never end" if cycling else "")
        + ")"
    )
    solara.HTML(
        tag="table",
        unsafe_innerHTML=head + body,
        attributes={"data-testid": "sinks-table"},
        style=TABLE_STYLE,
    )
