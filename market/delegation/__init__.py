"""The delegation game (Cao et al. 2026): response tables, scenarios, Mesa model, runs, plots, CLI.

References:
    Cao et al. (2026), "Pay for The Second-Best Service"; ``docs/delegation-variant.md``.
"""

from market.core.game import GameDescription, StudyDescription

#: The metagame: the providers learn their strategy between whole plays of the mechanism.
METAGAME = StudyDescription(
    name="metagame",
    title="Strategy dynamics",
    summary="The delegation game's providers learn their strategy between plays of the whole "
    "mechanism, by better response on a payoff table of all 216 strategy profiles: under the "
    "second-best mechanism they learn to play it (Theorem 5.2), under a naive platform they "
    "learn to cheat, and at short horizons the data disagrees.",
    reference="Cao et al. (2026), Theorem 5.2; better-response dynamics",
    runs_path="market.delegation.empirical",
    command="metagame",
    page_path="app.pages.metagame",
)

GAME = GameDescription(
    name="delegation",
    title="The delegation game",
    reference="Cao et al. (2026), Pay for The Second-Best Service",
    summary="A user delegates T queries to K providers who may secretly serve a cheaper model "
    "or bill inflated token counts; the four-phase second-best mechanism makes honest "
    "exploration and second-best service the providers' best play.",
    model_path="market.delegation.model:DelegationMarket",
    scenarios_path="market.delegation.scenarios:SCENARIOS",
    strategies_path="agents.delegation:STRATEGIES",
    mechanisms_path="mechanisms.delegation:MECHANISMS",
    runs_path="market.delegation.runs",
    cli_path="market.delegation.cli",
    results_paths=(
        "market.delegation.results:ProviderResult",
        "market.delegation.results:DelegationResult",
        "market.delegation.results:SweepResult",
        "market.delegation.results:HorizonResult",
        "market.delegation.horizon:HorizonPlan",
        "market.delegation.empirical:Sink",
        "market.delegation.empirical:DynamicsEnd",
        "market.delegation.empirical:MetagameResult",
        "market.delegation.theorem:Theorem52Check",
    ),
    experiments_path="market.delegation.experiments",
    page_path="app.pages.delegation",
    studies=(METAGAME,),
)
