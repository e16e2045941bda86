"""The delegation game's page: settings in the URL, a per-tab model, live plots and numbers.

References:
    Cao et al. (2026), "Pay for The Second-Best Service", Sections 3-4 and 6.
"""

from __future__ import annotations

import solara

from app.files import UPLOAD_PREFIX, file_choices, is_upload
from app.games import delegation as game
from app.plots.delegation import all_charts, mechanism_rows
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

PATH = "delegation"
TITLE = "Delegation game"

INTRO = """
**The delegation game** (Cao et al. 2026). A user delegates T queries to K providers. Each
provider may secretly answer with a **cheaper model** or bill an **inflated length** (it is
paid per output token). The platform runs a **mechanism**: Mechanism 1 explores every provider
for B queries, gives the rest to the best one *i\\** with a target u' (the second-best utility)
and checks the running mean after every query; two blind-trust phases reward the others. Under
it, honest exploration and second-best service are the providers' best play (Theorem 5.2), and
the user gets about **u_SB**, the second-best total. `second-best-artifact` is the authors'
simulator as reconstructed from its description (approximate, not their code).
"""


RECORD_TYPES = ".csv,.jsonl,.ndjson,.parquet,.pq"


def make_session(tab: Tab) -> Session:
    """The tab's session (built per tab, never at module level), reading the tab's uploads."""
    uploads = tab.uploads.files
    return Session(
        lambda settings: game.build_run(settings, uploads),
        game.snapshot,
        demand=lambda settings: game.memory_demand(settings, uploads),
        on_drop=game.release_caches,
    )


@solara.component
def ScenarioChoice(tab: Tab):
    """A preset, a scenario of the server's data folder, or an uploaded TOML and its records."""
    settings, change = tab.settings, tab.change
    presets = [(name, name) for name in game.preset_names()]
    named_select(
        "Scenario",
        settings.preset,
        file_choices(presets, (".toml",), settings.preset, "a TOML scenario"),
        lambda choice: change(preset=choice),
    )
    if is_upload(settings.preset):

        def keep_scenario(file):
            tab.uploads.add(file)
            change(preset=UPLOAD_PREFIX + file.name)

        UploadField("Scenario TOML (held in this tab only)", ".toml", keep_scenario)
        UploadField(
            "Its records, if it names data = ... (CSV, JSONL or Parquet)",
            RECORD_TYPES,
            tab.uploads.add,
        )


@solara.component
def SettingsForm(tab: Tab):
    """Scenario, a strategy per provider, mechanism, T, eps, seed, batch."""
    settings, change = tab.settings, tab.change
    ScenarioChoice(tab)
    try:
        providers = game.provider_names(settings.preset, tab.uploads.files)
    except UserInputError:
        providers = []  # the session says what is wrong, once
    strategies = game.fit_strategies(settings.strategies, len(providers))
    for i, name in enumerate(providers):

        def choose(value, i=i):
            chosen = list(strategies)
            chosen[i] = value
            change(strategies=tuple(chosen))

        solara.Select(
            label=f"{name}: strategy",
            value=strategies[i],
            values=game.strategy_names(),
            on_value=choose,
        )
    named_select(
        "Mechanism",
        settings.mechanism,
        [("", "the scenario's own"), *game.mechanism_choices()],
        lambda name: change(mechanism=name),
    )
    for field, label in (
        ("T", "T: queries (blank: the scenario's)"),
        ("eps", "eps in (0, 1/2) (blank: the scenario's)"),
        ("seed", "Seed (blank: a fresh one)"),
        ("batch", "Queries per step"),
    ):
        text_field(settings, change, field, label)


@solara.component
def NumbersTable(frame: game.DelegationFrame):
    """The mechanism's live numbers."""
    rows = "".join(
        f"<tr><td><b>{s}</b></td><td data-testid='number-{s}'>{v}</td>"
        f"<td style='color:#666'>{m}</td></tr>"
        for s, v, m in mechanism_rows(frame)
    )
    solara.HTML(
        tag="table",
        unsafe_innerHTML=rows,
        attributes={"data-testid": "mechanism-numbers"},
        style="font-size:13px;border-spacing:8px 2px;",
    )


@solara.component
def Panels(tab: Tab, frame: game.DelegationFrame, ready):
    """The mechanism's live numbers and the plots."""
    Guarded(NumbersTable, frame)
    Figures(drawn(lambda: all_charts(frame)))


PARTS = GameParts(
    session=make_session,
    form=SettingsForm,
    panels=Panels,
    downloads=DownloadSpec(
        name_of=lambda frame: f"delegation-{frame.scenario}-seed{frame.seed}",
        table_of=game.frame_table,
        charts_of=all_charts,
        title_of=lambda frame: f"Delegation game: {frame.scenario}",
    ),
)


@solara.component
def Page():
    """The delegation page."""
    GamePage(game.DelegationSettings, PATH, TITLE, INTRO, PARTS)
