"""llm-market: Mesa models of markets for LLM services, their data, metrics, runs and CLI."""
