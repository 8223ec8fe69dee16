"""Every format survives: a clean stop reads back sample by sample, a SIGKILL leaves a take
that opens (WAV, W64, RF64, AIFF, CAF directly; FLAC and Ogg after ``scgui recover``), with
at most the last flush interval lost. The killed writers are real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile

from scgui.engine.takefile import TakeFileError, pending_takes, recover, working_path
from scgui.engine.writer import RecordingWriter

RATE = 48000
FORMATS = ["wav", "w64", "rf64", "aiff", "caf", "flac", "ogg"]


def counting(start: int, frames: int, channels: int = 2) -> np.ndarray:
    """Frame i holds (i mod 2**16) / 2**16 (exact in float and in 24-bit PCM), per channel."""
    index = np.arange(start, start + frames)
    values = ((index % 65536) / 65536.0).astype(np.float32)
    columns = [values * (1.0 if c == 0 else -1.0) for c in range(channels)]
    return np.stack(columns, axis=1)


def check_counting(data: np.ndarray, lossy: bool) -> None:
    expected = counting(0, len(data), data.shape[1])
    if lossy:
        # Vorbis: the shape survives, not the samples.
        assert np.corrcoef(data[:, 0], expected[:, 0])[0, 1] > 0.99
    else:
        np.testing.assert_array_equal(data, expected)


@pytest.mark.parametrize("extension", FORMATS)
def test_clean_stop_reads_back_sample_by_sample(tmp_path: Path, extension: str) -> None:
    path = tmp_path / f"take.{extension}"
    with RecordingWriter(path, RATE, 2) as writer:
        for start in range(0, 3 * RATE, 4800):
            writer.write(counting(start, 4800))
    data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    assert rate == RATE and len(data) == 3 * RATE
    check_counting(data, lossy=extension == "ogg")
    assert not working_path(path).exists() and pending_takes(tmp_path) == []


def run_writer_until_killed(path: Path, seconds: float) -> tuple[int, int]:
    """Record ``seconds`` of counting audio in a child at real-time pace, SIGKILL it.

    Returns (frames the writer had written, frames it had been given) at the kill.
    """
    code = f"""
        import sys, time
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_takefile import counting
        from scgui.engine.writer import RecordingWriter
        writer = RecordingWriter({str(path)!r}, {RATE}, 2, flush_interval=0.5)
        writer.start()
        began, start = time.monotonic(), 0
        while True:
            writer.write(counting(start, 2400))
            start += 2400
            if start >= {int(seconds * RATE)}:
                done = writer.frames_written  # read once: what is printed decides
                print(done, start, flush=True)
                if done >= {int(seconds * RATE)}:
                    break
            time.sleep(max(0.0, began + start / {RATE} - time.monotonic()))
        time.sleep(3600)  # killed here, mid-take
    """
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True
    )
    watchdog = threading.Timer(60, child.kill)  # a child that never reports cannot hang us
    watchdog.start()
    try:
        assert child.stdout is not None
        written = given = 0
        for line in child.stdout:
            written, given = (int(word) for word in line.split())
            if written >= int(seconds * RATE):
                break
        child.send_signal(signal.SIGKILL)
    finally:
        watchdog.cancel()
        child.wait(10)
    return written, given


@pytest.mark.parametrize("extension", FORMATS)
def test_sigkill_leaves_a_readable_take(tmp_path: Path, extension: str) -> None:
    path = tmp_path / f"killed.{extension}"
    written, given = run_writer_until_killed(path, 2.0)
    if extension in ("flac", "ogg"):
        assert pending_takes(tmp_path) == [working_path(path)]
        result = subprocess.run(
            [sys.executable, "-m", "scgui", "recover", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("Recovered ") and str(path) in result.stdout
        assert pending_takes(tmp_path) == []
    data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    assert rate == RATE
    assert written - RATE <= len(data) <= given, (len(data), written)  # at most 1 s lost
    check_counting(data, lossy=extension == "ogg")


def test_recover_says_what_stops_it(tmp_path: Path) -> None:
    with pytest.raises(TakeFileError, match="nothing to recover"):
        recover(tmp_path / "none.flac")
    result = subprocess.run(
        [sys.executable, "-m", "scgui", "recover", str(tmp_path / "none.flac")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "nothing to recover" in result.stderr
    # A non-empty file at the target is never replaced.
    path = tmp_path / "kept.flac"
    soundfile.write(working_path(path), counting(0, 100), RATE, format="W64")
    path.write_bytes(b"precious")
    with pytest.raises(TakeFileError, match="already exists"):
        recover(path)
    assert path.read_bytes() == b"precious" and working_path(path).exists()


def test_working_file_of_a_failed_flac_take_is_kept(tmp_path: Path) -> None:
    """Disk limit hit mid-take (RLIMIT_FSIZE): the error names the working file and recover."""
    path = tmp_path / "limited.flac"
    code = f"""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (400_000, 400_000))
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_takefile import counting
        from scgui.engine.writer import RecordingError, RecordingWriter
        writer = RecordingWriter({str(path)!r}, {RATE}, 2, flush_interval=0.1)
        writer.start()
        try:
            for start in range(0, 10 * {RATE}, 4800):
                writer.write(counting(start, 4800))
            writer.stop()
        except RecordingError as exc:
            print("ERROR", exc)
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )
    assert "ERROR" in result.stdout, result.stdout + result.stderr
    assert "scgui recover" in result.stdout and working_path(path).name in result.stdout
    made = recover(path)
    data, _ = soundfile.read(path, dtype="float32", always_2d=True)
    assert made.frames == len(data) > RATE // 2
    check_counting(data, lossy=False)
    assert os.path.getsize(path) > 0
