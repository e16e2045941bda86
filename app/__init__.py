"""The Solara dashboard: pages that call the games' models and runs (never the CLI)."""
