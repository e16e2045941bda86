"""An example llm-market plugin: a delegation strategy and a delegation mechanism.

Nothing here is registered on import: llm-market finds the classes through the entry points of
this package's ``pyproject.toml`` (groups ``llm_market.delegation.strategies`` and
``llm_market.delegation.mechanisms``) the first time a registry is looked up.
"""
