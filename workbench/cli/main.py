"""``workbench``: the headless front end, on the same engine as the GUI.

Every failure a user can act on prints one line (``error: ...``) on stderr
and exits 1; usage errors exit 2 (argparse); ``--debug`` shows tracebacks.
Heavy libraries are imported only by the commands that need them, so
``workbench --help`` answers at once.
"""
import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from workbench.cli import drift, retrain, serve
from workbench.cli import compare as compare_cli
from workbench.cli import explain as explain_cli
from workbench.cli import report as report_cli
from workbench.cli import threshold as threshold_cli
from workbench.cli.support import (
    EXIT_CANCELLED,
    EXIT_ERROR,
    check_output_path,
    exit_now,
    CliError,
    clean_nan,
    format_value,
    headline_metric,
    print_json,
    ProgressPrinter,
    format_table,
    fraction,
    nonneg_int,
    pos_int,
    run_job_in_process,
    run_job_interruptibly,
    spec_from_args,
    add_prep_flag,
)


# ---------------------------------------------------------------- commands
def cmd_init(args) -> int:
    from workbench.engine import Project

    project = Project.init(args.dir, name=args.name)
    print(f"Created project '{project.name}' in {project.root}")
    return 0


def cmd_data_add(args) -> int:
    from workbench.engine import JobContext, Project

    project = Project.open(args.project)
    printer = ProgressPrinter(quiet=args.json)
    entry = project.add_dataset(args.file, name=args.name, ctx=JobContext(printer), copy=not args.link)
    if args.json:
        print_json(vars(entry))
    else:
        print(f"Added dataset '{entry.name}' ({entry.rows:,} rows x {entry.columns} columns) -> {entry.path}")
    return 0


def cmd_data_list(args) -> int:
    from workbench.engine import Project

    project = Project.open(args.project)
    entries = list(project.datasets.values())
    if args.json:
        print_json([vars(e) for e in entries])
        return 0
    rows = [[e.name, f"{e.rows:,}" if e.rows else "-", format_value(e.columns), e.path, e.sha256[:12]] for e in entries]
    print(format_table(rows, ["name", "rows", "columns", "path", "sha256"]) if rows else "No datasets yet.")
    return 0


def cmd_data_profile(args) -> int:
    from workbench.engine import JobContext, Project, profile_dataset

    project = Project.open(args.project)
    frame = project.load_dataset(args.name, JobContext(ProgressPrinter(quiet=True)))
    target = args.target
    if target is None and args.name == project.defaults.get("dataset"):
        target = project.defaults.get("target")
    if target is not None and target not in frame.columns:
        target = None
    profile = profile_dataset(frame, target=target)
    data = clean_nan(profile.to_dict())
    if args.json:
        print_json(data)
        return 0
    print(f"{args.name}: {data.get('rows', len(frame)):,} rows x {data.get('n_columns', frame.shape[1])} columns, "
          f"{data.get('duplicate_rows', 0)} duplicate rows" + (f", target '{target}'" if target else ""))
    rows = []
    columns = data.get("columns") or {}
    for col in columns.values() if isinstance(columns, dict) else columns:
        stats = col.get("stats") or {}
        top = col.get("top") or []
        if isinstance(stats.get("mean"), (int, float)):
            summary = (f"mean {format_value(stats.get('mean'))}  std {format_value(stats.get('std'))}  "
                       f"[{format_value(stats.get('min'))}, {format_value(stats.get('max'))}]")
        elif stats.get("min") is not None:
            summary = f"{stats.get('min')} .. {stats.get('max')}"
        else:
            summary = ", ".join(f"{t.get('value')} ({t.get('count')})" for t in top[:3])
        missing = col.get("missing") or 0
        miss = f"{missing} ({col.get('missing_fraction', 0):.0%})" if missing else "0"
        rows.append([col.get("name"), col.get("kind"), miss, format_value(col.get("n_unique")), summary])
    if rows:
        print(format_table(rows, ["column", "kind", "missing", "unique", "summary"]))
    for w in data.get("warnings", []):
        print(f"warning [{w.get('code')}] {w.get('column') or ''}: {w.get('message')}")
    return 0


def cmd_algorithms(args) -> int:
    from workbench.engine import algorithms

    entries = algorithms(args.task)
    if args.json:
        print_json([a.to_dict() for a in entries])
        return 0
    rows = []
    for a in entries:
        caps = [k for k, v in a.capabilities.to_dict().items() if v]
        rows.append([a.key, a.name, ",".join(a.tasks), " ".join(caps)])
    print(format_table(rows, ["key", "name", "tasks", "capabilities"]))
    if args.verbose:
        for a in entries:
            print(f"\n{a.key}: {a.name}")
            for p in a.params:
                rng = ""
                if p.kind == "choice":
                    rng = "{" + ", ".join(map(str, p.choices)) + "}"
                elif p.kind in ("int", "float"):
                    rng = f"[{format_value(p.low)}, {format_value(p.high)}]" + (" log" if p.log else "")
                print(f"  --param {p.name}=<{p.kind}> default {p.default!r} {rng}  {p.help}")
    return 0


def cmd_train(args) -> int:
    from workbench.engine import Cancelled, Project, RunSpec, SpecError, TrainJob

    if args.spec:
        spec_path = Path(args.spec)
        try:
            spec = RunSpec.from_json(spec_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SpecError(f"Spec file not found: {args.spec}.") from None
        root = Path(args.project) if args.project else spec_path.resolve().parent.parent.parent
        project = Project.open(root)
    else:
        if not args.project or not args.name:
            raise CliError("train needs PROJECT and NAME (or --spec FILE).")
        project = Project.open(args.project)
        spec = spec_from_args(args, project)
    job = TrainJob(project.root, spec)
    from workbench.cli.cluster import run_job_on_cluster, scheduler_address

    address = scheduler_address(args)
    if address and project.dataset_path(spec.dataset).is_dir():
        # Partitioned Parquet: the data stays on the workers (xgboost.dask).
        from workbench.engine import DaskXGBoostJob

        job = DaskXGBoostJob(project.root, spec, address, run_id=job.run_id)
        runner = run_job_interruptibly
    elif address:
        def runner(job, on_event):
            return run_job_on_cluster(job, on_event, address)
    else:
        runner = run_job_in_process if (args.process or args.executor == "process") else run_job_interruptibly
    try:
        summary = runner(job, ProgressPrinter(quiet=args.json))
    except Cancelled:
        # A Ctrl-C while the data loads stops the job before its run folder
        # exists: there is nothing to list, so say so instead of naming a run.
        started = (project.root / "runs" / job.run_id).is_dir()
        if args.json:
            print_json({"run_id": job.run_id if started else None, "status": "cancelled", "task": spec.task,
                        "algorithm": spec.algorithm, "metrics": {}, "device": None})
        if started:
            print(f"Run {job.run_id} cancelled.", file=sys.stderr)
        else:
            print("Cancelled before training started; nothing was started or recorded.", file=sys.stderr)
        return EXIT_CANCELLED
    summary = clean_nan(summary)
    if args.json:
        print_json(summary)
    else:
        print(f"Run {summary['run_id']} {summary['status']} ({summary['task']}, {summary['algorithm']}, device {summary['device']})")
        for k, v in summary["metrics"].items():
            if isinstance(v, (int, float)):
                print(f"  {k:<20} {v:.4f}")
    return 0


def cmd_runs(args) -> int:
    from workbench.engine import Project

    project = Project.open(args.project)
    runs = [r.summary() for r in project.runs()]
    runs = clean_nan(runs)
    if args.json:
        print_json(runs)
        return 0
    if not runs:
        print("No runs yet.")
        return 0
    rows = [[r["run_id"], r["status"], r["algorithm"], r.get("dataset") or "-", headline_metric(r.get("task"), r["metrics"])]
            for r in runs]
    print(format_table(rows, ["run", "status", "algorithm", "dataset", "metric"]))
    return 0


def cmd_show(args) -> int:
    from workbench.engine import Project, ProjectError, RunResult

    project = Project.open(args.project)
    record = project.run(args.run)
    damage = record.damage
    if damage:  # one line saying which file is wrong, not a traceback
        raise ProjectError(f"Run {record.run_id} is damaged: {damage}")
    result = record.result or RunResult()  # None while running or interrupted
    data = {
        "run_id": record.run_id,
        "label": record.label,
        "status": record.status,
        "algorithm": record.algorithm,
        "spec": record.spec.to_dict(),
        "metrics": record.metrics,
        "cv": result.cv,
        "best_iteration": result.best_iteration,
        "device": result.device,
        "timings": result.timings or None,
        "message": result.message or None,
        "evaluation": result.evaluation.to_dict() or None,
        "onnx": result.onnx,
        "resources": record.resource_summary(),
        "versions": result.versions or None,
        "baseline": result.baseline,
        "baseline_cv": result.baseline_cv,
        "threshold": result.threshold_value,
    }
    if result.baseline and result.task in ("classification", "regression"):
        from workbench.engine import beats_baseline

        data["beats_baseline"], data["baseline_note"] = beats_baseline(result.task, data["metrics"], result.baseline)
    data = clean_nan(data)
    if args.json:
        print_json(data)
        return 0
    spec = data["spec"]
    print(f"Run {record.run_id}  [{data['status']}]")
    print(f"  algorithm  {spec['algorithm']}  task {spec.get('task')}  device {data.get('device') or '-'}")
    print(f"  dataset    {spec['dataset']}  target {spec.get('target')}  test size {spec['test_size']}  seed {spec['seed']}")
    print("  params     " + ", ".join(f"{k}={v}" for k, v in (spec.get("params") or {}).items()))
    if data.get("message"):
        print(f"  message    {data['message']}")
    if data["metrics"]:
        print("Metrics (held-out rows):")
        for k, v in data["metrics"].items():
            if isinstance(v, (int, float)):
                print(f"  {k:<20} {v:.4f}")
    if data.get("baseline_note"):
        print(("  " if data["beats_baseline"] else "warning: ") + data["baseline_note"])
    if data.get("threshold") is not None:
        print(f"Decision threshold: P(positive) >= {data['threshold']}")
    if result.cv_scores:
        print("Cross-validation:")
        for k, score in result.cv_scores.items():
            if score.mean is not None:
                print(f"  {k:<20} {score.mean:.4f} ± {score.std or 0:.4f}")
    if data.get("best_iteration"):
        print(f"Best iteration: {data['best_iteration']}")
    if data.get("resources"):
        r = data["resources"]
        print(f"Resources: peak memory {r['peak_rss_mb']:.0f} MB, mean CPU {r['mean_cpu_percent']:.0f}%")
    cm = result.evaluation.confusion
    if cm is not None:
        labels = [str(x) for x in cm.labels]
        print("Confusion matrix (rows: true, columns: predicted):")
        print(format_table([[labels[i]] + [str(c) for c in row] for i, row in enumerate(cm.counts)], [""] + labels))
    imp = result.evaluation.importances
    if imp is not None:
        print(f"Top features ({imp.method or 'importance'}):")
        for name, value in list(imp.values.items())[:10]:
            print(f"  {name:<24} {value:.4f}")
    if data.get("onnx"):
        o = data["onnx"]
        print(f"ONNX: {o.get('path')}  parity: {(o.get('parity') or {}).get('message', '')}")
    return 0


def cmd_predict(args) -> int:
    from workbench.cli.predict import run_predict_command

    return run_predict_command(args)


def cmd_export(args) -> int:
    from workbench.engine import export_run

    if args.output:
        check_output_path(args.output)
    report = export_run(args.project, args.run, args.output)
    report = clean_nan(report)
    if args.json:
        print_json(report)
        return 0
    parity = report.get("parity") or {}
    print(f"Exported {report['path']} ({report.get('bytes', 0) / 1e6:.2f} MB)")
    if parity:
        print(f"Parity on {parity.get('rows')} held-out rows: {parity.get('message')}")
    return 0


def cmd_tune(args) -> int:
    from workbench.cli.tune import run_tune_command

    return run_tune_command(args)


def cmd_leaderboard(args) -> int:
    from workbench.cli.tune import run_leaderboard_command

    return run_leaderboard_command(args)


def _start_gui(argv: list[str]) -> int:
    """Open the window, or say in one line why it cannot open here (same line as workbench-gui)."""
    from workbench.gui.app import gui_unavailable_reason, main as gui_main

    reason = gui_unavailable_reason()  # before Qt loads: Qt would abort the process
    if reason:
        raise CliError(reason)
    return gui_main(argv)


def cmd_gui(args) -> int:
    return _start_gui([args.project] if args.project else [])


# ---------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    from workbench import __version__
    from workbench.cli import cluster as cluster_cli

    p = argparse.ArgumentParser(
        prog="workbench",
        description="Train, evaluate, tune and export models on tabular data. With no command, opens the GUI.",
    )
    p.add_argument("--version", action="version", version=f"workbench {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("init", help="create a project folder")
    s.add_argument("dir")
    s.add_argument("--name", help="project name (default: the folder name)")
    s.set_defaults(func=cmd_init)

    data = sub.add_parser("data", help="add, list and profile datasets")
    dsub = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    s = dsub.add_parser("add", help="add a data file (CSV/TSV/TXT, Parquet, Excel, JSON lines)")
    s.add_argument("project")
    s.add_argument("file")
    s.add_argument("--name", help="dataset name (default: file name)")
    s.add_argument("--link", action="store_true", help="reference the file in place instead of copying it into the project")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_data_add)
    s = dsub.add_parser("list", help="list datasets")
    s.add_argument("project")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_data_list)
    s = dsub.add_parser("profile", help="schema, statistics and warnings of a dataset")
    s.add_argument("project")
    s.add_argument("name")
    s.add_argument("--target", help="column to check class balance and leakage against")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_data_profile)

    s = sub.add_parser("algorithms", help="list the algorithm catalog")
    s.add_argument("--task", choices=["classification", "regression", "clustering"])
    s.add_argument("--json", action="store_true")
    s.add_argument("-v", "--verbose", action="store_true", help="also list parameters")
    s.set_defaults(func=cmd_algorithms)

    s = sub.add_parser("train", help="train a model (or replay a run with --spec)")
    s.add_argument("project", nargs="?")
    s.add_argument("name", nargs="?", help="dataset name")
    s.add_argument("--spec", help="replay the run spec at this path (PROJECT/runs/RUN/spec.json)")
    s.add_argument("--target", help="column to predict")
    s.add_argument("--algorithm", help="catalog key (see 'workbench algorithms')")
    s.add_argument("--task", choices=["classification", "regression", "clustering"], help="default: inferred from the target")
    s.add_argument("--param", action="append", metavar="K=V", help="algorithm parameter (repeatable)")
    s.add_argument("--test-size", type=fraction, default=0.2, help="held-out fraction (default 0.2)")
    s.add_argument("--cv", type=nonneg_int, default=0, help="k-fold cross-validation on the training part (0 = off)")
    s.add_argument("--seed", type=nonneg_int, default=0)
    s.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    s.add_argument("--features", help="comma-separated feature columns (default: all but target/ignored)")
    s.add_argument("--ignore", action="append", metavar="COL", help="column to leave out (repeatable)")
    add_prep_flag(s)
    s.add_argument("--threads", type=pos_int, help="CPU threads for this run (default: all cores)")
    s.add_argument("--process", action="store_true",
                   help="fit in a worker process: Ctrl-C then stops even one long library call within ~2 s")
    cluster_cli.add_executor_flags(s)
    lc = s.add_mutually_exclusive_group()
    lc.add_argument("--learning-curve", dest="learning_curve", action="store_true", default=None)
    lc.add_argument("--no-learning-curve", dest="learning_curve", action="store_false")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("runs", help="list a project's runs, oldest first")
    s.add_argument("project")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_runs)

    s = sub.add_parser("show", help="details of one run")
    s.add_argument("project")
    s.add_argument("run")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_show)

    s = sub.add_parser("predict", help="predict with a run's model (or an ONNX file with --model)")
    s.add_argument("inputs", nargs="*", metavar="PROJECT RUN FILE")
    s.add_argument("--model", help="an exported .onnx file (runs with onnxruntime only)")
    s.add_argument("-o", "--output", required=True, help="CSV file to write")
    s.add_argument("--drift", action="store_true", help="also compare the data with the training data (stderr)")
    s.set_defaults(func=cmd_predict)

    s = sub.add_parser("export", help="export a run's model to ONNX (with a parity check)")
    s.add_argument("project")
    s.add_argument("run")
    s.add_argument("-o", "--output", help="default: the run folder's model.onnx")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_export)

    s = sub.add_parser("tune", help="hyperparameter search (grid, random, Bayesian)")
    s.add_argument("project")
    s.add_argument("name", help="dataset name")
    s.add_argument("--target", required=False)
    s.add_argument("--algorithm", required=True)
    s.add_argument("--task", choices=["classification", "regression"])
    s.add_argument("--strategy", choices=["grid", "random", "bayes"], default="bayes")
    s.add_argument("--trials", type=pos_int, default=None)
    s.add_argument("--timeout", type=float, default=None, help="wall-time budget in seconds")
    s.add_argument("--cv", type=nonneg_int, default=3)
    s.add_argument("--metric", help="metric to optimise (default: the task's headline metric)")
    s.add_argument("--param-range", action="append", metavar="K=LOW:HIGH", help="search range (or K=a,b,c values)")
    s.add_argument("--param", action="append", metavar="K=V", help="fixed parameter")
    add_prep_flag(s)
    s.add_argument("--seed", type=nonneg_int, default=0)
    s.add_argument("--jobs", type=pos_int, default=1, help="trials in parallel")
    s.add_argument("--test-size", type=fraction, default=0.2)
    s.add_argument("--train-best", action="store_true", help="train the best trial as a normal run afterwards")
    cluster_cli.add_executor_flags(s)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_tune)

    s = sub.add_parser("leaderboard", help="completed runs and search bests, sorted by a metric")
    s.add_argument("project")
    s.add_argument("--metric", help="metric to sort by (default: the task's headline metric)")
    s.add_argument("--task", choices=["classification", "regression", "clustering"], help="only rows of this task")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_leaderboard)

    cluster_cli.add_parser(sub)
    drift.add_parser(sub)
    serve.add_parser(sub)
    retrain.add_parser(sub)
    compare_cli.add_parser(sub)
    explain_cli.add_parser(sub)
    threshold_cli.add_parser(sub)
    report_cli.add_parser(sub)

    s = sub.add_parser("gui", help="open the desktop app")
    s.add_argument("project", nargs="?")
    s.set_defaults(func=cmd_gui)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; as a program (``argv`` None) a cancelled command exits at once."""
    code = _main(list(sys.argv[1:] if argv is None else argv))
    if argv is None and code == EXIT_CANCELLED:
        exit_now(code)
    return code


def _main(argv: list[str]) -> int:
    # `--debug` is a global flag, but people type it anywhere
    # (`workbench train ... --debug`): take it out wherever it stands.
    end = argv.index("--") if "--" in argv else len(argv)
    debug = "--debug" in argv[:end]
    argv = [a for i, a in enumerate(argv) if not (i < end and a == "--debug")]
    parser = build_parser()
    args = parser.parse_args(argv)
    args.debug = debug
    try:
        if args.command is None:
            return _start_gui([])
        return args.func(args)
    except BrokenPipeError:
        # `workbench runs P | head`: the reader left; stop quietly.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except OSError:
            pass
        return EXIT_ERROR
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        # Before a job's own Ctrl-C handler is installed (imports, opening the project).
        print("Interrupted; nothing was started." if args.command == "train" else "Interrupted.", file=sys.stderr)
        return EXIT_CANCELLED
    except BaseException as exc:
        from workbench.engine import Cancelled, WorkbenchError

        if isinstance(exc, Cancelled):
            print("Cancelled.", file=sys.stderr)
            return EXIT_CANCELLED
        if isinstance(exc, SystemExit):
            raise
        if args.debug:
            import traceback

            traceback.print_exc()
        if isinstance(exc, WorkbenchError):
            print(f"error: {exc}".replace("\n", " "), file=sys.stderr)
        elif isinstance(exc, MemoryError):
            print("error: out of memory. Use a smaller file or fewer rows, close other programs, "
                  "or run on a machine with more memory.", file=sys.stderr)
        elif isinstance(exc, OSError | ImportError) and _out_of_address_space(exc):
            print("error: not enough memory to load the libraries this command needs "
                  f"({exc}); raise the process's memory limit (ulimit -v) or free memory.".replace("\n", " "),
                  file=sys.stderr)
        else:
            print(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for details)".replace("\n", " "),
                  file=sys.stderr)
        return EXIT_ERROR


def _out_of_address_space(exc: BaseException) -> bool:
    """A shared library could not be mapped: the memory limit is too low, not a broken install."""
    text = str(exc)
    return "failed to map segment" in text or "Cannot allocate memory" in text


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
