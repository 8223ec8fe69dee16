"""Measurement runs (routing check, latency) on a thread of their own, for the window.

The runs themselves live in :mod:`scgui.measure.runs`, shared with the command line and the
tests; this only runs one off the GUI thread and reports progress, the result, a failure or
a cancellation through Qt signals.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

import scgui.audio as sc
from scgui.measure import latency, runs

from .problems import Problem

_log = logging.getLogger(__name__)


class MeasurementThread(QThread):
    """Runs one measurement function; ``cancel()`` stops it between steps."""

    progressed = Signal(int, int)  # done, total
    succeeded = Signal(object)  # the function's result
    failed = Signal(object)  # a Problem: the message and its traceback
    cancelled = Signal(object)  # the partial result, if any

    def __init__(
        self, function: Callable[..., Any], parent: QObject | None = None, **kwargs: Any
    ) -> None:
        super().__init__(parent)
        self._function = function
        self._kwargs = kwargs
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        try:
            result = self._function(
                progress=lambda done, total: self.progressed.emit(done, total),
                cancel=self._cancel,
                **self._kwargs,
            )
        except runs.Cancelled as exc:
            self.cancelled.emit(getattr(exc, "partial", None))
        except (sc.AudioError, runs.MeasurementError, ValueError, OSError) as exc:
            self.failed.emit(Problem.of(str(exc), exc))
        except Exception as exc:  # report, never kill the app from a worker thread
            _log.exception("the measurement failed unexpectedly")
            self.failed.emit(Problem.of(f"The measurement failed unexpectedly: {exc!r}", exc))
        else:
            self.succeeded.emit(result)


def routing_check(parent: QObject | None = None, **kwargs: Any) -> MeasurementThread:
    """A thread that runs :func:`scgui.measure.runs.check_routing` with ``kwargs``."""
    return MeasurementThread(runs.check_routing, parent, **kwargs)


def latency_measurement(parent: QObject | None = None, **kwargs: Any) -> MeasurementThread:
    """A thread that runs :func:`scgui.measure.latency.measure_latency` with ``kwargs``."""
    return MeasurementThread(latency.measure_latency, parent, **kwargs)
