"""The shared stream engine's frame ring: pure logic, driven by threads as a native side would."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import scgui.audio as sc
from scgui.audio.ring import FrameRing, StreamSignal


def frames(start: int, count: int, channels: int = 2) -> np.ndarray:
    values = np.arange(start, start + count, dtype=np.float32)
    return np.repeat(values[:, None], channels, axis=1)


def stall() -> sc.ServerUnavailableError:
    return sc.ServerUnavailableError("stalled")


def test_fifo_order_across_wraparound() -> None:
    ring = FrameRing(2, 7)
    taken = []
    position = 0
    for step in range(50):
        count = 1 + step % 5
        kept = ring.push(frames(position, count))
        position += kept
        taken.append(ring.take(3 + step % 2))
    taken.append(ring.take(ring.available))
    joined = np.concatenate(taken)
    np.testing.assert_array_equal(joined[:, 0], np.arange(len(joined), dtype=np.float32))


def test_overflow_drops_the_newest_and_counts() -> None:
    ring = FrameRing(1, 4)
    assert ring.push(frames(0, 3, 1)) == 3
    assert ring.push(frames(3, 3, 1)) == 1
    assert ring.overflows == 1 and ring.dropped_frames == 2
    np.testing.assert_array_equal(ring.take(10)[:, 0], [0, 1, 2, 3])


def test_pull_into_fills_silence_and_counts_underruns() -> None:
    ring = FrameRing(2, 16)
    out = np.ones((4, 2), np.float32)
    assert ring.pull_into(out) == 0 and ring.underruns == 0  # nothing written yet: no gap
    assert not out.any()
    ring.put(frames(1, 2))
    assert ring.pull_into(out) == 2
    np.testing.assert_array_equal(out[:, 0], [1, 2, 0, 0])
    assert ring.underruns == 1 and ring.silent_frames == 2


def test_reader_waits_for_a_producer_thread() -> None:
    ring = FrameRing(2, 4096)

    def produce() -> None:
        for block in range(40):
            ring.push(frames(block * 64, 64))
            time.sleep(0.001)

    producer = threading.Thread(target=produce)
    producer.start()
    got = []
    while sum(len(g) for g in got) < 2560:
        ring.wait_readable(256, timeout=2.0, on_stall=stall)
        got.append(ring.take(256))
    producer.join()
    np.testing.assert_array_equal(np.concatenate(got)[:, 0], np.arange(2560, dtype=np.float32))


def test_a_wait_larger_than_the_ring_is_capped() -> None:
    ring = FrameRing(1, 8)
    ring.push(frames(0, 8, 1))
    assert ring.wait_readable(10**9, timeout=0.1, on_stall=stall) == 8


def test_stall_raises_after_the_timeout_and_progress_restarts_it() -> None:
    ring = FrameRing(1, 1024)
    began = time.monotonic()
    with pytest.raises(sc.ServerUnavailableError):
        ring.wait_readable(1, timeout=0.2, on_stall=stall)
    assert 0.15 < time.monotonic() - began < 1.5

    def trickle() -> None:  # a frame every 0.1 s: slower than the wait wants, never stalled
        for i in range(6):
            time.sleep(0.1)
            ring.push(frames(i, 1, 1))

    thread = threading.Thread(target=trickle)
    thread.start()
    assert ring.wait_readable(6, timeout=0.3, on_stall=stall) == 6
    thread.join()


def test_fail_wakes_every_waiter_at_once_and_keeps_the_frames() -> None:
    ring = FrameRing(1, 64)
    ring.push(frames(0, 5, 1))
    errors: list[BaseException] = []

    def wait() -> None:
        try:
            ring.wait_readable(64, timeout=30, on_stall=stall)
        except sc.StreamError as exc:
            errors.append(exc)

    waiters = [threading.Thread(target=wait) for _ in range(3)]
    for thread in waiters:
        thread.start()
    time.sleep(0.05)
    began = time.monotonic()
    ring.fail(sc.StreamError("device removed"))
    for thread in waiters:
        thread.join(2)
    assert len(errors) == 3 and time.monotonic() - began < 1
    assert len(ring.take(64)) == 5  # what arrived before the failure is still there


def test_writer_waits_for_space_and_drain_waits_for_empty() -> None:
    ring = FrameRing(2, 32)
    ring.put(frames(0, 32))

    def consume() -> None:
        out = np.empty((8, 2), np.float32)
        for _ in range(8):
            time.sleep(0.005)
            ring.pull_into(out)

    thread = threading.Thread(target=consume)
    thread.start()
    assert ring.wait_writable(16, timeout=2, on_stall=stall) >= 16
    ring.wait_empty(timeout=2, on_stall=stall)
    thread.join()
    assert ring.available == 0


def test_stream_signal() -> None:
    signal = StreamSignal()
    since = signal.count
    assert not signal.wait_change(since, 0.05)
    threading.Timer(0.05, signal.bump).start()
    assert signal.wait_change(since, 2)
    signal.fail(sc.StreamError("gone"))
    with pytest.raises(sc.StreamError):
        signal.wait_change(signal.count, 2)


def test_stream_signal_run_by_its_waiter() -> None:
    """A signal whose native side moves only while the waiter runs it (a private mainloop)."""
    runs: list[float] = []

    def pump(seconds: float) -> None:  # as a mainloop run: waits, then runs callbacks
        runs.append(seconds)
        time.sleep(min(seconds, 0.01))
        if len(runs) == 3 and signal.count == 0:
            signal.bump()

    signal = StreamSignal(pump=pump)
    since = signal.count
    assert signal.wait_change(since, 2)
    assert len(runs) == 3  # run on this thread until the change, not a moment longer
    assert all(0 < seconds <= 2 for seconds in runs)
    runs.clear()
    began = time.monotonic()
    assert not signal.wait_change(signal.count, 0.05)  # nothing changes: the timeout holds
    assert time.monotonic() - began < 1
    assert runs and all(seconds <= 0.05 for seconds in runs)
    signal.fail(sc.StreamError("gone"))
    runs.clear()
    with pytest.raises(sc.StreamError):
        signal.wait_change(signal.count, 2)
    assert not runs  # a failed stream is not run again
