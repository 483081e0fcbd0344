"""Python's garbage collector in the window's process: what start-up leaves behind.

See :func:`settle_long_lived_objects`; the collector itself runs on the GUI
thread from a timer (``app.collect_garbage_on_gui_thread``).
"""

from __future__ import annotations

_settled = False


def settle_long_lived_objects() -> bool:
    """Once per process, when start-up is over: what is alive leaves the cyclic collector's sight.

    The modules, classes and widgets made at start-up (~60,000 objects a
    window) stay in the young generations until the timer's first
    generation-1 collection, which came in the middle of the first fit and
    cost 40–120 ms of the GUI thread; every full collection scans them all
    again (50–200 ms here).  ``gc.freeze`` after one full collection keeps
    them out of every later collection.  Frozen objects are still freed when
    nothing refers to them; only a reference cycle made of them alone would
    stay (start-up objects live as long as the window anyway).  Returns
    True when it froze (the first call).
    """
    global _settled
    if _settled:
        return False
    import gc

    _settled = True
    gc.collect()
    gc.freeze()
    return True
