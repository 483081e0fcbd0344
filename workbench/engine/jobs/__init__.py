"""Running work: typed events, the cancel token, the job handle and the executors.

Knows nothing of runs, projects or Qt: a job is anything with ``run(ctx)``;
one that may run in another process is named in the registry of job kinds
(kinds.py) and travels as its JSON spec (wire.py).
"""
