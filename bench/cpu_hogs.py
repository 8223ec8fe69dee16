"""Keep cores busy in other processes while a benchmark runs (what "2 hogs" means)."""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
from collections.abc import Iterator
from contextlib import contextmanager


def _spin(stop: multiprocessing.synchronize.Event) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10000))


@contextmanager
def cpu_hogs(count: int = 2) -> Iterator[None]:
    """``count`` processes spinning on the CPU for the duration of the block."""
    stop = multiprocessing.Event()
    hogs = [multiprocessing.Process(target=_spin, args=(stop,)) for _ in range(count)]
    for hog in hogs:
        hog.start()
    try:
        yield
    finally:
        stop.set()
        for hog in hogs:
            hog.join()
