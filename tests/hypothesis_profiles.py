"""Hypothesis profiles: ``dev`` for the edit loop, ``ci`` with more examples on key properties.

The profile is ``HYPOTHESIS_PROFILE`` when set (``.ci/run`` sets ``ci``), else ``ci`` when the
``CI`` variable is set (as hosted CI services do), else ``dev``; ``conftest.py`` loads it before
any test module is imported. Most property tests name their own example count; the paper's key
properties (each mechanism's defining claim) take theirs from :func:`key_property`, so CI runs
them harder than the edit loop does.
"""

from __future__ import annotations

import os

from hypothesis import settings

#: Examples of a key property in the CI profile (the issue asks for at least 200).
CI_KEY_EXAMPLES = 200

settings.register_profile("dev", settings())
settings.register_profile("ci", settings(deadline=None, print_blob=True))


def profile_name() -> str:
    """The Hypothesis profile this session runs under ("dev" or "ci")."""
    chosen = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
    if chosen not in ("dev", "ci"):
        raise ValueError(f"HYPOTHESIS_PROFILE: expected 'dev' or 'ci', got {chosen!r}")
    return chosen


def key_property(dev_examples: int, **kwargs) -> settings:
    """Settings of a key property: ``dev_examples`` in the edit loop, at least 200 in CI.

    Args:
        dev_examples: Examples in the ``dev`` profile.
        **kwargs: Other Hypothesis settings (``deadline``, ``suppress_health_check``, ...).
    """
    ci = profile_name() == "ci"
    examples = max(dev_examples, CI_KEY_EXAMPLES) if ci else dev_examples
    return settings(max_examples=examples, **kwargs)
