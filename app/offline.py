"""The dashboard without internet: its front end comes from an installed package, not a CDN.

solara 1.64 serves its front end (the Vuetify app, require.js, Font Awesome) through
``/_solara/cdn/``, fetching from the internet what its cache folder ``share/solara/cdn`` does
not hold. The ``solara-assets`` package (a dependency) fills that folder at install time, and
``ipyvue<3`` keeps solara on the Vuetify 2 app that package bundles (``@10.1.1``). The
dashboard's plots are plain SVG, so no chart library is fetched either. This module checks the
assets are there and switches off solara's usage telemetry (a request to the internet).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: What the page loads through /_solara/cdn/ (solara 1.64 with ipyvue 1.x).
FRONT_END = ("@widgetti/solara-vuetify-app@10.1.1", "requirejs@2.3.6", "font-awesome@4.5.0")


def cdn_folder() -> Path:
    """Where solara looks for its front-end assets before fetching them."""
    configured = os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR")
    return Path(configured) if configured else Path(sys.prefix) / "share" / "solara" / "cdn"


def missing_assets(folder: Path | None = None) -> list[str]:
    """Front-end packages absent from the cache folder (empty: the page works offline)."""
    folder = cdn_folder() if folder is None else folder
    return [name for name in FRONT_END if not (folder / name / "package.json").is_file()]


def prepare_offline_assets() -> list[str]:
    """Switch telemetry off and report (on stderr) front-end assets that would need internet."""
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    missing = missing_assets()
    if missing:
        print(
            f"llm-market: warning: {', '.join(missing)} not in {cdn_folder()}: the page will "
            "fetch them from the internet (reinstall with pip install -e . to get solara-assets)",
            file=sys.stderr,
        )
    return missing
