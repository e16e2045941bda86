"""The delegation game (Cao et al. 2026): response tables, scenarios, Mesa model, runs, plots, CLI.

References:
    Cao et al. (2026), "Pay for The Second-Best Service"; ``shared/specs/delegation.md``.
"""

from market.core.game import GameDescription

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
)
