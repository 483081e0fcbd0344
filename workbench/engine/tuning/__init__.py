"""Hyperparameter search: search spaces, objectives, the tune folder and the leaderboard."""
