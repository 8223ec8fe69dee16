"""The ``scgui`` command as a script meets it: real processes against the test rig.

Every error is one line on stderr (``scgui: error: ...``), never a traceback; the exit status
is 2 for bad usage, 1 for a failure while running, 0 only when the job was done. A take
survives a full disk, a file-size limit and a SIGKILL of the command itself, and what it
kept opens with soundfile. The processes inherit ``PULSE_SERVER`` and friends from the
session's rig (``conftest.py``).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

from scgui import __version__, cli
from scgui.engine.takefile import pending_takes, working_path
from scgui.virtual_rig import MULTI8, SCARLETT

RATE = 48000
LOOPBACK = SCARLETT.monitor  # what the rig's default speaker plays: a stereo loopback
DEAD_SERVER = "unix:/nonexistent/socket"


def scgui(
    *args: str, env: dict[str, str] | None = None, **options: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m scgui ARGS`` to the end (``env``: variables to change)."""
    return subprocess.run(
        [sys.executable, "-m", "scgui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        **options,
    )


def error_line(result: subprocess.CompletedProcess[str], status: int, banner: bool = False) -> str:
    """The one ``scgui: error:`` line of a failed run, checked; ``banner``: after "Recording"."""
    output = f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert result.returncode == status, output
    assert "Traceback" not in result.stdout + result.stderr, output
    lines = result.stderr.splitlines()
    if banner:  # a take that failed after it started: its "Recording ..." line comes first
        assert len(lines) == 2 and lines[0].startswith("Recording "), output
        lines = lines[1:]
    assert len(lines) == 1 and lines[0].startswith("scgui: error: "), output
    return lines[0]


# -- bad values and other one-line errors, every case its own process ------------------------

RECORD = ["record", "-i", LOOPBACK, "-o", "{out}"]
LATENCY = ["latency", "-o", MULTI8.name, "-i", MULTI8.monitor]
ROUTING = ["check-routing", "-o", MULTI8.name, "-i", MULTI8.monitor]

#: id -> (arguments, exit status, words the error line must contain). ``{out}`` is a file in
#: the scratch folder ``{dir}``, which every case must leave empty.
CASES: dict[str, tuple[list[str], int, str]] = {
    "record -s 0": ([*RECORD, "-s", "0"], 2, "--seconds 0: a duration must be more than 0"),
    "record -s -1": ([*RECORD, "-s", "-1"], 2, "--seconds -1: a duration must be more than 0"),
    "record -s nan": ([*RECORD, "-s", "nan"], 2, "--seconds nan: not a finite number"),
    "record -s inf": ([*RECORD, "-s", "inf"], 2, "--seconds inf: not a finite number"),
    "record -r 0": ([*RECORD, "-r", "0"], 2, "--samplerate 0: samplerate must be a positive"),
    "record -r -48000": ([*RECORD, "-r", "-48000"], 2, "--samplerate -48000:"),
    "record -c 0": ([*RECORD, "-c", "0"], 2, "--channels 0: '0' is not a channel: channels are "),
    "record -c -3": ([*RECORD, "-c", "-3"], 2, "for the mono mix, type mix"),
    # The device decides the rest, by the library's rule, still before anything is recorded.
    "record -c 5": ([*RECORD, "-c", "5"], 2, "has channels 1 to 2 (numbered from 1)"),
    "record without -o": (["record", "-s", "1"], 2, "required: --output"),
    "latency --level-db nan": ([*LATENCY, "--level-db", "nan"], 2, "--level-db nan: not a"),
    "latency --level-db inf": ([*LATENCY, "--level-db", "inf"], 2, "--level-db inf: not a"),
    "latency --level-db 1": ([*LATENCY, "--level-db", "1"], 2, "above 0 dBFS would clip"),
    "latency --repeats 0": ([*LATENCY, "--repeats", "0"], 2, "--repeats 0: at least one take"),
    "latency -n -1": ([*LATENCY, "-n", "-1"], 2, "--repeats -1: at least one take"),
    "check-routing --level-db nan": ([*ROUTING, "--level-db", "nan"], 2, "--level-db nan:"),
    "check-routing --level-db 3": ([*ROUTING, "--level-db", "3"], 2, "would clip"),
    "check-routing -c 0": ([*ROUTING, "-c", "0"], 2, "--channels 0: '0' is not a channel"),
    "check-routing -r -1": ([*ROUTING, "-r", "-1"], 2, "--samplerate -1:"),
    "check-routing --thd-at 0": ([*ROUTING, "--thd-at", "0"], 2, "must be above 0 Hz"),
    "check-routing --thd-at x": ([*ROUTING, "--thd-at", "1000,x"], 2, "frequencies in Hz"),
    "check-routing --thd-at 15000": (
        [*ROUTING, "--thd-at", "15000"],
        2,
        "THD can be measured from 40 Hz to 8000 Hz at 48000 Hz",
    ),
    "unknown command": (["transmogrify"], 2, "invalid choice: 'transmogrify'"),
    # Failures while running: status 1.
    "record to a missing folder": (
        ["record", "-i", LOOPBACK, "-o", "{dir}/missing/take.wav", "-s", "0.5"],
        1,
        "does not exist",
    ),
}
#: Cases run against a server that is not there.
DEAD_CASES = {"devices without a server": (["devices"], 1, "Cannot connect")}


@pytest.fixture(scope="module")
def case_results(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, subprocess.CompletedProcess[str]]]:
    """Every case's process, run side by side once (each is mostly Python starting up)."""
    folder = tmp_path_factory.mktemp("cases")
    out = str(folder / "never.wav")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {
            name: pool.submit(
                scgui,
                *(arg.format(out=out, dir=folder) for arg in args),
                env={"PULSE_SERVER": DEAD_SERVER} if name in DEAD_CASES else None,
                cwd=folder,
            )
            for name, (args, _, _) in {**CASES, **DEAD_CASES}.items()
        }
        results = {name: future.result() for name, future in futures.items()}
    return folder, results


@pytest.mark.parametrize("case", [*CASES, *DEAD_CASES])
def test_errors_are_one_line_with_the_right_status(case: str, case_results) -> None:
    folder, results = case_results
    _, status, words = {**CASES, **DEAD_CASES}[case]
    line = error_line(results[case], status)
    assert words in line
    if status == 2:
        assert line.endswith("--help')")  # where to read what is expected
    assert sorted(p.name for p in folder.iterdir()) == []  # nothing was recorded


@pytest.mark.parametrize(
    ("args", "status", "words"),
    [
        ([*RECORD, "-s", "ten"], 2, "--seconds ten: give a duration in seconds as a number"),
        ([*RECORD, "-r", "44.1"], 2, "--samplerate 44.1: samplerate must be a positive whole"),
        ([*RECORD, "-r", "fast"], 2, "--samplerate fast: samplerate must be a number"),
        ([*RECORD, "-c", "1,-2"], 2, "--channels 1,-2: '-2' is not a channel: channels are num"),
        ([*RECORD, "-c", ","], 2, "--channels ,: name at least one channel"),
        ([*RECORD, "-c", "left"], 2, "--channels left: 'left' is not a channel number"),
        (
            [*RECORD, "-c", "1,5"],
            2,
            "--channels 1,5: Monitor of Focusrite Scarlett 2i2 has channels 1 to 2",
        ),
        ([*RECORD, "-c", "4-2"], 2, "a range goes up, such as 1-8"),
        ([*RECORD, "-s", "1", "-r", "1000000000"], 2, "--samplerate 1000000000:"),
        ([*LATENCY, "--output-channel", "0"], 2, "--output-channel 0: '0' is not a channel"),
        ([*LATENCY, "--input-channel", "x"], 2, "--input-channel x: 'x' is not a channel number"),
        ([*LATENCY, "--output-channel", "9"], 2, "there is no channel 9 (index 8"),
        ([*LATENCY, "-n", "2.5"], 2, "--repeats 2.5: give the number of takes"),
        ([*ROUTING, "--level-db", "loud"], 2, "--level-db loud: give a level in dBFS"),
        ([*ROUTING, "-c", "1,10"], 2, "has output channels 1 to 8"),
        (["devices", "--colour"], 2, "unrecognized arguments: --colour"),
        (["play", "x.wav", "-c", "0"], 2, "--channels 0: '0' is not a channel"),
        ([*RECORD[:-1], "{out}.txt", "-s", "0.5"], 1, "'.txt' is not a known audio file type"),
        (["recover", "{out}.flac"], 1, "nothing to recover"),
        (["record", "-i", "no such card", "-o", "{out}"], 1, "no such card"),
    ],
)
def test_more_values_in_process(capsys, tmp_path: Path, args, status: int, words: str) -> None:
    """More of the same rules, through :func:`scgui.cli.main` (no process start-up)."""
    out = str(tmp_path / "never.wav")
    code = cli.main([arg.format(out=out, dir=tmp_path) for arg in args])
    captured = capsys.readouterr()
    assert code == status, captured.err
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("scgui: error: ") and words in captured.err
    assert list(tmp_path.iterdir()) == []


def test_an_unexpected_error_is_one_line_asking_for_a_report() -> None:
    code = (
        "import sys, scgui.cli as cli\n"
        "def broken(**_): raise ZeroDivisionError('no')\n"
        "cli.list_devices = broken\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    command = [sys.executable, "-c", code, "devices"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    line = error_line(result, 1)
    assert "unexpected ZeroDivisionError: no" in line and "please report" in line
    # --debug logs the traceback to report (through logging, on request).
    debug = subprocess.run(
        [*command[:-1], "--debug", "devices"], capture_output=True, text=True, timeout=60
    )
    assert debug.returncode == 1 and "Traceback" in debug.stderr
    assert debug.stderr.splitlines()[-1] == line


def test_help_documents_the_exit_statuses(capsys) -> None:
    result = scgui("--help")
    assert result.returncode == 0 and result.stderr == ""
    assert "exit status:" in result.stdout
    for status in ("0  the job was done", "1  it failed while running", "2  bad usage"):
        assert status in result.stdout
    for command in ("devices", "record", "play", "recover", "check-routing", "latency"):
        assert cli.main([command, "--help"]) == 0
        out = capsys.readouterr().out
        assert "exit status:" in out and "2  bad usage" in out, command
        if command == "check-routing":
            assert "check-routing exits 0 only when every channel passes" in " ".join(out.split())


# -- play ------------------------------------------------------------------------------------


def test_play_of_what_is_not_a_sound_file(tmp_path: Path) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("not a sound\n")
    line = error_line(scgui("play", str(text)), 1)
    assert f"Cannot open {text} for playback" in line
    line = error_line(scgui("play", str(tmp_path / "missing.flac")), 1)
    assert "There is no file" in line and "missing.flac" in line


def test_play_in_process(capsys, tmp_path: Path) -> None:
    assert cli.main(["play", str(tmp_path)]) == 1
    assert "is a folder, not a sound file" in capsys.readouterr().err
    mono = tmp_path / "mono.wav"
    soundfile.write(mono, np.zeros((RATE // 10, 1), dtype=np.float32), RATE)
    assert cli.main(["play", str(mono), "-o", SCARLETT.name, "-c", "1,2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--channels 1,2 gives 2 channel(s) but" in err
    assert cli.main(["play", str(mono), "-o", SCARLETT.name, "-c", "2"]) == 0
    assert capsys.readouterr().err.startswith(f"Played {mono} on {SCARLETT.description}")


# -- record: a clean take, and takes the disk cut short ---------------------------------------


@pytest.mark.parametrize(
    ("extension", "channels", "columns"), [("wav", [], 2), ("flac", ["-c", "2"], 1)]
)
def test_record_writes_exactly_what_was_asked(
    tmp_path: Path, extension: str, channels: list[str], columns: int
) -> None:
    path = tmp_path / f"take.{extension}"
    result = scgui("record", "-i", LOOPBACK, "-o", str(path), "-s", "0.5", *channels)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1] == f"Wrote {RATE // 2} frames (0.50 s) to {path}"
    data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    assert rate == RATE and data.shape == (RATE // 2, columns)
    assert pending_takes(tmp_path) == []


def test_record_never_replaces_a_file_unasked(capsys, tmp_path: Path) -> None:
    path = tmp_path / "take.wav"
    path.write_bytes(b"precious")
    assert cli.main(["record", "-i", LOOPBACK, "-o", str(path), "-s", "0.1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exists" in err and "--overwrite" in err
    assert path.read_bytes() == b"precious"


@contextlib.contextmanager
def mounted_tmpfs(folder: Path, options: str) -> Iterator[Path]:
    """A tmpfs at ``folder`` (skip when this system does not let us mount)."""
    folder.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)]
    try:
        mounted = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except FileNotFoundError:
        pytest.skip("no mount command here")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=10)


def test_record_on_a_read_only_file_system(tmp_path: Path) -> None:
    # As root, a folder's mode bits do not stop a write; a read-only mount does.
    with mounted_tmpfs(tmp_path / "ro", "ro,size=64k") as folder:
        result = scgui("record", "-i", LOOPBACK, "-o", str(folder / "take.wav"), "-s", "0.5")
        line = error_line(result, 1)
        assert "Read-only file system" in line and "Choose another folder" in line


@pytest.mark.parametrize("extension", ["wav", "flac"])
def test_record_on_a_full_disk_keeps_what_fit(tmp_path: Path, extension: str) -> None:
    # 256 KiB: stereo float at 48 kHz fills it in about 0.7 s.
    with mounted_tmpfs(tmp_path / "small", "size=256k") as folder:
        path = folder / f"take.{extension}"
        result = scgui("record", "-i", LOOPBACK, "-o", str(path), "-s", "5")
        line = error_line(result, 1, banner=True)
        assert f"Recording to '{path}' stopped: the disk is full" in line
        if extension == "wav":
            assert "saved in the file and readable" in line
            data, rate = soundfile.read(path, dtype="float32", always_2d=True)
            assert rate == RATE and RATE // 4 < len(data) < RATE
            return
        # FLAC: the take is in its working file, and recover makes the FLAC once there is room.
        working = working_path(path)
        assert f"saved in '{working.name}'" in line and "scgui recover" in line
        kept = soundfile.info(str(working)).frames
        assert RATE // 4 < kept < RATE
        remount = ["mount", "-o", "remount,size=4m", str(folder)]
        subprocess.run(remount, check=True, timeout=10)
        recovered = scgui("recover", str(path))
        assert recovered.returncode == 0, recovered.stderr
        data, _ = soundfile.read(path, dtype="float32", always_2d=True)
        assert len(data) == kept and pending_takes(folder) == []


def _file_size_limit(limit: int) -> None:
    """In the child before exec: writes past ``limit`` bytes fail with EFBIG, not SIGXFSZ."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_record_past_a_file_size_limit_keeps_what_was_written(tmp_path: Path) -> None:
    path = tmp_path / "take.w64"
    # The limit applies to libpulse's shared-memory segments too; without shared memory
    # libpulse neither fails over to sockets nor says so on stderr.
    config = tmp_path / "client.conf"
    config.write_text("enable-shm = no\n")
    result = scgui(
        *("record", "-i", LOOPBACK, "-o", str(path), "-s", "5"),
        env={"PULSE_CLIENTCONFIG": str(config)},
        preexec_fn=lambda: _file_size_limit(300_000),
    )
    line = error_line(result, 1, banner=True)
    assert f"Recording to '{path}' stopped" in line and "saved in the file and readable" in line
    data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    assert rate == RATE and RATE // 4 < len(data) < RATE


# -- SIGKILL of the command itself ------------------------------------------------------------


@pytest.mark.parametrize("extension", ["wav", "w64", "rf64", "flac", "ogg"])
def test_sigkill_of_the_command_leaves_a_take_that_opens(tmp_path: Path, extension: str) -> None:
    path = tmp_path / f"killed.{extension}"
    child = subprocess.Popen(
        [sys.executable, "-m", "scgui", "record", "-i", LOOPBACK, "-o", str(path)],
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(60, child.kill)  # a child that never starts cannot hang us
    watchdog.start()
    try:
        assert child.stderr is not None
        banner = child.stderr.readline()  # printed once the recorder and the file are open
        started = time.monotonic()
        assert banner.startswith("Recording "), banner
        time.sleep(2.0)
        child.send_signal(signal.SIGKILL)
        elapsed = time.monotonic() - started
    finally:
        watchdog.cancel()
        child.wait(10)
    assert child.returncode == -signal.SIGKILL
    if extension in ("flac", "ogg"):
        assert pending_takes(tmp_path) == [working_path(path)]
        recovered = scgui("recover", str(path))
        assert recovered.returncode == 0, recovered.stderr
        assert recovered.stdout.startswith("Recovered ") and str(path) in recovered.stdout
    assert pending_takes(tmp_path) == []
    data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    assert rate == RATE and data.shape[1] == 2
    assert len(data) / rate >= elapsed - 1.0, (len(data) / rate, elapsed)


# -- doctor ------------------------------------------------------------------------------------


def _doctor_lines(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """``label: text`` of each line of the report, checked for a clean exit."""
    output = f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert result.returncode == 0, output
    assert "Traceback" not in result.stdout + result.stderr, output
    labels = {}
    for line in result.stdout.splitlines():
        label, sep, text = line.partition(": ")
        if sep and not line.startswith(" "):
            labels[label] = text.strip()
    return labels


def test_doctor_reports_versions_server_devices_and_log_file(rig) -> None:
    text, as_json = scgui("doctor"), scgui("doctor", "--json")
    lines = _doctor_lines(text)
    assert lines["scgui"] == __version__
    assert lines["python"].startswith(sys.version.split()[0]) and sys.executable in lines["python"]
    for name in ("os", "numpy", "cffi", "PySide6", "pyqtgraph", "soundfile", "libsndfile"):
        assert lines[name] and "not available" not in lines[name], (name, text.stdout)
    assert lines["backend"].startswith("PulseAudio (")
    assert lines["server"].endswith(f"at PULSE_SERVER={rig.server}"), lines["server"]
    assert lines["default speaker"] == f"{SCARLETT.description} [{SCARLETT.name}]"
    assert "scgui.log" in lines["log file"]
    assert lines["capabilities"].endswith("; stream volume max 4"), lines["capabilities"]
    assert "stream move" in lines["capabilities"].split(";")[0]  # PulseAudio moves streams
    # The device table, every rig device with its channel count and rate.
    for device in (SCARLETT, MULTI8):
        row = next(line for line in text.stdout.splitlines() if line.endswith(f" {device.name}"))
        assert f" {device.channels} " in row and " 48000 " in row, row

    report = json.loads(as_json.stdout)
    assert as_json.returncode == 0 and report["errors"] == {}, as_json.stdout
    assert report["audio"]["server"]["reachable"] is True
    assert report["audio"]["defaults"] == {"speaker": SCARLETT.name, "microphone": "scarlett_in"}
    channels = {row["id"]: row["channels"] for row in report["audio"]["devices"]}
    assert channels[MULTI8.name] == 8 and channels[MULTI8.monitor] == 8
    assert set(rig.devices.names) <= set(channels)
    assert report["packages"]["numpy"] == np.__version__
    assert report["log_file"]["path"].endswith("scgui.log")


def test_doctor_without_a_server_says_so_and_prints_the_rest() -> None:
    started = time.monotonic()
    text = scgui("doctor", env={"PULSE_SERVER": DEAD_SERVER})
    as_json = scgui("doctor", "--json", env={"PULSE_SERVER": DEAD_SERVER})
    assert time.monotonic() - started < 30  # never waits out more than the library's timeout
    lines = _doctor_lines(text)
    assert lines["server"].startswith("not reachable: Cannot connect"), lines["server"]
    assert DEAD_SERVER in lines["server"]
    for name in ("scgui", "python", "numpy", "PySide6", "backend", "log file"):
        assert lines[name], (name, text.stdout)
    assert "devices (" not in text.stdout and text.stderr == ""
    report = json.loads(as_json.stdout)
    assert as_json.returncode == 0
    assert report["audio"]["server"]["reachable"] is False and report["audio"]["devices"] == []
    assert list(report["errors"]) == ["server"] and "Cannot connect" in report["errors"]["server"]


def test_doctor_help_says_it_exits_0_without_a_server(capsys) -> None:
    assert cli.main(["doctor", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "exit status:" in out and "--json" in out
    assert "doctor exits 0 whenever it could print its report" in out
    assert cli.main(["--help"]) == 0
    assert "doctor" in capsys.readouterr().out


def test_doctor_with_a_package_that_does_not_import() -> None:
    code = (
        "import sys\n"
        "sys.modules['pyqtgraph'] = None  # import pyqtgraph: ImportError\n"
        "import scgui.cli as cli\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "doctor"], capture_output=True, text=True, timeout=60
    )
    lines = _doctor_lines(result)
    assert lines["pyqtgraph"].startswith("not available: "), lines["pyqtgraph"]
    assert lines["numpy"] == np.__version__ and "server" in lines
