"""Data shipped with llm-market (see the *_PROVENANCE.md files beside it)."""
