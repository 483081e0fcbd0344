"""``python -m workbench [PROJECT]`` opens the desktop window."""

import sys

from workbench.gui.app import main

if __name__ == "__main__":
    sys.exit(main())
