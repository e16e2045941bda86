"""The test-time compute game (Velasco et al. 2026): curves, presets, model, runs, plots, CLI.

References:
    Velasco, Rontogiannis, Tsirtsis, Gomez-Rodriguez (2026), "Test-Time Compute Games",
    Sections 2-5 and Appendices A-B.
"""

from market.core.game import GameDescription

GAME = GameDescription(
    name="ttc",
    title="The test-time compute game",
    reference="Velasco et al. (2026), Test-Time Compute Games",
    summary="Providers choose how much compute to spend per query; users pick by value; "
    "better-response dynamics reach a Nash equilibrium that wastes welfare, and a reverse "
    "second-price auction repairs it.",
    model_path="market.ttc.model:TTCMarket",
    scenarios_path="market.ttc.scenarios:SCENARIOS",
    strategies_path="agents.ttc:STRATEGIES",
    mechanisms_path="mechanisms.ttc:MECHANISMS",
    runs_path="market.ttc.runs",
    cli_path="market.ttc.cli",
    results_paths=(
        "market.ttc.results:GameSpec",
        "market.ttc.results:TTCResult",
        "market.ttc.results:Dynamics",
        "market.ttc.results:EquilibriumSummary",
        "market.ttc.results:TruthfulAuction",
        "market.ttc.results:Analysis",
        "market.ttc.results:BetaSweep",
        "market.ttc.results:Comparison",
    ),
    experiments_path="market.ttc.experiments",
    page_path="app.pages.ttc",
)
