"""Data shipped with the test-time compute game (provenance in TTC_CURVES_PROVENANCE.md)."""
