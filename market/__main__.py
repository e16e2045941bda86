"""``python -m market`` runs the CLI."""

import sys

from market.cli import main

sys.exit(main())
