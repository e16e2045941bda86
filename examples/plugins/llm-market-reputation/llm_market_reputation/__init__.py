"""A reputation market: an example game added to llm-market from outside (not from a paper).

Each round, every provider serves its queries honestly (a costly, high-quality model) or
cheaply (a cheaper, lower-quality one); users rate what they get, with noise; the platform's
mechanism routes the next round's queries from the providers' ratings. Under uniform routing
ratings earn nothing and cheap service earns more; under routing by rating rank, with enough
queries for ratings to tell qualities apart, honest service earns more
(:mod:`llm_market_reputation.economics` states the conditions). It contrasts with the
auditing of the delegation game: the platform never sees the model, only the ratings.

This module is all ``llm-market --help`` and the dashboard's home page import of the game: the
description names every part by import path, resolved on first use.

References:
    An example written for the llm-market tutorial ``docs/adding-a-game.md``; not from a paper.
"""

from market.core.game import GameDescription

GAME = GameDescription(
    name="reputation",
    title="A reputation market (example plugin)",
    reference="An example game of the llm-market tutorial, not from a paper",
    summary="Providers serve honestly or cheaply; users rate the answers; the platform routes "
    "queries by rating. Uniform routing rewards cheap service, ranking by ratings rewards "
    "honest service.",
    model_path="llm_market_reputation.model:ReputationMarket",
    scenarios_path="llm_market_reputation.scenarios:SCENARIOS",
    strategies_path="llm_market_reputation.agents:STRATEGIES",
    mechanisms_path="llm_market_reputation.mechanisms:MECHANISMS",
    runs_path="llm_market_reputation.runs",
    cli_path="llm_market_reputation.cli",
    experiments_path="llm_market_reputation.experiments",
    results_paths=(
        "llm_market_reputation.results:ReputationResult",
        "llm_market_reputation.results:ProviderOutcome",
    ),
    page_path="llm_market_reputation.app.page",
)
