"""After training: retrain a run's spec on new data and compare fairly."""
