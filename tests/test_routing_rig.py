"""The routing check, the latency measurement and their CLI commands against the virtual rig."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import scgui.audio as sc
from audio_helpers import RATE, on_pipewire
from scgui import cli
from scgui.measure.latency import measure_latency
from scgui.measure.levels import FLOOR_DB
from scgui.measure.routing import RoutingReport, Status, classify, expectation_from_map
from scgui.measure.routing_at_once import LEAD_IN_SECONDS
from scgui.measure.runs import Cancelled, check_routing
from scgui.virtual_rig import MULTI8, MULTI8_REVERSED, SCARLETT, SCARLETT_IN, SCARLETT_SWAPPED


@contextmanager
def loaded_module(rig, module: str, *args: str) -> Iterator[str]:
    """Load a PulseAudio module on the rig for the duration of the block, once the server
    lists the device it makes (a ``sink_name=`` or ``source_name=`` argument)."""
    names = [a.split("=", 1)[1] for a in args if a.startswith(("sink_name=", "source_name="))]
    if module == "module-null-sink" and not any("Audio/Source" in a for a in args):
        names += [f"{name}.monitor" for name in names]  # a sink's monitor comes with it
    with rig.plug(module, *args, devices=names) as plugged:
        yield plugged.module


METHODS = ["sweeps", "one-by-one"]


@pytest.fixture(scope="module", params=METHODS)
def multi8_report(rig, request) -> RoutingReport:
    """One check of every output of multi8 into the reversed source, against identity."""
    return check_routing(
        MULTI8.name, MULTI8_REVERSED.name, expected="identity", method=request.param
    )


@pytest.fixture(scope="module", params=METHODS)
def stereo_report(rig, request) -> RoutingReport:
    """scarlett into the L/R-swapped source, against identity."""
    return check_routing(SCARLETT.name, SCARLETT_SWAPPED.name, method=request.param)


# -- detection --------------------------------------------------------------------------------


def test_reversed_8_channels_are_detected_exactly(multi8_report) -> None:
    m = multi8_report.matrix
    assert m.outputs == tuple(range(8)) and m.inputs == tuple(range(8))
    assert MULTI8_REVERSED.routing == tuple(range(7, -1, -1))
    for out in range(8):
        result = multi8_report.result(out)
        assert result.arrives_on == (7 - out,), f"output {out}: {result.message}"
        # The rig is bit-exact: the path reads exactly 0 dB, in phase, and nothing else
        # arrives anywhere.
        assert m.gain_db[out, 7 - out] == pytest.approx(0.0, abs=1e-3)
        assert m.polarity[out, 7 - out] == 1
        others = np.delete(m.gain_db[out], 7 - out)
        assert np.all(others == FLOOR_DB)
        # The delay is on the app's timeline (from where the signal was written, not a round
        # trip: that is `scgui latency`). PulseAudio never delivers it early; pipewire-pulse
        # can drop some of the 50 ms lead-in silence as the streams start.
        earliest = -1000.0 * LEAD_IN_SECONDS if on_pipewire() else 0.0
        assert earliest <= m.delay_ms[out, 7 - out] < 200.0
        assert result.warnings == ()
    assert m.output_names[0] == "Front Left" and m.input_names[7] == "Side Right"


def test_reversed_fails_against_identity_naming_the_channels(multi8_report) -> None:
    report = multi8_report
    assert not report.all_passed
    for out in range(8):
        result = report.result(out)
        assert result.status is Status.WRONG
        assert result.expected == out
        # Sentences number channels from 1, as people read them.
        assert result.message.startswith(f"expected on input {out + 1} (")
        assert f"arrives on {8 - out} (" in result.message
    table = report.text_table()
    assert "expected on input 1 (Front Left), arrives on 8 (Side Right)" in table
    assert "expected on input 6 (Subwoofer), arrives on 3 (Rear Left)" in table
    assert table.splitlines()[-1] == "FAIL: 8 of 8 outputs (wrong: 1, 2, 3, 4, 5, 6, 7, 8)"


def test_reversed_passes_against_the_reverse_expectation(multi8_report) -> None:
    for expected in ("reverse", [7, 6, 5, 4, 3, 2, 1, 0], {k: 7 - k for k in range(8)}):
        report = classify(multi8_report.matrix, expected)
        assert report.all_passed, report.text_table()
        assert report.summary() == "PASS: all 8 outputs routed as expected"


def test_swapped_stereo_fails_identity_and_passes_reverse(stereo_report) -> None:
    assert [r.status for r in stereo_report.results] == [Status.WRONG, Status.WRONG]
    assert stereo_report.result(0).arrives_on == (1,)
    assert stereo_report.result(1).arrives_on == (0,)
    assert "expected on input 2 (Front Right), arrives on 1 (Front Left)" in (
        stereo_report.result(1).message
    )
    assert classify(stereo_report.matrix, "reverse").all_passed


def test_identity_source_passes_with_an_expectation_given_to_the_run(rig) -> None:
    report = check_routing(SCARLETT.name, SCARLETT_IN.name, expected=[0, 1])
    assert report.all_passed, report.text_table()
    assert report.info["output_device"] == SCARLETT.description
    assert report.info["input_device"] == SCARLETT_IN.description


def test_silent_input_reports_every_channel_missing(rig) -> None:
    # A source that only ever delivers silence: an input with nothing plugged in. PipeWire has
    # no module-null-source; a null sink of the source class is its equivalent.
    if rig.kind == "pipewire":
        silent = (
            "module-null-sink",
            "sink_name=scgui_test_silent",
            "media.class=Audio/Source/Virtual",
        )
    else:
        silent = ("module-null-source", "source_name=scgui_test_silent")
    with loaded_module(rig, *silent, "channels=2", "rate=48000", "format=float32le"):
        report = check_routing(SCARLETT.name, "scgui_test_silent")
    assert [r.status for r in report.results] == [Status.MISSING, Status.MISSING]
    assert np.all(report.matrix.gain_db == FLOOR_DB)
    assert all(r.arrives_on == () and r.delay_ms is None for r in report.results)
    assert "expected on input 1 (Front Left), arrives nowhere" in report.text_table()


# WirePlumber wires a remapped source that takes only some of its master's channels by
# position and gets it wrong (PLATFORM_NOTES: a 4-of-8 patch came out [6,2,4,1]); the check
# would rightly report that miswiring. Full permutations are tested on both servers.
@pytest.mark.pulseaudio_only
def test_partial_map_is_reported_correctly(rig) -> None:
    # A 4-input source carrying only outputs 1, 0, 4 and 6 of multi8 (in that order).
    with loaded_module(
        rig,
        "module-remap-source",
        "source_name=scgui_test_partial",
        f"master={MULTI8.monitor}",
        "channels=4",
        "master_channel_map=front-right,front-left,front-center,side-left",
        "channel_map=front-left,front-right,rear-left,rear-right",
        "remix=no",
    ):
        report = check_routing(MULTI8.name, "scgui_test_partial", expected="identity")
    arrivals = {r.output: r.arrives_on for r in report.results}
    assert arrivals == {0: (1,), 1: (0,), 2: (), 3: (), 4: (2,), 5: (), 6: (3,), 7: ()}
    # Against identity (inputs 0-3 for outputs 0-3, nowhere for 4-7 on a 4-input source):
    statuses = {r.output: r.status.value for r in report.results}
    assert statuses == {
        0: "wrong",
        1: "wrong",
        2: "missing",
        3: "missing",
        4: "wrong",  # expected nowhere, arrives on input 2
        5: "pass",  # expected nowhere, arrives nowhere
        6: "wrong",
        7: "pass",
    }
    # Against the wiring it really has, everything passes.
    wiring = {1: 0, 0: 1, 4: 2, 6: 3, 2: None, 3: None, 5: None, 7: None}
    assert classify(report.matrix, wiring).all_passed


@pytest.mark.pulseaudio_only  # a partial remap too (see above)
def test_a_duplicated_route_is_crosstalk(rig) -> None:
    # Input 2 carries output 0 as well as input 0: output 0 leaks into input 2 at 0 dB.
    with loaded_module(
        rig,
        "module-remap-source",
        "source_name=scgui_test_dup",
        f"master={MULTI8.monitor}",
        "channels=3",
        "master_channel_map=front-left,front-right,front-left",
        "channel_map=front-left,front-right,rear-left",
        "remix=no",
    ):
        report = check_routing(MULTI8.name, "scgui_test_dup", output_channels=[0, 1])
    assert report.result(0).status is Status.CROSSTALK
    assert report.result(0).crosstalk == (2,)
    assert report.result(1).status is Status.PASS


def test_subset_of_outputs_and_progress(rig) -> None:
    calls: list[tuple[int, int]] = []
    report = check_routing(
        MULTI8.name,
        MULTI8_REVERSED.name,
        output_channels=[5, 2],
        expected="reverse",
        progress=lambda done, total: calls.append((done, total)),
    )
    assert report.matrix.outputs == (5, 2)
    assert report.result(5).arrives_on == (2,) and report.result(2).arrives_on == (5,)
    assert report.all_passed
    assert calls == [(0, 2), (1, 2), (2, 2)]


def _delivered_late(recording: np.ndarray) -> np.ndarray:
    """``recording`` as a server that stalls 130 ms in the pilot's last part delivers it:
    the rest arrives late, with nothing to say so (PipeWire reports no underrun for it),
    and the stall holds an interface's noise floor (-100 dBFS), not a dropout's zeros."""
    first = int(np.argmax(np.any(np.abs(recording) > 1e-4, axis=1)))
    at, gap = first + round(0.7 * RATE), round(0.13 * RATE)
    noise = np.random.default_rng(7).normal(0.0, 1e-5, (gap, recording.shape[1]))
    stall = noise.astype(recording.dtype)
    return np.concatenate([recording[:at], stall, recording[at:]])[: recording.shape[0]]


@pytest.mark.parametrize("stalled", [0, 1, 3])
def test_a_take_delivered_late_is_played_again(rig, monkeypatch, stalled: int) -> None:
    """The first ``stalled`` takes come late: a clean server repeats nothing, one late take
    is played again and the report is right, and a rig where every take is like that gets
    the last take's report (what it measured), not an error."""
    import scgui.measure.routing_at_once as at_once

    real_take = at_once.run_take
    takes: list[int] = []

    def take_late(*args, **kwargs) -> np.ndarray:
        recording = real_take(*args, **kwargs)
        takes.append(recording.shape[0])
        return _delivered_late(recording) if len(takes) <= stalled else recording

    monkeypatch.setattr(at_once, "run_take", take_late)
    report = check_routing(
        MULTI8.name, MULTI8_REVERSED.name, output_channels=[5, 2], expected="reverse"
    )
    if stalled < 3:
        # PipeWire itself now and then delivers a take late (its dropouts, see
        # scripts/run-tests.sh): the check then rightly plays one more take than we stalled.
        extra = 1 if on_pipewire() else 0
        assert report.info["retried_takes"] == len(takes) - 1
        assert stalled <= report.info["retried_takes"] <= stalled + extra
        assert report.result(5).arrives_on == (2,) and report.result(2).arrives_on == (5,)
        assert report.all_passed
    else:
        assert report.info["retried_takes"] == 2 and len(takes) == 3
        assert not report.all_passed


def test_cancel_raises_with_the_channels_already_measured(rig) -> None:
    done: list[int] = []
    with pytest.raises(Cancelled) as info:
        check_routing(
            SCARLETT.name,
            SCARLETT_SWAPPED.name,
            progress=lambda count, total: done.append(count),
            cancel=lambda: bool(done) and done[-1] >= 1,
            method="one-by-one",
        )
    partial = info.value.partial
    assert partial is not None and partial.info["cancelled"] is True
    assert partial.matrix.outputs == (0,)
    assert partial.result(0).arrives_on == (1,)
    event = threading.Event()
    event.set()
    for method in METHODS:
        with pytest.raises(Cancelled) as info:
            check_routing(SCARLETT.name, SCARLETT_SWAPPED.name, cancel=event, method=method)
        assert info.value.partial is None
    # All at once: a cancel while recording ends the take, with nothing measured yet.
    started = time.monotonic()
    with pytest.raises(Cancelled):
        check_routing(
            MULTI8.name, MULTI8_REVERSED.name, cancel=lambda: time.monotonic() - started > 0.3
        )
    assert time.monotonic() - started < 1.5


def test_check_is_right_while_another_thread_keeps_python_busy(rig) -> None:
    """As in the GUI: the run is on a worker thread, and the GIL is often elsewhere.

    The other thread holds the interpreter for 40 ms at a time, like a window repainting.
    Fed in 10 ms pieces, every signal would get gaps (and every take be retried in vain).
    """
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            busy_until = time.monotonic() + 0.04
            while time.monotonic() < busy_until:
                sum(i * i for i in range(2000))
            stop.wait(0.02)

    spinner = threading.Thread(target=spin, daemon=True)
    spinner.start()
    try:
        report = check_routing(MULTI8.name, MULTI8_REVERSED.name, expected="reverse")
    finally:
        stop.set()
        spinner.join()
    assert report.all_passed, report.text_table()
    assert np.allclose(np.diag(report.matrix.gain_db[:, ::-1]), 0.0, atol=1e-3)


def test_invalid_arguments_are_refused_before_playing(rig) -> None:
    with pytest.raises(ValueError, match=r"no channel 10 \(index 9"):
        check_routing(SCARLETT.name, SCARLETT_IN.name, output_channels=[0, 9])
    with pytest.raises(ValueError, match="input channel"):
        check_routing(SCARLETT.name, SCARLETT_IN.name, expected={0: 5})
    with pytest.raises(ValueError, match="twice"):
        check_routing(SCARLETT.name, SCARLETT_IN.name, output_channels=[1, 1])
    with pytest.raises(sc.DeviceNotFoundError):
        check_routing("no such speaker", SCARLETT_IN.name)


# -- latency ----------------------------------------------------------------------------------


def path_latencies_ms(speaker: sc.Speaker, microphone: sc.Microphone, count: int) -> list[float]:
    """The reference: one-sample clicks on output 0, found on input 7 to the sample, and put
    on one clock with the streams' device positions read just after each arrived. A click
    the server lost (PipeWire's stall, restarted with a flush) is left out, up to 3 times."""
    values: list[float] = []
    click = np.zeros((RATE // 10, speaker.channels), dtype=np.float32)
    click[0, 0] = 0.5
    with microphone.recorder(RATE) as recorder, speaker.player(RATE) as player:
        played = recorded = 0
        for _ in range(count + 3):
            recorded += recorder.record(None).shape[0]
            at = played
            underruns = player.underruns
            player.play(click)
            played += click.shape[0]
            out = player.device_position()
            recording = recorder.record(RATE // 10)
            into = recorder.device_position()
            hits = np.flatnonzero(recording[:, 7])
            if hits.size == 1 and player.underruns == underruns:
                values.append((into.time_of(recorded + hits[0]) - out.time_of(at)) * 1000.0)
            recorded += recording.shape[0]
            player.wait()
            if len(values) == count:
                break
    assert len(values) == count, f"only {len(values)} of {count} clicks came back whole"
    return values


def test_device_positions_advance_at_the_sample_rate_on_perf_counter(rig) -> None:
    speaker = sc.get_speaker(SCARLETT.name)
    microphone = sc.get_microphone(SCARLETT.monitor, include_loopback=True)
    with microphone.recorder(RATE) as recorder, speaker.player(RATE) as player:
        feeder = threading.Thread(target=player.play, args=(np.zeros((RATE, 2), np.float32),))
        feeder.start()
        try:
            recorder.record(RATE // 10)
            recorder.record(None)
            first = player.device_position(), recorder.device_position()
            recorder.record(RATE // 4)
            later = player.device_position(), recorder.device_position()
            now = time.perf_counter()
        finally:
            feeder.join()
    for a, b in zip(first, later, strict=True):
        assert b.frame > a.frame and b.time > a.time and abs(b.time - now) < 0.5
        rate = (b.frame - a.frame) / (b.time - a.time)
        assert abs(rate - RATE) < 0.1 * RATE, rate  # to a server cycle over 0.25 s


def test_latency_takes_agree_to_the_sample_and_match_a_click(rig) -> None:
    speaker = sc.get_speaker(MULTI8.name)
    microphone = sc.get_microphone(MULTI8_REVERSED.name)
    result = measure_latency(speaker, microphone, repeats=10, output_channel=0)
    assert result.input_channel == 7  # found automatically: where output 0 arrives
    assert len(result.values_ms) == 10
    assert result.level_db == pytest.approx(0.0, abs=1e-3)
    data = result.to_dict()
    assert "stream clocks" in data["method"] and data["stated_latency_ms"] is not None
    assert data["stream_round_trip_ms"] == pytest.approx(
        result.median_ms + data["stated_latency_ms"], abs=1e-3
    )
    if result.info["alignments"] == 1:  # one timing of the two streams: exact agreement
        assert result.spread_ms <= 0.5, result.values_ms
    # A digital loopback: converter to converter is near 0, within how far the null sink
    # renders ahead (the server times the monitor when the sink renders, the sink when it
    # plays: -2 to -9 ms seen on PulseAudio, with other streams on the sink). A frame or
    # clock mix-up would be off by blocks or seconds.
    step = float(data["clock_step_ms"])
    assert abs(result.median_ms) <= 2 * step + 15.0, (result.values_ms, step)
    # The same clocks, read around single clicks on new streams, agree to within what the
    # sink's render-ahead does between two pairs of streams.
    reference = float(np.median(path_latencies_ms(speaker, microphone, 5)))
    assert abs(result.median_ms - reference) <= 2 * step + 10.0, (result.values_ms, reference)


@contextmanager
def cpu_hogs(count: int = 2) -> Iterator[None]:
    """Keep ``count`` cores busy (processes spinning) while the block runs."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def test_latency_takes_agree_with_both_cores_busy(rig) -> None:
    with cpu_hogs(2):
        result = measure_latency(MULTI8.name, MULTI8_REVERSED.name, repeats=10)
    assert len(result.values_ms) == 10
    assert result.info["alignments"] >= 1 and result.info["discarded_takes"] >= 0
    if result.info["alignments"] == 1:
        assert result.spread_ms <= 0.5, result.values_ms
    else:  # re-timed after an underrun: each timing is within its clock step
        assert result.spread_ms <= 2 * float(result.info["clock_step_ms"]) + 0.5


def test_latency_ends_when_the_player_stops_short(rig, monkeypatch) -> None:
    """A player that stops writing before the takes (a stalled or dying writer) ends each
    round within its drain limit with a clear error, instead of reading forever: once a
    player has run dry its position stands still while its clock goes on."""
    import scgui.measure.latency as latency

    real_init = latency._Background.__init__

    def write_only_the_lead_in(self, player, frames, block) -> None:  # type: ignore[no-untyped-def]
        real_init(self, player, frames[: round(0.15 * RATE)], block)

    monkeypatch.setattr(latency._Background, "__init__", write_only_the_lead_in)
    began = time.monotonic()
    with pytest.raises(latency.MeasurementError):
        measure_latency(MULTI8.name, MULTI8_REVERSED.name, repeats=2)
    # Three rounds of at most the drain limit each, plus what opening the streams takes.
    assert time.monotonic() - began < 3 * (latency._DRAIN_LIMIT_SECONDS + 1.0) + 5.0


def test_latency_plays_a_lost_take_again(rig, monkeypatch) -> None:
    """A take that does not arrive once earlier takes have (a server that lost it without
    counting an underrun, as Wine's WASAPI can) is discarded and played again; only a path
    that carries no take at all is an error."""
    import scgui.measure.latency as latency

    real_init = latency._Background.__init__
    rounds: list[int] = []

    def silence_the_second_take(self, player, frames, block) -> None:  # type: ignore[no-untyped-def]
        if not rounds:
            lead = round(latency._LEAD_IN_SECONDS * RATE)
            period = round((0.02 + 0.05 + 0.5) * RATE)  # sweep, tail and wait: the defaults
            frames = frames.copy()
            frames[lead + period : lead + 2 * period] = 0.0
        rounds.append(frames.shape[0])
        real_init(self, player, frames, block)

    monkeypatch.setattr(latency._Background, "__init__", silence_the_second_take)
    result = measure_latency(MULTI8.name, MULTI8_REVERSED.name, repeats=3)
    assert len(rounds) == 2 and rounds[1] < rounds[0]  # the second round plays one take
    assert len(result.values_ms) == 3 and result.info["discarded_takes"] == 1
    assert result.spread_ms <= 2 * float(result.info["clock_step_ms"]) + 0.5


def test_takes_are_counted_on_the_offset_given() -> None:
    from scgui.measure.latency import takes_recorded

    starts = [100, 1100, 2100]
    # Take k is whole at start + offset + period + 2 guards recorder frames.
    assert takes_recorded(50.0, 100 + 50 + 500 + 20 - 1, starts, 500, 10) == 0
    assert takes_recorded(50.0, 100 + 50 + 500 + 20, starts, 500, 10) == 1
    assert takes_recorded(-50.0, 2100 - 50 + 520, starts, 500, 10) == 3


def test_latency_on_a_given_input_and_when_nothing_arrives(rig) -> None:
    result = measure_latency(SCARLETT.name, SCARLETT_SWAPPED.name, repeats=2, input_channel=1)
    assert result.input_channel == 1 and len(result.values_ms) == 2
    from scgui.measure.runs import MeasurementError

    with pytest.raises(MeasurementError, match="did not arrive on input 0"):
        measure_latency(
            SCARLETT.name, SCARLETT_SWAPPED.name, repeats=1, input_channel=0, max_wait_seconds=0.1
        )


# -- command line -----------------------------------------------------------------------------


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_check_routing_exit_status_and_table(capsys) -> None:
    code, out, err = run_cli(
        capsys, "check-routing", "--output", SCARLETT.name, "--input", SCARLETT_SWAPPED.name
    )
    assert code == 1 and out, (out, err)  # a report (an error also exits 1, with none)
    lines = out.splitlines()
    assert lines[0].startswith("Routing check: Focusrite Scarlett 2i2 -> Scarlett Swapped")
    assert lines[1].split()[:3] == ["OUT", "EXPECTED", "STATUS"]
    assert "WRONG" in lines[2] and "arrives on 2 (Front Right)" in lines[2]
    assert lines[-1] == "FAIL: 2 of 2 outputs (wrong: 1, 2)"

    code, out, _ = run_cli(
        capsys, "check-routing", "-o", SCARLETT.name, "-i", SCARLETT_SWAPPED.name, "-e", "reverse"
    )
    assert code == 0, out
    assert out.splitlines()[-1] == "PASS: all 2 outputs routed as expected"
    assert [" pass " in line for line in out.splitlines()[2:4]] == [True, True]


def test_cli_check_routing_channels_and_expect_list(capsys) -> None:
    code, out, _ = run_cli(
        capsys,
        "check-routing",
        "-o",
        MULTI8.name,
        "-i",
        MULTI8_REVERSED.name,
        "--channels",
        "1,8",
        "--expect",
        "8,-,-,-,-,-,-,1",
    )
    assert code == 0, out
    assert "(2 outputs x 8 inputs" in out


def test_cli_check_routing_reports(capsys, tmp_path: Path, qapp) -> None:
    # qapp: a QApplication exists, as in the window; the picture must use it, not make another.
    expect = tmp_path / "wiring.csv"
    expect.write_text("output,input\n0,1\n1,0\n")
    paths = [tmp_path / "r.json", tmp_path / "r.csv", tmp_path / "r.png"]
    args = ["check-routing", "-o", SCARLETT.name, "-i", SCARLETT_SWAPPED.name, "-e", str(expect)]
    for path in paths:
        args += ["--report", str(path)]
    code, out, err = run_cli(capsys, *args)
    assert code == 0, out + err
    data = json.loads(paths[0].read_text())
    assert data["all_passed"] is True
    assert [row["arrives_on"] for row in data["outputs"]] == [[1], [0]]
    rows = list(csv.DictReader(paths[1].open()))
    assert [row["status"] for row in rows] == ["pass", "pass"]
    from PySide6.QtGui import QImage

    image = QImage(str(paths[2]))
    assert not image.isNull() and image.width() > 300 and image.height() > 200
    for path in paths:
        assert f"Wrote {path}" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--expect", "sideways"], "--expect: unknown expectation"),
        (["--expect", "missing.json"], "--expect:"),
        (["--report", "r.txt"], "must end in .json, .csv, .png or .html"),
        (["--channels", "1,10"], "has output channels 1 to 2"),
        (["--channels", "0"], "--channels 0: '0' is not a channel"),
        (["--level-db", "3"], "would clip"),
    ],
)
def test_cli_check_routing_usage_errors(capsys, args: list[str], message: str) -> None:
    code, out, err = run_cli(
        capsys, "check-routing", "-o", SCARLETT.name, "-i", SCARLETT_IN.name, *args
    )
    assert code == 2
    assert err.startswith("scgui: error: ") and message in err
    assert err.count("\n") == 1 and out == ""


def test_cli_check_routing_unknown_device(capsys) -> None:
    code, _, err = run_cli(capsys, "check-routing", "-o", "no such card", "-i", SCARLETT_IN.name)
    assert code == 1 and err.startswith("scgui: error: ")


def test_cli_latency(capsys) -> None:
    code, out, err = run_cli(
        capsys, "latency", "--output", MULTI8.name, "--input", MULTI8_REVERSED.name, "-n", "3"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Latency Multi8 -> Multi8 Reversed, output 1 -> input 8, 48000 Hz:"
    assert [line.split(":")[0].strip() for line in lines[1:4]] == ["take 1", "take 2", "take 3"]
    assert lines[4].startswith("path latency ") and "median of 3 takes" in lines[4]
    code, _, err = run_cli(capsys, "latency", "-o", MULTI8.name, "-i", MULTI8.monitor, "-n", "0")
    assert code == 2 and "--repeats 0" in err


def test_cli_check_routing_as_a_process_writes_a_png_without_a_display(tmp_path: Path) -> None:
    """The real command, in a fresh process with no display: exit status and an offscreen PNG."""
    env = dict(os.environ)
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    png = tmp_path / "matrix.png"
    command = [sys.executable, "-m", "scgui", "check-routing", "-o", SCARLETT.name]
    command += ["-i", SCARLETT_SWAPPED.name, "--report", str(png)]
    failed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1, failed.stderr
    assert "FAIL: 2 of 2 outputs" in failed.stdout
    assert png.stat().st_size > 1000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    passed = subprocess.run(
        [*command[:-2], "--expect", "reverse"], env=env, capture_output=True, text=True, timeout=60
    )
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_expectation_from_map_matches_the_rig_wiring() -> None:
    """The rig's own description of its wiring, as an expectation, is the reverse one."""
    routing = MULTI8_REVERSED.routing  # routing[j] = output arriving on input j
    expected = {out: routing.index(out) for out in range(8)}
    assert expected == expectation_from_map([7, 6, 5, 4, 3, 2, 1, 0])


# -- every output in one take ---------------------------------------------------------------


def test_one_take_gives_exact_zero_skew_and_levels(rig) -> None:
    """All outputs on one clock: every path of the rig is sample-aligned, so skew is 0."""
    report = check_routing(MULTI8.name, MULTI8_REVERSED.name, expected="reverse")
    assert report.all_passed, report.text_table()
    assert report.info["method"] == "sweeps"
    data = report.to_dict()
    # Exact to the sample: well within half a frame (0.0104 ms at 48 kHz) of zero.
    assert all(abs(o["skew_ms"]) < 0.005 for o in data["outputs"]), data["outputs"]
    assert data["skew_reference_output"] == 0
    assert np.allclose(np.diag(report.matrix.gain_db[:, ::-1]), 0.0, atol=0.01)
    off = report.matrix.gain_db.copy()
    np.fill_diagonal(off[:, ::-1], FLOOR_DB)
    assert np.all(off == FLOOR_DB)  # no crosstalk reads above the floor
    assert "SKEW ms" in report.text_table()


@pytest.mark.pulseaudio_only  # PipeWire may tap the monitor before the volume
def test_one_take_measures_a_known_gain_and_polarity(rig) -> None:
    """A sink at a set volume reads as that gain on every path, in the one take."""
    with loaded_module(
        rig,
        "module-null-sink",
        "sink_name=quiet8",
        "channels=8",
        "rate=48000",
        "format=float32le",
        "norewinds=1",
    ):
        rig.pactl("set-sink-volume", "quiet8", "50%")  # cubic: 0.125 linear, -18.06 dB
        report = check_routing("quiet8", "quiet8.monitor")
    levels = np.diag(report.matrix.gain_db)
    assert np.allclose(levels, 20 * np.log10(0.5**3), atol=0.05), levels
    assert all(r.warnings for r in report.results)  # a level far from 0 dB is flagged


@contextmanager
def other_program(rig, cmd: list[str], application: str) -> Iterator[None]:
    """``cmd`` running (stdin: silence) until the block ends, once its stream is listed."""
    with open("/dev/zero", "rb") as silence:
        program = subprocess.Popen(cmd, env={**os.environ, **rig.env}, stdin=silence)
    try:
        deadline = time.monotonic() + 5
        while not any(s.application == application for s in sc.list_streams()):
            assert time.monotonic() < deadline, f"{cmd[0]} did not start"
            time.sleep(0.05)
        yield
    finally:
        program.kill()
        program.wait()


def test_preconditions_are_checked_and_reported(rig, capsys) -> None:
    """A sink at 50 %, a muted input, a converted rate and too few inputs are each named."""
    rig.pactl("set-sink-volume", MULTI8.name, "50%")
    rig.pactl("set-source-mute", MULTI8_REVERSED.name, "1")
    try:
        report = check_routing(MULTI8.name, MULTI8_REVERSED.name, samplerate=44100)
        warnings = report.info["preconditions"]
        assert any("at 50 %" in w and "Multi8" in w for w in warnings), warnings
        assert any("muted" in w for w in warnings), warnings
        assert any("44100 Hz" in w and "converts" in w for w in warnings), warnings
        assert "warning: " in report.text_table()
        assert json.loads(report.to_json())["preconditions"] == warnings
    finally:
        rig.pactl("set-sink-volume", MULTI8.name, "100%")
        rig.pactl("set-source-mute", MULTI8_REVERSED.name, "0")
    fewer = check_routing(MULTI8.name, SCARLETT_IN.name, output_channels=[0, 1, 2])
    assert any("only 2 inputs" in w for w in fewer.info["preconditions"])
    # The rig's own keep-alive (silence into every sink) is not another program.
    rig_only = check_routing(SCARLETT.name, SCARLETT_SWAPPED.name, expected="reverse")
    assert rig_only.all_passed and rig_only.info["preconditions"] == []
    with loaded_module(
        rig,
        "module-null-sink",
        "sink_name=alone2",
        "channels=2",
        "rate=48000",
        "format=float32le",
        "norewinds=1",
    ):
        clean = check_routing("alone2", "alone2.monitor")
        assert clean.info["preconditions"] == [] and clean.all_passed, clean.text_table()
        recording = ["parecord", "--device=alone2.monitor", "--client-name=Voice Chat", "/dev/null"]
        with other_program(rig, recording, "Voice Chat"):
            recorded = check_routing("alone2", "alone2.monitor")
        playing = ["pacat", "--playback", "--raw", "--device=alone2", "--client-name=Music Player"]
        with other_program(rig, playing, "Music Player"):
            played_into = check_routing("alone2", "alone2.monitor")
            alone_name = sc.get_speaker("alone2").name
    (warning,) = recorded.info["preconditions"]
    assert warning.startswith("Other programs record the input ") and "(Voice Chat)" in warning
    assert played_into.all_passed
    assert played_into.info["preconditions"] == [
        f"Other programs play into the output {alone_name!r} (Music Player): their sound adds "
        "to the test signal. Stop them or move them to another device."
    ]


def test_cli_latency_report_has_every_take_and_the_stated_latency(capsys, tmp_path) -> None:
    report = tmp_path / "latency.json"
    status = cli.main(
        ["latency", "-o", SCARLETT.name, "-i", SCARLETT.monitor, "-n", "3", "--report", str(report)]
    )
    out = capsys.readouterr().out
    assert status == 0, out
    assert "the server states" in out
    data = json.loads(report.read_text())
    assert len(data["takes_ms"]) == 3 and data["median_ms"] == sorted(data["takes_ms"])[1]
    # What the server states (it may be 0 for an idle null sink), beside the takes.
    assert data["stated_latency_ms"] >= 0 and "stream clocks" in data["method"]
    assert isinstance(data["warnings"], list) and data["discarded_takes"] >= 0
    assert (
        cli.main(["latency", "-o", SCARLETT.name, "-i", SCARLETT.monitor, "--report", "x.csv"]) == 2
    )


# -- frequency response, THD and impulse response ---------------------------------------------


def test_every_path_is_flat_and_clean_on_the_rig(rig) -> None:
    report = check_routing(MULTI8.name, MULTI8_REVERSED.name, expected="reverse")
    assert report.all_passed and len(report.responses) == 8
    for output in range(8):
        response = report.response(output)
        assert response is not None and response.input == 7 - output
        assert response.flatness_db <= 0.1, (output, response.flatness_db)
        assert max(abs(v) for v in response.magnitude_db) <= 0.05
        low, high = response.band_hz
        assert low <= 50.0 and high >= 12000.0
        assert set(response.thd_db) == {100.0, 1000.0, 5000.0}
        assert all(v < -100.0 for v in response.thd_db.values()), response.thd_db
        peak = int(np.argmax(np.abs(response.impulse)))
        assert response.impulse[peak] == pytest.approx(1.0, abs=1e-3)
    data = report.to_dict()["responses"]
    assert len(data) == 8 and data[0]["thd_db"]["1000"] < -100.0


def test_a_sink_at_half_volume_reads_as_a_flat_loss_of_18_db(rig) -> None:
    rig.pactl("set-sink-volume", SCARLETT.name, "50%")  # 0.5 cubed: -18.06 dB
    try:
        report = check_routing(SCARLETT.name, SCARLETT_SWAPPED.name, expected="reverse")
    finally:
        rig.pactl("set-sink-volume", SCARLETT.name, "100%")
    for output in (0, 1):
        response = report.response(output)
        assert response is not None
        assert all(v == pytest.approx(-18.06, abs=0.05) for v in response.magnitude_db)
        assert response.flatness_db <= 0.1
    assert any("50 %" in text for text in report.info["preconditions"])


def _one_pole_low_pass_db(freqs: np.ndarray, cutoff: float, rate: float) -> np.ndarray:
    """The magnitude of ladspa-sdk's "Simple Low Pass Filter": y = a x + b y[-1], with b
    chosen so that the response is -3 dB at the cutoff (2 - cos(w_c) = (1 + b^2) / (2 b))."""
    comp = 2.0 - np.cos(2 * np.pi * cutoff / rate)
    b = comp - np.sqrt(comp * comp - 1.0)
    w = 2 * np.pi * np.asarray(freqs) / rate
    return 20 * np.log10((1 - b) / np.abs(1 - b * np.exp(-1j * w)))


@pytest.mark.pulseaudio_only  # module-ladspa-sink is PulseAudio's
@pytest.mark.skipif(
    not Path("/usr/lib/ladspa/filter.so").exists(), reason="needs Debian's ladspa-sdk"
)
def test_a_known_low_pass_filter_reads_as_its_response(rig) -> None:
    """A 1 kHz one-pole low-pass (LADSPA) in front of a sink: the frequency response the
    routing check reports is the filter's, to 0.1 dB."""
    with loaded_module(
        rig,
        "module-ladspa-sink",
        "sink_name=lowpass",
        f"sink_master={SCARLETT.name}",
        "plugin=filter",
        "label=lpf",
        "control=1000",
    ):
        report = check_routing("lowpass", SCARLETT.monitor, expected="identity")
    for output in (0, 1):
        response = report.response(output)
        assert response is not None, report.text_table()
        freqs = np.array(response.freqs_hz)
        measured = np.array(response.magnitude_db)
        # The band points are 1/6-octave averages: compare with the filter's power average.
        expected = []
        for f in freqs:
            band = np.geomspace(f * 2 ** (-1 / 12), f * 2 ** (1 / 12), 64)
            power = 10 ** (_one_pole_low_pass_db(band, 1000.0, RATE) / 10)
            expected.append(10 * np.log10(np.mean(power)))
        error = np.abs(measured - np.array(expected))
        table = np.column_stack([freqs.round(), measured.round(2), np.round(expected, 2)])
        assert np.max(error) <= 0.1, table.tolist()
        at_cutoff = np.interp(np.log(1000.0), np.log(freqs), measured)
        assert at_cutoff == pytest.approx(-3.0, abs=0.2)


def test_thd_at_chosen_frequencies_and_a_clear_refusal_outside_the_sweep(rig) -> None:
    report = check_routing(SCARLETT.name, SCARLETT_SWAPPED.name, thd_frequencies=[250, 2000])
    response = report.response(0)
    assert response is not None and set(response.thd_db) == {250.0, 2000.0}
    with pytest.raises(ValueError, match="from 40 Hz to 8000 Hz"):
        check_routing(SCARLETT.name, SCARLETT_SWAPPED.name, thd_frequencies=[10])


@pytest.mark.pulseaudio_only  # PulseAudio's null sink rewinds; PipeWire's does not
def test_a_sink_that_rewinds_a_new_stream_in_still_passes(rig) -> None:
    """A 16-bit null sink with rewinds puts a new stream's first milliseconds on its monitor
    before the recording began; the take's lead-in of silence takes that, not the pilot."""
    with loaded_module(rig, "module-null-sink", "sink_name=rewinds", "channels=2", "rate=48000"):
        speaker = sc.get_speaker("rewinds")
        with speaker.player(RATE) as player:  # a stream has run on it before
            player.play(np.zeros((RATE // 10, 2), np.float32))
        for _ in range(2):
            report = check_routing("rewinds", "rewinds.monitor")
            assert report.all_passed, report.text_table()
