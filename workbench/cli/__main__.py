"""``python -m workbench.cli`` runs the command line (the tests use it in subprocesses)."""

import sys

from workbench.cli.main import main

sys.exit(main())
