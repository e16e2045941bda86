"""``python -m market`` runs the CLI."""

import sys

from market.games import main

sys.exit(main())
