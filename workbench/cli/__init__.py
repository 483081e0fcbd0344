"""The headless front end: ``workbench`` (the console script is ``workbench.cli:main``)."""

from workbench.cli.main import main

__all__ = ["main"]
