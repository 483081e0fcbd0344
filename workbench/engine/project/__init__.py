"""The project folder on disk: workbench.toml, datasets and the run folders."""
