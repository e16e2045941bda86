"""The test-time compute game's page: settings in the URL, a per-tab model, live plots.

References:
    Velasco et al. (2026), "Test-Time Compute Games", Sections 1-5.
"""

from __future__ import annotations

import solara

from app.files import UPLOAD_PREFIX, Uploads, file_choices, is_upload
from app.games import ttc as game
from app.plots.ttc import all_charts, comparison_rows, status_text
from app.session import Session
from app.skeleton import DownloadSpec, GamePage, GameParts, Tab
from app.widgets import (
    Figures,
    Guarded,
    UploadField,
    drawn,
    named_select,
    text_field,
)
from market.core.errors import UserInputError

PATH = "ttc"
TITLE = "Test-time compute game"

INTRO = """
**The test-time compute game** (Velasco et al. 2026). Providers choose how much compute to
spend per query (more reasoning, more samples): quality rises, and so does the price they
charge. Users pick a provider by value, quality minus price (perfectly rational, or with
rationality beta: a logit choice). Each iteration one provider moves to a level that raises
its own utility; by Theorem 1 the moves end at a pure Nash equilibrium, and that equilibrium
can waste welfare (the inefficiency max W / W, its price of anarchy). A reverse second-price
auction makes truthful bids dominant and the outcome efficient (Theorem 5). Presets other
than the intro example use curves **digitised from the authors' figures: approximate**.
"""


def make_session(tab: Tab) -> Session:
    """The tab's session (built per tab, never at module level), reading the tab's uploads."""
    uploads = tab.uploads.files
    return Session(
        lambda settings: game.build_run(settings, uploads),
        game.snapshot,
        demand=lambda settings: game.memory_demand(settings, uploads),
    )


@solara.component
def CurvesChoice(settings: game.TTCSettings, change, uploads: Uploads):
    """The benchmark and method of a curves file, chosen among those the file holds."""
    try:
        table = game.curves_table(settings.curves, uploads)
    except UserInputError:
        return  # the session says what is wrong, once
    benchmarks = table.benchmarks()
    solara.Select(
        label="Benchmark",
        value=settings.benchmark if settings.benchmark in benchmarks else None,
        values=benchmarks,
        on_value=lambda v: change(benchmark=v, method=""),
    )
    if settings.benchmark in benchmarks:
        methods = table.methods(settings.benchmark)
        solara.Select(
            label="Method",
            value=settings.method if settings.method in methods else None,
            values=methods,
            on_value=lambda v: change(method=v),
        )


@solara.component
def GameForm(tab: Tab):
    """A preset or a curves file (the data folder's or uploaded), beta, V_0 and margin."""
    settings, change = tab.settings, tab.change
    presets = game.preset_names()
    current = settings.preset or settings.curves

    def choose(choice: str):
        if choice in presets:
            change(preset=choice, curves="", benchmark="", method="")
        else:
            change(preset="", curves=choice)

    named_select(
        "Game",
        current,
        file_choices([(p, p) for p in presets], (".csv",), current, "a curves CSV"),
        choose,
    )
    if settings.preset:
        solara.Text(game.preset_description(settings.preset), style="font-size:12px;color:#666")
    else:
        if is_upload(settings.curves):

            def keep_curves(file):
                tab.uploads.add(file)
                change(preset="", curves=UPLOAD_PREFIX + file.name)

            UploadField("Curves CSV (held in this tab only)", ".csv", keep_curves)
        CurvesChoice(settings, change, tab.uploads.files)
    perfect = settings.beta.strip().lower() in game.PERFECT_WORDS
    solara.Checkbox(
        label="Perfectly rational users",
        value=perfect,
        on_value=lambda v: change(beta="inf" if v else "1000"),
    )
    if not perfect:
        text_field(settings, change, "beta", "beta: user rationality")
    for field, label in (("v0", "V_0: abstention value"), ("margin", "Margin over cost")):
        text_field(settings, change, field, label)


@solara.component
def DynamicsForm(settings: game.TTCSettings, change):
    """Mechanism, provider dynamics, users and seed."""
    solara.Select(
        label="Mechanism",
        value=settings.mechanism,
        values=game.mechanism_names(),
        on_value=lambda v: change(mechanism=v),
    )
    solara.Select(
        label="Provider dynamics",
        value=settings.dynamics,
        values=game.dynamics_names(),
        on_value=lambda v: change(dynamics=v),
    )
    solara.Select(
        label="Users",
        value=settings.users,
        values=list(game.USER_MODES),
        on_value=lambda v: change(users=v),
    )
    fields = [("seed", "Seed (blank: a fresh one)")]
    if settings.users != "aggregate":
        fields.insert(0, ("n_users", "Number of user agents"))
    if settings.users == "heterogeneous agents":
        fields.insert(1, ("spread", "Spread (sd of log value and log beta)"))
    for field, label in fields:
        text_field(settings, change, field, label)


@solara.component
def ComparisonTable(frame: game.TTCFrame):
    """Table 2 in numbers."""
    run = "market" if frame.mechanism == "pay-for-compute" else "this run"
    head = f"<tr><th></th><th>{run}</th><th>auction (truthful)</th><th>change</th></tr>"
    body = "".join(
        f"<tr><td>{q}</td><td>{m}</td><td>{a}</td><td>{c}</td></tr>"
        for q, m, a, c in comparison_rows(frame)
    )
    solara.HTML(
        tag="table",
        unsafe_innerHTML=head + body,
        attributes={"data-testid": "comparison-table"},
        style="font-size:13px;border-spacing:10px 2px;",
    )
    solara.Text(
        f"Auction winner with truthful bids: {frame.comparison.winner}",
        style="font-size:12px;color:#666",
    )


@solara.component
def SettingsForm(tab: Tab):
    """The game, then the dynamics."""
    GameForm(tab)
    DynamicsForm(tab.settings, tab.change)


@solara.component
def Panels(tab: Tab, frame: game.TTCFrame, ready):
    """Where the dynamics stand, the notes on the game, Table 2 and the plots."""
    solara.Text(status_text(frame), style="font-weight:600")
    for note in frame.notes:
        solara.Warning(note, dense=True)
    Guarded(ComparisonTable, frame)
    Figures(drawn(lambda: all_charts(frame)))


PARTS = GameParts(
    session=make_session,
    form=SettingsForm,
    panels=Panels,
    downloads=DownloadSpec(
        name_of=lambda frame: f"ttc-seed{frame.seed}",
        table_of=game.frame_table,
        charts_of=all_charts,
        title_of=lambda frame: "Test-time compute game",
    ),
    unit="iteration",
)


@solara.component
def Page():
    """The TTC page."""
    GamePage(game.TTCSettings, PATH, TITLE, INTRO, PARTS)
