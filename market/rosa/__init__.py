"""The ROSA game (Patra et al. 2026, reconstructed): settings, engine, Mesa model, runs, CLI.

Providers bid their per-query cost once; the platform learns each provider's linear quality per
query context with a contextual bandit and runs ROSA, a self-resampling procedure that makes
truthful bidding optimal in expectation for any ex-post monotone learner. Only the paper's
abstract, summaries and table of contents could be obtained: the mechanism is reconstructed
(``docs/rosa-reconstruction.md``), and every output says so.

References:
    Patra, Damle, Padala, Gujar (2026), "Truthful Reverse Auctions for Adaptive Selection via
    Contextual Multi-Armed Bandits"; ``docs/rosa-reconstruction.md``.
"""

from market.core.game import GameDescription

GAME = GameDescription(
    name="rosa",
    title="Truthful reverse auctions with a contextual bandit (reconstructed)",
    reference="Patra et al. (2026), Truthful Reverse Auctions for Adaptive Selection via "
    "Contextual Multi-Armed Bandits",
    summary="Providers bid per-query costs once; the platform learns which provider serves "
    "which queries best and resamples bids (ROSA) so that bidding the true cost pays best. "
    "Reconstructed from the paper's abstract and table of contents.",
    model_path="market.rosa.model:RosaMarket",
    scenarios_path="market.rosa.scenarios:SCENARIOS",
    strategies_path="agents.rosa:STRATEGIES",
    mechanisms_path="mechanisms.rosa:MECHANISMS",
    runs_path="market.rosa.runs",
    cli_path="market.rosa.cli",
    results_paths=(
        "market.rosa.results:ProviderOutcome",
        "market.rosa.results:MonotonicityCheck",
        "market.rosa.results:RunResult",
        "market.rosa.results:TruthfulnessCurve",
        "market.rosa.results:RegretCurve",
        "market.rosa.results:MonotonicitySurvey",
        "market.rosa.outcomes:BidOutcomes",
    ),
    experiments_path="market.rosa.experiments",
    page_path="app.pages.rosa",
)
