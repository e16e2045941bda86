"""The delegation game's page: settings in the URL, a per-tab model, live plots and numbers.

References:
    Cao et al. (2026), "Pay for The Second-Best Service", Sections 3-4 and 6.
"""

from __future__ import annotations

import solara

from app.files import UPLOAD_PREFIX, Uploads, file_choices, is_upload
from app.games import delegation as game
from app.plots.delegation import all_charts, mechanism_rows
from app.session import Session
from app.widgets import (
    Downloads,
    Explanation,
    Figures,
    Guarded,
    RunControls,
    SessionStatus,
    TourExplanation,
    UploadField,
    drawn,
    named_select,
    text_field,
    use_simulation,
    use_url_settings,
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


def make_session(uploads: Uploads) -> Session:
    """The tab's session (built per tab, never at module level), reading the tab's uploads."""
    return Session(
        lambda settings: game.build_run(settings, uploads),
        game.snapshot,
        demand=lambda settings: game.memory_demand(settings, uploads),
        on_drop=game.release_caches,
    )


@solara.component
def ScenarioChoice(settings: game.DelegationSettings, change, on_upload):
    """A preset, a scenario of the server's data folder, or an uploaded TOML and its records."""
    presets = [(name, name) for name in game.preset_names()]
    named_select(
        "Scenario",
        settings.preset,
        file_choices(presets, (".toml",), settings.preset, "a TOML scenario"),
        lambda choice: change(preset=choice),
    )
    if is_upload(settings.preset):
        UploadField("Scenario TOML (held in this tab only)", ".toml", on_upload(main=True))
        UploadField(
            "Its records, if it names data = ... (CSV, JSONL or Parquet)",
            RECORD_TYPES,
            on_upload(main=False),
        )


@solara.component
def SettingsForm(settings: game.DelegationSettings, change, uploads: Uploads, on_upload):
    """Scenario, a strategy per provider, mechanism, T, eps, seed, batch."""
    ScenarioChoice(settings, change, on_upload)
    try:
        providers = game.provider_names(settings.preset, uploads)
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
def Page():
    """The delegation page."""
    url = use_url_settings(game.DelegationSettings, PATH)
    settings, tour, change = url.settings, url.tour, url.change
    uploads = solara.use_memo(Uploads, [])
    uploaded, set_uploaded = solara.use_state(0)

    def make_on_upload():
        def on_upload(main: bool):
            def keep(file):
                uploads.add(file)
                set_uploaded(uploads.version)
                if main:
                    change(preset=UPLOAD_PREFIX + file.name)

            return keep

        return on_upload

    on_upload = solara.use_memo(make_on_upload, [change])

    sim = use_simulation(lambda: make_session(uploads), settings, rebuild_on=uploaded)
    frame = sim.frame
    solara.Title(f"llm-market: {TITLE}")
    with solara.ColumnsResponsive(12, medium=[4, 8], large=[3, 9]):
        with solara.Column():
            TourExplanation(tour)
            SettingsForm(settings, change, uploads, on_upload)
            if frame is not None:
                RunControls(sim, frame.steps)
                Downloads(
                    f"delegation-{frame.scenario}-seed{frame.seed}",
                    sim.session,
                    game.frame_table,
                    all_charts,
                    f"Delegation game: {frame.scenario}",
                )
        with solara.Column():
            SessionStatus(sim)  # where the eye goes first: what the run is waiting for, or why not
            Explanation(INTRO)
            if frame is not None:
                Guarded(NumbersTable, frame)
                Figures(drawn(lambda: all_charts(frame)))
