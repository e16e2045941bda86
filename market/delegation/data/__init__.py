"""Data shipped with the delegation game (provenance in NLGRAPH_PROVENANCE.md beside it)."""
