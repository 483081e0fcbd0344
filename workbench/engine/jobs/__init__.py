"""Running work: typed events, the cancel token, the job handle and the executors.

Knows nothing of runs, projects or Qt: a job is anything with ``run(ctx)``.
"""
