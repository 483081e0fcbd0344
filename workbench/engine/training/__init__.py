"""One training run: the problem set-up, preparation, fitting, evaluation, importances, device."""
