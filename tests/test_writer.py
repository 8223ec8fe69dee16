"""Tests of scgui.engine.writer: the recording writer thread and its file handling."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import soundfile

from scgui.engine.writer import (
    RecordingError,
    RecordingExistsError,
    RecordingSizeLimitError,
    RecordingWriter,
    default_recording_path,
)

RATE = 48000


def noise(frames: int, channels: int, seed: int = 0, scale: float = 0.5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (scale * rng.uniform(-1.0, 1.0, (frames, channels))).astype(np.float32)


def sines(frames: int, channels: int) -> np.ndarray:
    t = np.arange(frames) / RATE
    freqs = 440.0 * (1 + np.arange(channels))
    return (0.4 * np.sin(2 * np.pi * t[:, None] * freqs[None, :])).astype(np.float32)


def record(path: Path, data: np.ndarray, block: int = 4800, **kwargs: object) -> RecordingWriter:
    writer = RecordingWriter(path, RATE, data.shape[1], **kwargs)  # type: ignore[arg-type]
    writer.start()
    for start in range(0, data.shape[0], block):
        writer.write(data[start : start + block])
    return writer


def wait_until(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the writer thread")
        time.sleep(0.01)


# -- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("extension", ["wav", "w64", "rf64", "caf", "aiff"])
def test_float_formats_round_trip_exactly(tmp_path: Path, extension: str) -> None:
    data = noise(RATE, 3)
    path = tmp_path / f"take.{extension}"
    summary = record(path, data).stop()
    assert summary.frames == RATE
    assert summary.seconds == pytest.approx(1.0)
    assert summary.subtype == "FLOAT"
    assert summary.frames_lost == 0
    assert summary.bytes_on_disk == path.stat().st_size > RATE * 3 * 4
    back, rate = soundfile.read(path, dtype="float32")
    assert rate == RATE
    np.testing.assert_array_equal(back, data)


def test_flac_is_24_bit_and_close(tmp_path: Path) -> None:
    data = noise(RATE, 2)
    path = tmp_path / "take.flac"
    summary = record(path, data).stop()
    assert (summary.format, summary.subtype) == ("FLAC", "PCM_24")
    info = soundfile.info(path)
    assert (info.format, info.subtype, info.frames, info.channels) == ("FLAC", "PCM_24", RATE, 2)
    back, _ = soundfile.read(path, dtype="float32")
    # 24-bit quantisation: at most half a step of 2**-23, plus float32 rounding.
    np.testing.assert_allclose(back, data, rtol=0, atol=2**-23)


def test_ogg_vorbis_has_the_right_length_and_correlates(tmp_path: Path) -> None:
    data = sines(2 * RATE, 2)
    path = tmp_path / "take.ogg"
    summary = record(path, data).stop()
    assert (summary.format, summary.subtype) == ("OGG", "VORBIS")
    back, rate = soundfile.read(path, dtype="float32")
    assert rate == RATE
    assert back.shape == data.shape
    for channel in range(2):
        correlation = np.corrcoef(back[:, channel], data[:, channel])[0, 1]
        assert correlation > 0.99


def test_explicit_format_and_subtype(tmp_path: Path) -> None:
    data = noise(4800, 2)
    path = tmp_path / "big.wav"
    summary = record(path, data, format="RF64", subtype="PCM_16").stop()
    info = soundfile.info(path)
    assert (info.format, info.subtype) == ("RF64", "PCM_16")
    assert (summary.format, summary.subtype) == ("RF64", "PCM_16")
    back, _ = soundfile.read(path, dtype="float32")
    np.testing.assert_allclose(back, data, atol=2**-15)


def test_many_small_writes_arrive_in_order(tmp_path: Path) -> None:
    writer = RecordingWriter(tmp_path / "small.wav", RATE, 2)
    writer.start()
    blocks = []
    for index in range(1000):
        frames = 1 + index % 7
        block = np.empty((frames, 2), dtype=np.float32)
        block[:, 0] = index / 1000.0
        block[:, 1] = -np.arange(frames) / 8.0
        writer.write(block)
        blocks.append(block)
    summary = writer.stop()
    expected = np.concatenate(blocks)
    assert summary.frames == expected.shape[0]
    back, _ = soundfile.read(tmp_path / "small.wav", dtype="float32")
    np.testing.assert_array_equal(back, expected)


def test_write_copies_the_block(tmp_path: Path) -> None:
    writer = RecordingWriter(tmp_path / "copy.wav", RATE, 1)
    writer.start()
    buffer = np.full((100, 1), 0.25, dtype=np.float32)
    writer.write(buffer)
    buffer[:] = 0.75  # the caller reuses its buffer at once
    writer.write(buffer)
    writer.stop()
    back, _ = soundfile.read(tmp_path / "copy.wav", dtype="float32", always_2d=True)
    np.testing.assert_array_equal(back[:100, 0], 0.25)
    np.testing.assert_array_equal(back[100:, 0], 0.75)


def test_float64_input_is_written_as_float32(tmp_path: Path) -> None:
    data = noise(1000, 1).astype(np.float64)
    record(tmp_path / "f64.wav", data).stop()
    back, _ = soundfile.read(tmp_path / "f64.wav", dtype="float32", always_2d=True)
    np.testing.assert_array_equal(back, data.astype(np.float32))


def test_context_manager(tmp_path: Path) -> None:
    with RecordingWriter(tmp_path / "ctx.flac", RATE, 1) as writer:
        writer.write(noise(1000, 1))
    assert not writer.is_running
    assert soundfile.info(tmp_path / "ctx.flac").frames == 1000


# -- never blocking, flushing ----------------------------------------------------------------


def test_write_does_not_wait_for_a_slow_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = soundfile.SoundFile.write
    gate = threading.Event()

    def slow_write(self: soundfile.SoundFile, data: np.ndarray) -> None:
        gate.wait(timeout=10.0)  # the disk hangs until the test releases it
        real_write(self, data)

    monkeypatch.setattr(soundfile.SoundFile, "write", slow_write)
    writer = RecordingWriter(tmp_path / "slow.wav", RATE, 2)
    writer.start()
    data = noise(50 * 480, 2)
    began = time.perf_counter()
    for start in range(0, data.shape[0], 480):
        writer.write(data[start : start + 480])
    assert time.perf_counter() - began < 0.5
    assert writer.frames_written == 0
    assert writer.queued_frames == data.shape[0]
    gate.set()
    summary = writer.stop()
    assert summary.frames == data.shape[0]
    assert writer.queued_frames == 0
    back, _ = soundfile.read(tmp_path / "slow.wav", dtype="float32")
    np.testing.assert_array_equal(back, data)


@pytest.mark.parametrize("extension", ["wav", "w64", "rf64", "aiff", "caf"])
def test_file_is_readable_mid_recording(tmp_path: Path, extension: str) -> None:
    """Within a second of writing, the file on disk is complete: a kill would lose nothing."""
    data = noise(RATE // 2, 2)
    path = tmp_path / f"live.{extension}"
    writer = record(path, data)
    try:
        time.sleep(1.5)
        assert writer.is_running
        info = soundfile.info(path)
        assert info.frames == RATE // 2
        back, _ = soundfile.read(path, dtype="float32")
        np.testing.assert_array_equal(back, data)
        assert writer.bytes_on_disk == path.stat().st_size
        # And again after more audio, to see that every flush updates the header.
        writer.write(data)
        time.sleep(1.5)
        assert soundfile.info(path).frames == RATE
    finally:
        writer.stop()


def test_periodic_flush_interval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flushes: list[float] = []
    real_flush = soundfile.SoundFile.flush

    def counting_flush(self: soundfile.SoundFile) -> None:
        flushes.append(time.monotonic())
        real_flush(self)

    monkeypatch.setattr(soundfile.SoundFile, "flush", counting_flush)
    writer = RecordingWriter(tmp_path / "tick.wav", RATE, 1, flush_interval=0.2)
    writer.start()
    began = time.monotonic()
    while time.monotonic() - began < 1.0:  # a steady stream of small blocks
        writer.write(noise(48, 1))
        time.sleep(0.005)
    during = len(flushes)
    writer.stop()
    assert 3 <= during <= 7
    assert np.all(np.diff(flushes[:during]) >= 0.19)


# -- refusals at start() ---------------------------------------------------------------------


def test_existing_file_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "keep.wav"
    path.write_bytes(b"precious")
    writer = RecordingWriter(path, RATE, 2)
    with pytest.raises(RecordingExistsError, match="already exists") as caught:
        writer.start()
    assert isinstance(caught.value, FileExistsError)
    assert isinstance(caught.value, RecordingError)
    assert path.read_bytes() == b"precious"
    assert not writer.is_running


def test_overwrite_true_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "again.wav"
    path.write_bytes(b"old" * 1000)
    data = noise(100, 2)
    record(path, data, overwrite=True).stop()
    back, _ = soundfile.read(path, dtype="float32")
    np.testing.assert_array_equal(back, data)


@pytest.mark.parametrize("name", ["take.xyz", "take", "take.mp4"])
def test_unknown_extension(tmp_path: Path, name: str) -> None:
    writer = RecordingWriter(tmp_path / name, RATE, 2)
    with pytest.raises(RecordingError, match=r"not a known audio file type.*\.flac"):
        writer.start()
    assert list(tmp_path.iterdir()) == []


def test_invalid_subtype_for_the_format(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match=r"cannot store subtype 'FLOAT'.*PCM_24"):
        RecordingWriter(tmp_path / "x.flac", RATE, 2, subtype="FLOAT").start()
    assert list(tmp_path.iterdir()) == []


def test_missing_folder(tmp_path: Path) -> None:
    writer = RecordingWriter(tmp_path / "no" / "such" / "take.wav", RATE, 2)
    with pytest.raises(RecordingError, match="does not exist"):
        writer.start()


def test_parent_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "notafolder"
    blocker.write_text("x")
    with pytest.raises(RecordingError, match="not a folder"):
        RecordingWriter(blocker / "take.wav", RATE, 2).start()


def test_path_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "take.wav").mkdir()
    with pytest.raises(RecordingError, match="folder of that name"):
        RecordingWriter(tmp_path / "take.wav", RATE, 2, overwrite=True).start()


_READ_ONLY_CHECK = """
import sys
from scgui.engine.writer import RecordingError, RecordingWriter
for overwrite in (False, True):
    try:
        RecordingWriter(sys.argv[1], 48000, 2, overwrite=overwrite).start()
    except RecordingError as exc:
        print(type(exc).__name__, exc)
    else:
        print("no error")
"""


def test_read_only_folder(tmp_path: Path) -> None:
    """A folder without write permission fails at start() with a message saying so.

    The suite runs as root here, and root writes anywhere; so as root the check runs in a
    child process without the capability that bypasses file permissions (``setpriv``).
    """
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    target = str(folder / "take.wav")
    try:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                pytest.skip("running as root without setpriv to drop CAP_DAC_OVERRIDE")
            command = [setpriv, "--bounding-set=-dac_override,-dac_read_search"]
            result = subprocess.run(
                [*command, sys.executable, "-c", _READ_ONLY_CHECK, target],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
                cwd=Path(__file__).resolve().parents[1],
            )
            lines = result.stdout.splitlines()
        else:
            lines = []
            for overwrite in (False, True):
                with pytest.raises(RecordingError) as info:
                    RecordingWriter(target, RATE, 2, overwrite=overwrite).start()
                lines.append(f"{type(info.value).__name__} {info.value}")
        assert len(lines) == 2
        for line in lines:
            assert line.startswith("RecordingError ")
            assert "no permission to create files" in line
            assert "Choose a folder you can write to" in line
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_format_limits_reported_at_start(tmp_path: Path) -> None:
    """libsndfile refuses 9 channels of FLAC: the message says what was asked for."""
    with pytest.raises(RecordingError, match="9 channels"):
        RecordingWriter(tmp_path / "wide.flac", RATE, 9).start()
    assert list(tmp_path.iterdir()) == []  # the placeholder was removed


# -- failures while recording ----------------------------------------------------------------


def test_disk_full_in_the_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "full.wav"
    data = noise(3 * 4800, 2)
    writer = record(path, data)
    wait_until(lambda: writer.frames_written == data.shape[0])

    def full_disk(self: soundfile.SoundFile, block: np.ndarray) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(soundfile.SoundFile, "write", full_disk)
    writer.write(noise(4800, 2, seed=1))
    wait_until(lambda: writer.error is not None)
    assert isinstance(writer.error, OSError)
    # Nothing written before the failure is lost: the thread closed the file properly.
    back, _ = soundfile.read(path, dtype="float32")
    np.testing.assert_array_equal(back, data)

    with pytest.raises(RecordingError, match=r"disk is full.*0\.3 s.*free some space") as info:
        writer.write(noise(10, 2))
    assert info.value.__cause__ is writer.error
    with pytest.raises(RecordingError, match="disk is full") as info:
        writer.stop()
    summary = info.value.summary
    assert summary is not None
    assert summary.frames == data.shape[0]
    assert summary.frames_lost == 4800
    assert writer.queued_frames == 0
    back, _ = soundfile.read(path, dtype="float32")
    np.testing.assert_array_equal(back, data)


def test_queued_blocks_behind_a_failure_are_counted_as_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()

    def failing_write(self: soundfile.SoundFile, block: np.ndarray) -> None:
        gate.wait(timeout=10.0)
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(soundfile.SoundFile, "write", failing_write)
    writer = RecordingWriter(tmp_path / "eio.wav", RATE, 1)
    writer.start()
    for _ in range(5):
        writer.write(noise(100, 1))
    gate.set()
    with pytest.raises(RecordingError, match=r"stopped responding.*connected") as info:
        writer.stop()
    assert info.value.summary is not None
    assert info.value.summary.frames == 0
    assert info.value.summary.frames_lost == 500
    assert soundfile.info(tmp_path / "eio.wav").frames == 0  # an empty but valid file


def test_wav_size_limit_refuses_the_block_and_keeps_the_file(tmp_path: Path) -> None:
    path = tmp_path / "limit.wav"
    bytes_per_frame = 2 * 4
    writer = RecordingWriter(path, RATE, 2, max_bytes=10_000 * bytes_per_frame)
    writer.start()
    data = noise(10_000, 2)
    writer.write(data[:6000])
    writer.write(data[6000:])  # exactly at the limit: accepted
    with pytest.raises(RecordingSizeLimitError, match=r"limit of the WAV format.*\.w64") as info:
        writer.write(noise(1, 2))
    assert isinstance(info.value, RecordingError)
    assert writer.error is None  # not a failure of the thread: stop() finishes normally
    summary = writer.stop()
    assert summary.frames == 10_000
    back, _ = soundfile.read(path, dtype="float32")
    np.testing.assert_array_equal(back, data)


def test_default_size_limit_only_for_32_bit_formats(tmp_path: Path) -> None:
    aiff = RecordingWriter(tmp_path / "a.aiff", RATE, 2)
    w64 = RecordingWriter(tmp_path / "a.w64", RATE, 2)
    plain_wav = RecordingWriter(tmp_path / "b.wav", RATE, 2, format="WAV")
    for writer in (aiff, w64, plain_wav):
        writer.start()
    try:
        assert aiff._max_bytes is not None and 4.2e9 < aiff._max_bytes < 2**32
        assert plain_wav._max_bytes is not None  # WAV asked for explicitly keeps the limit
        assert w64._max_bytes is None
    finally:
        for writer in (aiff, w64, plain_wav):
            writer.stop()


def test_wav_goes_past_4_gib_as_rf64_and_stays_wav_when_small(tmp_path: Path) -> None:
    path = tmp_path / "take.wav"
    writer = RecordingWriter(path, RATE, 2)
    writer.start()
    assert writer._max_bytes is None  # no 4 GiB stop: written as RF64 while recording
    data = noise(RATE // 10, 2)
    writer.write(data)
    writer.stop()
    assert soundfile.info(str(path)).format in ("WAV", "WAVEX")  # small takes end as WAV
    back, _ = soundfile.read(str(path), dtype="float32")
    np.testing.assert_array_equal(back, data)


# -- life cycle ------------------------------------------------------------------------------


def test_life_cycle_errors_and_idempotent_stop(tmp_path: Path) -> None:
    writer = RecordingWriter(tmp_path / "life.wav", RATE, 2)
    with pytest.raises(RuntimeError, match="start"):
        writer.write(noise(10, 2))
    writer.start()
    with pytest.raises(RuntimeError, match="once"):
        writer.start()
    with pytest.raises(ValueError, match="frames x 2"):
        writer.write(noise(10, 3))
    with pytest.raises(ValueError, match="frames x 2"):
        writer.write(np.zeros(10, dtype=np.float32))
    with pytest.raises(TypeError, match="floating point"):
        writer.write(np.zeros((10, 2), dtype=np.int16))
    writer.write(np.zeros((0, 2), dtype=np.float32))  # empty: ignored
    writer.write(noise(10, 2))
    first = writer.stop()
    assert first.frames == 10
    assert writer.stop() == first
    with pytest.raises(RuntimeError, match="after stop"):
        writer.write(noise(10, 2))


def test_stop_without_start_is_harmless(tmp_path: Path) -> None:
    writer = RecordingWriter(tmp_path / "never.wav", RATE, 1)
    summary = writer.stop()
    assert summary.frames == 0
    assert summary.bytes_on_disk == 0
    assert not (tmp_path / "never.wav").exists()


def test_bad_constructor_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        RecordingWriter(tmp_path / "x.wav", 0, 2)
    with pytest.raises(ValueError):
        RecordingWriter(tmp_path / "x.wav", RATE, 0)
    with pytest.raises(ValueError):
        RecordingWriter(tmp_path / "x.wav", RATE, 2, flush_interval=0)


# -- default_recording_path ------------------------------------------------------------------


def test_default_recording_path_names_and_numbers(tmp_path: Path) -> None:
    when = datetime(2024, 3, 5, 7, 8, 9)
    first = default_recording_path(tmp_path, now=when)
    assert first == tmp_path / "scgui-20240305-070809.wav"
    first.touch()
    second = default_recording_path(tmp_path, now=when)
    assert second == tmp_path / "scgui-20240305-070809-2.wav"
    second.touch()
    assert default_recording_path(tmp_path, now=when).name == "scgui-20240305-070809-3.wav"
    assert default_recording_path(tmp_path, ".flac", now=when).suffix == ".flac"
    assert default_recording_path(str(tmp_path), "flac", now=when).name.endswith("09.flac")


def test_default_recording_path_uses_the_current_time(tmp_path: Path) -> None:
    before = datetime.now().replace(microsecond=0)
    name = default_recording_path(tmp_path).name
    stamp = datetime.strptime(name, "scgui-%Y%m%d-%H%M%S.wav")
    assert before <= stamp <= datetime.now()
