"""GUI responsiveness: how long the GUI thread is blocked, measured offscreen.

A 10 ms ``QTimer`` ticks on the GUI thread throughout; the longest gap
between two ticks (minus the 10 ms interval) is the worst stall a user would
feel.  Measured in the real ``MainWindow`` (its inspector, live training view
and jobs panel are all connected):

1. open a 5M x 20 dataset (``Session.select_dataset``, as a click in the
   project tree does): time until the inspector's table has painted its
   rows; and the GUI-thread part alone — ``DataFrameModel.set_frame`` plus
   painting the table — which is what happens on the GUI thread once the
   worker has loaded the frame.  Target: < 0.5 s.
2. the worst stall while a 1M-row XGBoost (200 rounds) trains through the
   GUI's job machinery: the QThread runner and the process executor.
   Target: < 50 ms.
3. the worst stall while a 1M-row CSV is added and opened (load, fingerprint,
   Parquet cache, schema, profile in the data lane).  Target: < 50 ms.

Full size::

    QT_QPA_PLATFORM=offscreen timeout 1h .venv/bin/python bench/gui_responsiveness.py --wait

Diagnostics (environment variables): ``WB_EVENT_TIMES=1`` lists, for the
gaps with the most GUI-thread CPU, the Qt events handled in them and their
CPU (and how much was spent outside any event); ``WB_STALL_STACKS=1``
samples the GUI thread's Python stack in late ticks; ``WB_PROFILE=1`` runs
cProfile on the GUI thread (slows it down); ``WB_PIN=1`` (train part, Linux)
puts the window's process on CPU 0 and the fit's worker on CPU 1, so that
what remains of a stall is the window's own work or the host's, not the two
sharing a core.  Each gap also reports the
thread's major page faults.

Smoke test::

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui_responsiveness.py --open-rows 50000 \
        --train-rows 20000 --csv-rows 20000
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402


STALL_REPORT_S = 0.040  # stacks of the GUI thread are summed up when it is this late
STALL_SAMPLE_S = 0.012  # ... and kept per gap (printed for the worst gaps) from this late on


class StallMeter:
    """Records the ticks of a 10 ms timer on the GUI thread.

    With WB_STALL_STACKS=1, a sampler thread looks at the GUI thread's stack whenever a tick is more
    than ``STALL_REPORT_S`` late and counts the innermost workbench frames (and
    the innermost frame), so a stall can be traced to the code causing it.
    """

    samples: "collections.Counter[str]"

    def __init__(self) -> None:
        import collections
        import threading

        from PySide6.QtCore import Qt, QTimer

        self.ticks: list[float] = []
        self.timer = QTimer(objectName="stall-meter")
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        # GUI-thread CPU time at each tick: a gap with little CPU in it was the
        # OS scheduling other processes (a busy machine), not our code.
        self.cpu: list[float] = []
        # Major page faults of the GUI thread at each tick: code or data read
        # back from disk (this VM's DAMON pages out cold file pages, such as
        # library code a rarely taken path runs) is not our drawing.
        self.faults: list[int] = []
        self.samples = collections.Counter()
        self.others = collections.Counter()
        # Stacks sampled during each late tick, by the index of the tick before it.
        self.by_gap: "collections.defaultdict[int, collections.Counter[str]]" = collections.defaultdict(
            collections.Counter)
        self._gui_ident = threading.get_ident()
        self._running = False
        self._thread: threading.Thread | None = None

    def _tick(self) -> None:
        self.ticks.append(time.perf_counter())
        self.cpu.append(time.thread_time())
        self.faults.append(_thread_usage())
        if EVENTS is not None:
            self.events.append(list(EVENTS))
            EVENTS.clear()

    def _sample(self) -> None:
        import threading
        import traceback

        while self._running:
            time.sleep(0.002)
            late = time.perf_counter() - self.ticks[-1] if self.ticks else 0.0
            if late <= STALL_SAMPLE_S:
                continue
            frame = sys._current_frames().get(self._gui_ident)
            if frame is None:
                continue
            stack = traceback.extract_stack(frame)
            ours = [f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in stack if "workbench" in f.filename]
            inner = [f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in stack[-3:]]
            where = f"{' < '.join(reversed(ours[-4:]))} || {' < '.join(reversed(inner))}"
            # Which gap this sample belongs to: the tick it is late after.
            self.by_gap[len(self.ticks) - 1][where] += 1
            if late > STALL_REPORT_S:
                self.samples[where] += 1
                # What the other threads of the process run meanwhile: a GUI
                # thread stuck in plain Python is usually waiting for the GIL.
                for ident, other in sys._current_frames().items():
                    if ident in (self._gui_ident, threading.get_ident()):
                        continue
                    ostack = traceback.extract_stack(other)
                    oours = [f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in ostack
                             if "workbench" in f.filename]
                    oinner = ostack[-1]
                    self.others[f"{' < '.join(reversed(oours[-2:]))} || "
                                f"{Path(oinner.filename).name}:{oinner.lineno} {oinner.name}"] += 1

    def start(self) -> None:
        import threading

        self.ticks = [time.perf_counter()]
        self.cpu = [time.thread_time()]
        self.faults = [_thread_usage()]
        self.events: list[list[tuple[float, str]]] = [[]]
        if EVENTS is not None:
            EVENTS.clear()
        self.timer.start()
        self._running = True
        if os.environ.get("WB_STALL_STACKS"):
            # Only when asked: the sampler takes the GIL every 2 ms of a late
            # tick, and the GUI thread needs it for every Python paint method
            # (pyqtgraph's), so it lengthens the very gaps it samples.
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()

    def stop(self) -> float:
        """Worst stall in seconds (largest tick gap beyond the 10 ms interval)."""
        self._running = False
        if self._thread is not None:
            self._thread.join()
        for where, n in self.samples.most_common(5):
            print(f"    stall sample x{n} (~{n * 5} ms): {where}", file=sys.stderr)
        for where, n in self.others.most_common(4):
            print(f"      other thread x{n}: {where}", file=sys.stderr)
        self.timer.stop()
        self._tick()
        gaps = [b - a for a, b in zip(self.ticks, self.ticks[1:])]
        cpu_gaps = [b - a for a, b in zip(self.cpu, self.cpu[1:])]
        fault_gaps = [b[0] - a[0] for a, b in zip(self.faults, self.faults[1:])]
        minor_gaps = [b[1] - a[1] for a, b in zip(self.faults, self.faults[1:])]
        sys_gaps = [b[2] - a[2] for a, b in zip(self.faults, self.faults[1:])]
        steal_gaps = [b[3] - a[3] for a, b in zip(self.faults, self.faults[1:])]
        self.steal_ms = sum(steal_gaps)
        # Gaps with no steal in them or next to them (the kernel books steal in
        # 10 ms ticks, not always in the gap it happened in): what our code
        # costs, free of the host's share of a busy machine.
        n = len(steal_gaps)
        clean = [i for i in range(n) if not any(steal_gaps[j] for j in range(max(0, i - 2), min(n, i + 3)))]
        self.clean_share = len(clean) / n if n else 1.0
        self.worst_clean = max((gaps[i] for i in clean), default=0.0)
        self.worst_clean_cpu = max((cpu_gaps[i] for i in clean), default=0.0)
        self.faulted_gaps = sum(1 for f in fault_gaps if f)
        self.worst_cpu = max(cpu_gaps, default=0.0)
        # When the worst gaps happened (seconds after start, of the whole span):
        # tells a stall at job start/end from one during the work.
        span = self.ticks[-1] - self.ticks[0]
        worst = sorted(range(len(gaps)), key=gaps.__getitem__, reverse=True)[:3]
        self.worst_at = [self.ticks[i] - self.ticks[0] for i in worst]
        print("    worst gaps: " + ", ".join(
            f"{gaps[i] * 1e3:.0f} ms ({cpu_gaps[i] * 1e3:.0f} ms CPU of which {sys_gaps[i] * 1e3:.0f} in the kernel, "
            f"{fault_gaps[i]} major / {minor_gaps[i]} minor faults, {steal_gaps[i]:.0f} ms stolen by the host) "
            f"at {self.ticks[i] - self.ticks[0]:.1f}/{span:.1f} s"
            for i in worst) + f"; most GUI-thread CPU between two ticks: {self.worst_cpu * 1e3:.0f} ms; "
            f"gaps with major page faults: {self.faulted_gaps}; stolen by the host in all: {self.steal_ms:.0f} ms; "
            f"in the {self.clean_share:.0%} of gaps without steal nearby: worst {self.worst_clean * 1e3:.0f} ms, "
            f"most CPU {self.worst_clean_cpu * 1e3:.0f} ms",
            file=sys.stderr)
        if EVENTS is not None:
            by_cpu = sorted(range(len(cpu_gaps)), key=cpu_gaps.__getitem__, reverse=True)[:5]
            for i in by_cpu:
                inside = self.events[i + 1] if i + 1 < len(self.events) else []
                spent = sum(c for c, what in inside if not what.startswith(" "))
                top = ", ".join(f"{c * 1e3:.1f} {what.strip()}" for c, what in sorted(inside, reverse=True)[:7])
                print(f"    {cpu_gaps[i] * 1e3:.1f} ms CPU ({sys_gaps[i] * 1e3:.0f} kernel, {minor_gaps[i]} minor faults, "
                      f"{steal_gaps[i]:.0f} ms stolen) "
                      f"at {self.ticks[i] - self.ticks[0]:.2f} s, "
                      f"{spent * 1e3:.1f} in events: {top}", file=sys.stderr)
        if os.environ.get("WB_STALL_STACKS"):
            for i in worst:
                print(f"    gap of {gaps[i] * 1e3:.0f} ms at {self.ticks[i] - self.ticks[0]:.2f} s:", file=sys.stderr)
                for where, n in self.by_gap[i].most_common(6):
                    print(f"      x{n} {where}", file=sys.stderr)
        return max(0.0, max(gaps, default=0.0) - 0.010)


def _steal_ms() -> float:
    """CPU time the hypervisor took from this VM's CPUs so far, all CPUs together (0 where unknown).

    A guest counts the time its vCPU was descheduled by the host as the
    running thread's CPU time unless the kernel accounts steal time: a gap
    full of steal is the host's, not ours.
    """
    try:
        with open("/proc/stat", "rb") as f:
            fields = f.readline().split()
        return float(fields[8]) * 1000.0 / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _thread_usage() -> tuple[int, int, float, float]:
    """(major faults, minor faults, system CPU s, VM steal ms) of the calling thread so far (zeros where unknown)."""
    import resource

    steal = _steal_ms()
    try:
        usage = resource.getrusage(resource.RUSAGE_THREAD)
    except (AttributeError, OSError):
        return 0, 0, 0.0, steal
    return usage.ru_majflt, usage.ru_minflt, usage.ru_stime, steal


def wait_until(app, predicate, timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            return False
        app.processEvents()
        time.sleep(0.002)
    return True


SETTLE_S = 3.0  # how long the GUI is watched after a job ends


def pump(app, seconds: float) -> None:
    """Run the event loop for ``seconds`` as an idle app would."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.002)


def _gui_profiler():
    """cProfile of the GUI thread while WB_PROFILE is set (it slows the GUI thread down)."""
    if not os.environ.get("WB_PROFILE"):
        return None
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


def _report_profile(profiler) -> None:
    if profiler is None:
        return
    import pstats

    profiler.disable()
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(
        int(os.environ.get("WB_PROFILE_LINES", "45")))


EVENTS: list[tuple[float, str]] | None = None  # (GUI-thread CPU, event) since the last stall-meter tick


def measuring_application(argv: list[str]):
    """With WB_EVENT_TIMES=1: a QApplication that times every top-level event it dispatches.

    ``notify`` sees each event the GUI thread handles; the CPU spent inside
    the outermost one (nested events included) is logged with its type and
    receiver, and the stall meter prints them for its worst gaps, beside the
    CPU spent outside any event.  (An event filter only sees an event's
    start, so it blamed a gap on whichever event came before it.)
    """
    from PySide6.QtWidgets import QApplication

    global EVENTS
    EVENTS = []

    def receiver(obj) -> str:
        names = []
        while obj is not None and len(names) < 3:
            names.append(obj.objectName() or type(obj).__name__)
            obj = obj.parent() if hasattr(obj, "parent") else None
        return "<".join(names)

    class Measuring(QApplication):
        depth = 0

        def notify(self, obj, event):  # noqa: D401 - Qt API
            nested = Measuring.depth
            Measuring.depth += 1
            t0 = time.thread_time()
            try:
                return super().notify(obj, event)
            finally:
                Measuring.depth -= 1
                took = time.thread_time() - t0
                # The outermost events, and the widgets a window paint painted.
                if EVENTS is not None and took > 0.0002 and (
                        not nested or (nested == 1 and event.type() == event.Type.Paint)):
                    EVENTS.append((took, f"{'  painted ' if nested else ''}{event.type().name}->{receiver(obj)}"))

    return Measuring(argv)


class GcMeter:
    """Durations of Python's cyclic garbage collections (the app runs them on the GUI thread)."""

    def __init__(self) -> None:
        import gc

        self.worst: dict[int, float] = {}
        self.count = 0
        self._t0 = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
            return
        took = time.perf_counter() - self._t0
        gen = info.get("generation", -1)
        self.count += 1
        self.worst[gen] = max(self.worst.get(gen, 0.0), took)

    def report(self) -> str:
        parts = ", ".join(f"gen {g}: {t * 1e3:.1f} ms" for g, t in sorted(self.worst.items()))
        return f"{self.count} collections, longest per generation: {parts or 'none'}"


def make_window(root: Path):
    from workbench.gui.main_window import MainWindow

    from workbench.gui.app import collect_garbage_on_gui_thread

    from PySide6.QtWidgets import QApplication

    # As the app does: cyclic GC only on the GUI thread, from a timer.
    collect_garbage_on_gui_thread(QApplication.instance())
    window = MainWindow(None)
    window.resize(1400, 900)
    window.show()
    window.open_project(root)
    return window


def bench_open(app, rows: int, repeats: int) -> list[list[str]]:
    from workbench.engine import Project

    data = C.dataset_file(rows, 20)
    root = C.DATA / f"proj_gui_open_{rows}"
    if not (root / "workbench.toml").exists():
        Project.init(root).add_dataset(data, name="data", copy=False)
    window = make_window(root)
    inspector = window.inspector
    session = window.session
    wait_until(app, lambda: session.frame is not None and window.jobs.is_idle(), 600)
    first, full, profiled, gui_part, stalls = [], [], [], [], []
    for _ in range(repeats):
        # Deselect, then open again as a click would (cache and page cache warm).
        session.select_dataset("")
        app.processEvents()
        meter = StallMeter()
        meter.start()
        t0 = time.perf_counter()
        session.select_dataset("data")
        # First rows on screen: a preview of the first rows, or the whole frame.
        wait_until(app, lambda: inspector.model.rowCount() > 0, 600)
        inspector.table.viewport().repaint()
        app.processEvents()
        first.append(time.perf_counter() - t0)
        wait_until(app, lambda: session.frame is not None and inspector.model.frame() is session.frame, 600)
        inspector.table.viewport().repaint()
        app.processEvents()
        full.append(time.perf_counter() - t0)
        wait_until(app, lambda: session.profile is not None, 600)
        app.processEvents()
        profiled.append(time.perf_counter() - t0)
        wait_until(app, window.jobs.is_idle, 600)
        stalls.append(meter.stop())
        # The GUI-thread part alone: a model reset on the loaded frame + paint.
        kinds = {c: session.column_kind(c) for c in session.columns()}
        inspector.model.set_frame(None)
        app.processEvents()
        t0 = time.perf_counter()
        inspector.model.set_frame(session.frame, kinds)
        inspector.table.viewport().repaint()
        app.processEvents()
        gui_part.append(time.perf_counter() - t0)
    window.jobs.shutdown()
    window.close()
    shape = f"{rows:,} x 20"
    s1, s2, s3 = C.summary(first), C.summary(full), C.summary(profiled)
    sg, ss = C.summary(gui_part), C.summary(stalls)
    return [
        [f"open {shape}: select -> first rows painted", C.fmt_s(s1), "< 0.5 s",
         "met" if s1["median"] < 0.5 else "missed"],
        [f"open {shape}: select -> whole frame in the table", C.fmt_s(s2), "", ""],
        [f"open {shape}: select -> profile shown", C.fmt_s(s3), "", ""],
        [f"open {shape}: GUI-thread part (model reset + paint)", C.fmt_s(sg, "ms", 1e3), "< 0.5 s",
         "met" if sg["median"] < 0.5 else "missed"],
        [f"open {shape}: worst GUI stall during the open", C.fmt_s(ss, "ms", 1e3), "< 50 ms",
         "met" if ss["median"] < 0.05 else "missed"],
    ]


def bench_train(app, rows: int, repeats: int, runners: tuple[str, ...] = ("process",)) -> list[list[str]]:
    from workbench.engine import Project, RunSpec, TrainJob
    from workbench.gui import settings as ui_settings
    from workbench.gui.workers import worker_pool

    data = C.dataset_file(rows, 50)
    root = C.DATA / f"proj_cls_{data.stem}"
    if not (root / "workbench.toml").exists():
        Project.init(root).add_dataset(data, name="data", copy=False)
    window = make_window(root)
    wait_until(app, lambda: window.session.frame is not None and window.jobs.is_idle(), 600)
    out = []
    for runner in runners:
        if runner != "process":
            raise SystemExit("The window fits in worker processes only (issue 19): --runners process.")
        # The app starts its executor with the window, so a user's fit
        # finds a warm worker; a cold one would add its imports here.
        executor = worker_pool().compute(ui_settings.jobs_at_once())
        wait_until(app, lambda: executor.warm, 120)
        if os.environ.get("WB_PIN"):
            # Experiment: the window on CPU 0, the fit's worker on CPU 1, so
            # that what is left of a stall is the window's own work (or the host's).
            os.sched_setaffinity(0, {0})
            for pid in executor.worker_pids:
                os.sched_setaffinity(pid, {1})
        stalls, cpus, walls = [], [], []
        clean_stalls: list[float] = []
        clean_cpus: list[float] = []
        stolen: list[float] = []
        for _ in range(repeats):
            spec = RunSpec(dataset="data", algorithm="xgboost", target="y",
                           params={"n_estimators": 200}, learning_curve=False)
            job = TrainJob(str(root), spec)
            window.tabs.setCurrentIndex(2)  # the live training view is what a user watches
            pump(app, 0.5)  # its first paint is the tab switch's, not the run's
            gc_meter = GcMeter()
            profiler = _gui_profiler()
            meter = StallMeter()
            meter.start()
            t0 = time.perf_counter()
            events: list[tuple[float, str]] = []
            window.jobs.jobEvent.connect(lambda _id, e: events.append(
                (time.perf_counter() - t0, f"{e.kind} {len(getattr(e, 'message', '') or '')}")))
            job_id = window.jobs.submit_job(job, kind="train", title=job.title)
            wait_until(app, lambda: window.jobs.entry(job_id).state.finished, 3600)
            walls.append(time.perf_counter() - t0)
            # The end of a run is part of it: results, tree and plots are
            # drawn after the job's last event, while the user watches.
            pump(app, SETTLE_S)
            stalls.append(meter.stop())
            cpus.append(meter.worst_cpu)
            clean_stalls.append(max(0.0, meter.worst_clean - 0.010))
            clean_cpus.append(meter.worst_clean_cpu)
            stolen.append(meter.steal_ms / 1e3)
            print(f"    garbage collection: {gc_meter.report()}", file=sys.stderr)
            if os.environ.get("WB_STALL_STACKS"):
                for at in meter.worst_at:
                    near = [f"{t:.2f} {k}" for t, k in events if at - 0.05 <= t <= at + 0.25]
                    print(f"    events near {at:.2f} s: {near[:12]}", file=sys.stderr)
            import gc

            gc.callbacks.remove(gc_meter._callback)
            _report_profile(profiler)
            shutil.rmtree(root / "runs" / job.run_id, ignore_errors=True)
        s, w, c = C.summary(stalls), C.summary(walls), C.summary(cpus)
        out.append([f"train XGBoost {rows:,} rows ({runner} runner; job {C.fmt_s(w)}): worst GUI stall",
                    C.fmt_s(s, "ms", 1e3), "< 16 ms", "met" if s["median"] < 0.016 else "missed"])
        out.append([f"train XGBoost {rows:,} rows ({runner} runner): most GUI-thread CPU between two 10 ms ticks",
                    C.fmt_s(c, "ms", 1e3), "< 16 ms", "met" if c["median"] < 0.016 else "missed"])
        cs, cc, st = C.summary(clean_stalls), C.summary(clean_cpus), C.summary(stolen)
        out.append([f"  the same, only gaps with no CPU stolen by the host nearby (stolen per run: {C.fmt_s(st)}): "
                    "worst stall", C.fmt_s(cs, "ms", 1e3), "< 16 ms", "met" if cs["median"] < 0.016 else "missed"])
        out.append(["  ... and most GUI-thread CPU between two ticks there",
                    C.fmt_s(cc, "ms", 1e3), "< 16 ms", "met" if cc["median"] < 0.016 else "missed"])
    window.jobs.shutdown()
    window.close()
    return out


def bench_csv(app, rows: int, repeats: int) -> list[list[str]]:
    from workbench.engine import Project

    csv = C.dataset_file(rows, 50, fmt="csv", mixed=True)
    stalls, walls = [], []
    for r in range(repeats):
        root = C.DATA / f"proj_gui_csv_{rows}_{r}"
        shutil.rmtree(root, ignore_errors=True)
        Project.init(root)
        window = make_window(root)
        app.processEvents()
        meter = StallMeter()
        meter.start()
        t0 = time.perf_counter()
        window.inspector.add_files([str(csv)])
        wait_until(app, lambda: window.session.frame is not None and window.jobs.is_idle(), 3600)
        walls.append(time.perf_counter() - t0)
        stalls.append(meter.stop())
        window.jobs.shutdown()
        window.close()
        shutil.rmtree(root, ignore_errors=True)
    s, w = C.summary(stalls), C.summary(walls)
    return [[f"add + open CSV {rows:,} x 50 ({csv.stat().st_size / 2**20:.0f} MB; {C.fmt_s(w)}): worst GUI stall",
             C.fmt_s(s, "ms", 1e3), "< 50 ms", "met" if s["median"] < 0.05 else "missed"]]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--open-rows", type=int, default=5_000_000)
    p.add_argument("--train-rows", type=int, default=1_000_000)
    p.add_argument("--csv-rows", type=int, default=1_000_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--parts", default="open,train,csv")
    p.add_argument("--runners", default="process",
                   help="train part: job runners to measure (process: the window's only runner for fits)")
    p.add_argument("--wait", action="store_true")
    args = p.parse_args()

    from workbench.gui.app import create_application

    if os.environ.get("WB_EVENT_TIMES"):
        measuring_application([sys.argv[0]])  # create_application reuses it
    app = create_application([])
    parts = args.parts.split(",")
    # Generate the data before waiting for a quiet machine.
    if "open" in parts:
        C.dataset_file(args.open_rows, 20)
    if "train" in parts:
        C.dataset_file(args.train_rows, 50)
    if "csv" in parts:
        C.dataset_file(args.csv_rows, 50, fmt="csv", mixed=True)
    quiet = C.wait_for_quiet() if args.wait else None
    print(f"machine: {C.machine()}; quiet wait: {quiet}")
    rows = []
    for part, fn, n in (("open", bench_open, args.open_rows), ("train", bench_train, args.train_rows),
                        ("csv", bench_csv, args.csv_rows)):
        if part not in parts:
            continue
        with C.announce(f"gui {part}"):
            start = C.loadavg()
            extra = {"runners": tuple(args.runners.split(","))} if part == "train" else {}
            got = fn(app, n, args.repeats, **extra)
            end = C.loadavg()
        rows += [r + [f"{start} -> {end}"] for r in got]
    C.print_table(f"GUI responsiveness (offscreen), median (min–max) of {args.repeats}",
                  ["measure", "time", "target", "met?", "load"], rows)


if __name__ == "__main__":
    main()
