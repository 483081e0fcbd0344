"""CPU, memory and GPU use of a running job, for the jobs panel and the run log.

The process executor samples its worker about twice a second and puts the
samples into the job's event stream as :class:`ResourceSample` events.
"""

from __future__ import annotations

import threading
from typing import Any

import psutil

from workbench.engine.jobs.events import ResourceSample

__all__ = ["ProcessSampler", "sample_process", "process_rss_mb", "gpu_stats"]

_MB = 1024 * 1024


def descendant_pids(pid: int) -> list[int] | None:
    """The children of ``pid``, theirs and so on, from ``/proc/<pid>/task/*/children``.

    None where the kernel does not list children (not Linux, or built
    without it): then psutil's ``children(recursive=True)`` is the way, but
    it reads the ``stat`` file of every process on the machine, in Python,
    ~3 ms here with 66 processes and ~20 ms on a desktop with hundreds,
    twice a second in the window's process while a fit runs.
    """
    import os

    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            if parent == pid:
                return None if not os.path.isdir("/proc/self/task") else []
            continue  # a child that has just ended
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children", "rb") as fh:
                    text = fh.read()
            except FileNotFoundError:
                if parent == pid and not found:
                    return None  # the kernel does not list children
                continue
            except OSError:
                continue
            for child in text.split():
                found.append(int(child))
                todo.append(int(child))
    return found


class ProcessSampler:
    """Samples one process and its children; keeps state for CPU percentages.

    ``psutil.Process.cpu_percent`` measures since its previous call on the
    same object, so the sampler keeps the ``Process`` objects alive between
    samples.  The first sample of a process reports 0 % CPU.

    Parameters
    ----------
    pid : int
        The process to watch.
    include_gpu : bool
        Add :func:`gpu_stats` to each sample.
    """

    def __init__(self, pid: int, *, include_gpu: bool = True) -> None:
        self.pid = pid
        self._include_gpu = include_gpu
        self._process = psutil.Process(pid)
        self._children: dict[int, psutil.Process] = {}
        self._process.cpu_percent(None)  # prime the CPU counter

    def _tree(self) -> list[psutil.Process]:
        """The process and its live children, reusing known Process objects."""
        tree = [self._process]
        pids = descendant_pids(self.pid)
        if pids is None:
            try:
                pids = [child.pid for child in self._process.children(recursive=True)]
            except psutil.Error:
                pids = []
        alive: dict[int, psutil.Process] = {}
        for pid in pids:
            known = self._children.get(pid)
            if known is None:
                try:
                    known = psutil.Process(pid)
                    known.cpu_percent(None)
                except psutil.Error:
                    continue
            alive[pid] = known
        self._children = alive
        return tree + list(alive.values())

    def rss_mb(self) -> float:
        """Resident memory of the process and its children, in MB.

        Raises
        ------
        psutil.NoSuchProcess
            When the process itself is gone.
        """
        total = self._process.memory_info().rss
        for child in self._tree()[1:]:
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        return total / _MB

    def sample(self) -> ResourceSample:
        """Take one sample.

        ``cpu_percent`` follows psutil's convention: 100 means one full core,
        so a job using two cores reports about 200.

        Raises
        ------
        psutil.NoSuchProcess
            When the process itself is gone.
        """
        cpu = 0.0
        rss = 0
        for i, proc in enumerate(self._tree()):
            try:
                cpu += proc.cpu_percent(None)
                rss += proc.memory_info().rss
            except psutil.Error:
                if i == 0:
                    raise
        gpu = gpu_stats() if self._include_gpu else None
        return ResourceSample(
            cpu_percent=round(cpu, 1),
            rss_mb=round(rss / _MB, 1),
            gpu_percent=None if gpu is None else gpu[0],
            gpu_mem_mb=None if gpu is None else gpu[1],
        )


_samplers: dict[int, ProcessSampler] = {}
_samplers_lock = threading.Lock()


def sample_process(pid: int) -> ResourceSample:
    """One resource sample of process ``pid`` including its children.

    Successive calls for the same pid report the CPU use since the previous
    call (the first reports 0 %).

    Raises
    ------
    psutil.NoSuchProcess
        When no such process exists (any more).
    """
    with _samplers_lock:
        sampler = _samplers.get(pid)
        if sampler is None or not sampler._process.is_running():  # pid reused
            sampler = _samplers[pid] = ProcessSampler(pid)
    try:
        return sampler.sample()
    except psutil.NoSuchProcess:
        with _samplers_lock:
            _samplers.pop(pid, None)
        raise


def process_rss_mb(pid: int) -> float:
    """Resident memory (MB) of ``pid`` and its children."""
    return ProcessSampler(pid, include_gpu=False).rss_mb()


# -- GPU (NVML) ---------------------------------------------------------------
_nvml_lock = threading.Lock()
_nvml_handle: Any = None
_nvml_state = "unknown"  # "unknown" | "ready" | "absent"


def _nvml() -> Any:
    """The pynvml module and GPU 0's handle, or None (cached) without a GPU."""
    global _nvml_handle, _nvml_state
    with _nvml_lock:
        if _nvml_state == "unknown":
            try:
                import pynvml  # from nvidia-ml-py; optional

                pynvml.nvmlInit()
                _nvml_handle = (pynvml, pynvml.nvmlDeviceGetHandleByIndex(0))
                _nvml_state = "ready"
            except Exception:  # not installed, no driver, no device: all mean "no GPU"
                _nvml_state = "absent"
        return _nvml_handle if _nvml_state == "ready" else None


def gpu_stats() -> tuple[float, float] | None:
    """Utilisation (%) and used memory (MB) of the first NVIDIA GPU.

    Returns None when pynvml is not installed or no GPU/driver answers; that
    answer is cached so machines without a GPU pay for the check once.
    """
    nvml = _nvml()
    if nvml is None:
        return None
    pynvml, handle = nvml
    try:
        util = pynvml.nvmlDeviceGetUtilizationRates(handle)
        mem = pynvml.nvmlDeviceGetMemoryInfo(handle)
        return float(util.gpu), round(mem.used / _MB, 1)
    except Exception:
        return None
