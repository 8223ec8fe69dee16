"""Tests of scgui.measure.routing on synthetic data: detection, verdicts, expectations, export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from scgui.measure.levels import FLOOR_DB
from scgui.measure.routing import (
    RoutingMatrix,
    Status,
    Thresholds,
    classify,
    correlate,
    detect_routing,
    expectation_from_map,
    expectation_from_spec,
    find_arrivals,
    identity_expectation,
    load_expectation,
    reverse_expectation,
)
from scgui.measure.signals import ident_signal, ident_signals

RATE = 48000
SECONDS = 0.1


def signal(channel: int = 0) -> np.ndarray:
    return ident_signal(channel, SECONDS, RATE)


def take(
    x: np.ndarray,
    routes: dict[int, tuple[float, int]],
    inputs: int,
    frames: int | None = None,
) -> np.ndarray:
    """A recording of ``inputs`` channels: input i carries gain·x delayed by d samples."""
    frames = frames or x.size + RATE // 5
    y = np.zeros((frames, inputs), dtype=np.float32)
    for i, (gain, delay) in routes.items():
        end = min(frames, delay + x.size)
        y[delay:end, i] += gain * x[: end - delay]
    return y


def db(gain: float) -> float:
    return 20 * np.log10(abs(gain))


def matrix_from(gain_db: list[list[float]], polarity: list[list[int]] | None = None):
    """A RoutingMatrix with given levels (delays 1 ms), for judging tests."""
    g = np.array(gain_db, dtype=float)
    pol = np.array(polarity) if polarity is not None else np.where(g > FLOOR_DB, 1, 0)
    return RoutingMatrix(
        outputs=tuple(range(g.shape[0])),
        inputs=tuple(range(g.shape[1])),
        gain_db=g,
        delay_ms=np.where(g > FLOOR_DB, 1.0, np.nan),
        polarity=pol.astype(np.int8),
        samplerate=RATE,
    )


# -- detection --------------------------------------------------------------------------------


def test_correlate_reads_the_gain_at_the_lag() -> None:
    x = signal()
    y = take(x, {0: (0.5, 300), 1: (-1.0, 0)}, inputs=3)
    corr = correlate(x, y)
    assert corr.shape == (y.shape[0], 3)
    assert corr[300, 0] == pytest.approx(0.5, abs=1e-6)
    assert corr[0, 1] == pytest.approx(-1.0, abs=1e-6)
    assert np.all(corr[:, 2] == 0)


def test_delayed_attenuated_and_inverted_copies() -> None:
    x = signal()
    routes = {0: (1.0, 0), 1: (0.25, 1234), 2: (-0.5, 77), 4: (0.01, 9000)}
    gain, delay = find_arrivals(x, take(x, routes, inputs=5))
    for i, (g, d) in routes.items():
        assert gain[i] == pytest.approx(g, rel=1e-4), i
        assert delay[i] == d, i  # whole samples exactly: no interpolation error
    assert gain[3] == 0.0


def test_fractional_delay_costs_almost_no_level() -> None:
    """An analogue path delays by a fraction of a sample: the level must still read true."""
    x = signal().astype(np.float64)
    size = 4 * x.size
    freqs = np.fft.rfftfreq(size)
    shifted = np.fft.irfft(np.fft.rfft(x, size) * np.exp(-2j * np.pi * freqs * 100.5), size)
    gain, delay = find_arrivals(x, shifted[: x.size + 1000, None])
    assert db(gain[0]) == pytest.approx(0.0, abs=0.5)
    assert delay[0] == pytest.approx(100.5, abs=0.1)


def test_detection_survives_noise_on_the_input() -> None:
    x = signal()
    rng = np.random.default_rng(1)
    y = take(x, {1: (0.5, 500)}, inputs=3)
    y += rng.normal(0, 1e-3, y.shape).astype(np.float32)  # -60 dBFS of hiss on every input
    gain, delay = find_arrivals(x, y)
    assert db(gain[1]) == pytest.approx(db(0.5), abs=0.05)
    assert delay[1] == 500
    assert db(gain[0]) < -40 and db(gain[2]) < -40  # the noise alone is not an arrival


def test_max_lag_limits_the_search() -> None:
    x = signal()
    y = take(x, {0: (1.0, 2000)}, inputs=1)
    gain, _ = find_arrivals(x, y, max_lag=1000)
    assert abs(gain[0]) < 0.5


def test_detect_routing_sequential_recordings() -> None:
    played = [signal(k) for k in range(3)]
    recordings = [
        take(played[0], {2: (1.0, 100)}, inputs=4),
        take(played[1], {1: (-0.5, 110), 3: (0.02, 113)}, inputs=4),
        take(played[2], {}, inputs=4),
    ]
    m = detect_routing(
        played,
        recordings,
        RATE,
        outputs=[4, 5, 6],
        output_names=["A", "B", "C"],
        input_names=["i0", "i1", "i2", "i3"],
    )
    assert m.outputs == (4, 5, 6) and m.inputs == (0, 1, 2, 3)
    assert m.gain_db.shape == (3, 4)
    assert m.gain_db[0, 2] == pytest.approx(0.0, abs=1e-4)
    assert m.gain_db[1, 1] == pytest.approx(-6.02, abs=0.01)
    assert m.gain_db[1, 3] == pytest.approx(db(0.02), abs=0.01)
    assert np.all(m.gain_db[2] == FLOOR_DB)
    assert m.delay_ms[0, 2] == pytest.approx(100 / 48)
    assert m.delay_ms[1, 3] == pytest.approx(113 / 48)
    assert np.isnan(m.delay_ms[2]).all()
    assert m.polarity[0].tolist() == [0, 0, 1, 0]
    assert m.polarity[1, 1] == -1
    assert m.output_name(5) == "B" and m.input_name(3) == "i3"


def test_ident_signals_played_together_are_told_apart() -> None:
    """All outputs at once: each one's signal stands well above the others on its input."""
    block = ident_signals(4, 0.2, RATE)
    y = np.zeros((block.shape[0] + 2000, 4), dtype=np.float32)
    for out in range(4):  # out k -> in 3 - k, all playing together
        y[300 : 300 + block.shape[0], 3 - out] += block[:, out]
    gains = np.array([find_arrivals(block[:, out], y)[0] for out in range(4)])
    levels = 20 * np.log10(np.maximum(np.abs(gains), 1e-12))
    assert np.argmax(levels, axis=1).tolist() == [3, 2, 1, 0]
    assert np.all(np.abs(np.diag(levels[:, ::-1])) < 0.05)
    assert np.max(levels[~np.eye(4, dtype=bool)[:, ::-1]]) < -20


def test_detect_routing_refuses_mismatched_input() -> None:
    with pytest.raises(ValueError, match="recordings"):
        detect_routing([signal(0), signal(1)], [np.zeros((10, 2))], RATE)
    with pytest.raises(ValueError, match="different numbers"):
        detect_routing([signal(0), signal(1)], [np.zeros((10, 2)), np.zeros((10, 3))], RATE)
    with pytest.raises(TypeError, match="one recording per output"):
        detect_routing([signal(0)], np.zeros((10, 2)), RATE)
    with pytest.raises(ValueError):
        find_arrivals(np.zeros((3, 3)), np.zeros((10, 1)))


# -- verdicts ---------------------------------------------------------------------------------


def test_pass_wrong_missing_crosstalk() -> None:
    m = matrix_from(
        [
            [0.0, FLOOR_DB, FLOOR_DB],  # out0 -> in0 only: pass
            [FLOOR_DB, FLOOR_DB, -1.0],  # out1 -> in2 instead of in1: wrong
            [FLOOR_DB, FLOOR_DB, -55.0],  # out2 arrives nowhere (leak below -40): missing
            [-30.0, -45.0, -0.5],  # out3 -> in2, leaks into in0 at -29.5 dB: crosstalk
        ]
    )
    report = classify(m, {0: 0, 1: 1, 2: 2, 3: 2})
    statuses = [r.status for r in report.results]
    assert statuses == [Status.PASS, Status.WRONG, Status.MISSING, Status.CROSSTALK]
    assert not report.all_passed
    assert [r.output for r in report.failed] == [1, 2, 3]
    wrong = report.result(1)
    assert wrong.arrives_on == (2,) and wrong.expected == 1
    # Messages number channels from 1, as people read them (the fields stay 0-based).
    assert "expected on input 2" in wrong.message and "arrives on 3" in wrong.message
    missing = report.result(2)
    assert missing.arrives_on == () and missing.delay_ms is None and missing.polarity == 0
    crosstalk = report.result(3)
    assert crosstalk.crosstalk == (0,)  # in1 at -45 is 44.5 dB below the main path: fine
    assert crosstalk.arrives_on == (2, 0)
    assert crosstalk.input == 2 and crosstalk.level_db == -0.5
    assert report.summary() == "FAIL: 3 of 4 outputs (wrong: 2; missing: 3; crosstalk: 4)"


def test_expected_nowhere() -> None:
    m = matrix_from([[FLOOR_DB, FLOOR_DB], [0.0, FLOOR_DB]])
    report = classify(m, {0: None, 1: None})
    assert report.result(0).status is Status.PASS
    assert report.result(0).message == "arrives nowhere, as expected"
    assert report.result(0).warnings == ()  # no "low level" for a path that should not exist
    assert report.result(1).status is Status.WRONG
    # An output missing from the expectation is expected nowhere.
    assert classify(m, {}).result(1).status is Status.WRONG


def test_louder_elsewhere_is_wrong_and_a_tie_is_crosstalk() -> None:
    m = matrix_from([[-20.0, 0.0], [0.0, 0.0]])
    report = classify(m, {0: 0, 1: 0})
    assert report.result(0).status is Status.WRONG  # arrives on 0 but much louder on 1
    assert report.result(1).status is Status.CROSSTALK  # a duplicate route
    assert report.result(1).crosstalk == (1,)


def test_crosstalk_is_relative_to_the_wanted_path_above_the_floor() -> None:
    # Main path at -20 dB (a pad): a leak at -55 is 35 dB below it, crosstalk.
    m = matrix_from([[-20.0, -55.0]])
    assert classify(m, {0: 0}).result(0).status is Status.CROSSTALK
    # A leak 50 dB below the main path is not crosstalk by default, but is with -60.
    m = matrix_from([[0.0, -50.0]])
    assert classify(m, {0: 0}).result(0).status is Status.PASS
    strict = Thresholds(crosstalk_db=-60.0)
    assert classify(m, {0: 0}, strict).result(0).status is Status.CROSSTALK
    # Whatever the relative rule says, nothing below floor_db counts.
    m = matrix_from([[-40.0, -85.0]])
    assert classify(m, {0: 0}).result(0).status is Status.PASS


def test_level_and_polarity_are_warnings_not_statuses() -> None:
    m = matrix_from([[-12.0, FLOOR_DB], [FLOOR_DB, 0.0]], polarity=[[1, 0], [0, -1]])
    report = classify(m, identity_expectation(2))
    assert report.all_passed
    low = report.result(0)
    assert low.warnings == ("low level -12.0 dB (expected 0 ± 3 dB)",)
    inverted = report.result(1)
    assert inverted.inverted and inverted.warnings == ("polarity inverted",)
    # A different expected gain: -12 dB is then right.
    padded = classify(m, identity_expectation(2), Thresholds(expected_gain_db=-12.0))
    assert padded.result(0).warnings == ()


def test_detect_threshold_is_adjustable() -> None:
    m = matrix_from([[-50.0]])
    assert classify(m, {0: 0}).result(0).status is Status.MISSING
    assert classify(m, {0: 0}, Thresholds(detect_db=-60.0)).result(0).status is Status.PASS


def test_invalid_thresholds() -> None:
    with pytest.raises(ValueError):
        Thresholds(detect_db=-90.0, floor_db=-80.0)
    with pytest.raises(ValueError):
        Thresholds(crosstalk_db=10.0)


def test_default_expectation_is_identity() -> None:
    m = matrix_from([[0.0, FLOOR_DB], [FLOOR_DB, 0.0]])
    assert classify(m).all_passed
    assert classify(m).expected == {0: 0, 1: 1}


def test_the_whole_chain_on_synthetic_recordings() -> None:
    """Played -> recorded -> detected -> judged: delayed, attenuated, inverted, missing."""
    played = [signal(k) for k in range(4)]
    recordings = [
        take(played[0], {1: (1.0, 480)}, inputs=4),  # right
        take(played[1], {0: (1.0, 480)}, inputs=4),  # right
        take(played[2], {2: (-0.7, 481), 3: (0.1, 490)}, inputs=4),  # inverted + crosstalk
        take(played[3], {}, inputs=4),  # missing
    ]
    report = classify(detect_routing(played, recordings, RATE), [1, 0, 2, 3])
    assert [r.status.value for r in report.results] == ["pass", "pass", "crosstalk", "missing"]
    third = report.result(2)
    assert third.level_db == pytest.approx(db(0.7), abs=0.01)
    assert third.delay_ms == pytest.approx(481 / 48)
    assert third.polarity == -1 and "polarity inverted" in third.warnings
    assert third.crosstalk == (3,)


# -- expectations -----------------------------------------------------------------------------


def test_expectation_helpers() -> None:
    assert identity_expectation(3) == {0: 0, 1: 1, 2: 2}
    assert identity_expectation([0, 1, 5], inputs=2) == {0: 0, 1: 1, 5: None}
    assert reverse_expectation(8, 8) == {k: 7 - k for k in range(8)}
    assert reverse_expectation([0, 1, 2], 2) == {0: 1, 1: 0, 2: None}
    assert expectation_from_map([7, -1, None, 2]) == {0: 7, 1: None, 2: None, 3: 2}


def test_expectation_from_spec(tmp_path: Path) -> None:
    assert expectation_from_spec("identity", [0, 1], 2) == {0: 0, 1: 1}
    assert expectation_from_spec("reverse", [0, 1], 2) == {0: 1, 1: 0}
    # Typed lists number channels from 1 ("-" is nowhere); files count from 0.
    assert expectation_from_spec("4,3,-", [0, 1, 2], 4) == {0: 3, 1: 2, 2: None}
    assert expectation_from_spec("2", [0], 2) == {0: 1}
    with pytest.raises(ValueError, match="for the mono mix, type mix"):
        expectation_from_spec("3,2,-1", [0, 1, 2], 4)
    path = tmp_path / "wiring.json"
    path.write_text("[1, 0]")
    assert expectation_from_spec(str(path), [0, 1], 2) == {0: 1, 1: 0}
    with pytest.raises(ValueError, match="unknown expectation"):
        expectation_from_spec("sideways", [0], 1)
    with pytest.raises(ValueError):
        expectation_from_spec("1,x", [0, 1], 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[2, 1, -1]", {0: 2, 1: 1, 2: None}),
        ('{"0": 3, "1": null, "4": 0}', {0: 3, 1: None, 4: 0}),
        ('{"expected": {"0": 1}}', {0: 1}),
        ('{"expected": [1, 0]}', {0: 1, 1: 0}),
    ],
)
def test_load_expectation_json(tmp_path: Path, text: str, expected: dict) -> None:
    path = tmp_path / "e.json"
    path.write_text(text)
    assert load_expectation(path) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0,7\n1,6\n2,\n", {0: 7, 1: 6, 2: None}),
        ("output,input\n0,1\n1,0\n", {0: 1, 1: 0}),
        (
            "# wiring of rack 3\nout,expected_input,comment\n0,5,left\n1,none,spare\n",
            {0: 5, 1: None},
        ),
        ("input,output\n3,0\n", {0: 3}),
    ],
)
def test_load_expectation_csv(tmp_path: Path, text: str, expected: dict) -> None:
    path = tmp_path / "e.csv"
    path.write_text(text)
    assert load_expectation(path) == expected


def test_load_expectation_errors(tmp_path: Path) -> None:
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    with pytest.raises(ValueError, match=r"bad\.json"):
        load_expectation(bad_json)
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("0,left\n")
    with pytest.raises(ValueError, match="row 1"):
        load_expectation(bad_csv)
    other = tmp_path / "e.txt"
    other.write_text("0,1")
    with pytest.raises(ValueError, match=r"\.json or \.csv"):
        load_expectation(other)
    with pytest.raises(OSError):
        load_expectation(tmp_path / "absent.json")


def test_a_saved_report_is_a_golden_expectation(tmp_path: Path) -> None:
    m = matrix_from([[FLOOR_DB, 0.0], [0.0, FLOOR_DB], [FLOOR_DB, FLOOR_DB]])
    golden = classify(m, {0: 1, 1: 0, 2: None}).save(tmp_path / "golden.json")
    assert load_expectation(golden) == {0: 1, 1: 0, 2: None}


# -- the report -------------------------------------------------------------------------------


@pytest.fixture
def report():
    m = RoutingMatrix(
        outputs=(0, 1, 2),
        inputs=(0, 1),
        gain_db=np.array([[FLOOR_DB, -0.5], [-3.5, -50.0], [FLOOR_DB, FLOOR_DB]]),
        delay_ms=np.array([[np.nan, 2.0], [2.5, 9.0], [np.nan, np.nan]]),
        polarity=np.array([[0, 1], [-1, 1], [0, 0]], dtype=np.int8),
        samplerate=RATE,
        output_names=("Front Left", "Front Right", "Rear Left"),
        input_names=("In 1", "In 2"),
    )
    return classify(m, {0: 1, 1: 1, 2: None}, output_device="Multi8", input_device="Rev")


def test_report_json(report) -> None:
    data = json.loads(report.to_json())
    assert data["all_passed"] is False
    assert data["output_device"] == "Multi8" and data["input_device"] == "Rev"
    assert data["thresholds"]["detect_db"] == -40.0
    rows = {row["output"]: row for row in data["outputs"]}
    assert rows[0]["status"] == "pass" and rows[0]["arrives_on"] == [1]
    assert rows[0]["delay_ms"] == 2.0 and rows[0]["name"] == "Front Left"
    assert rows[1]["status"] == "wrong" and rows[1]["expected_input"] == 1
    assert "polarity inverted" in rows[1]["warnings"]
    assert rows[2]["status"] == "pass" and rows[2]["expected_input"] is None
    assert data["inputs"] == [{"input": 0, "name": "In 1"}, {"input": 1, "name": "In 2"}]
    assert data["matrix"]["gain_db"][1] == [-3.5, -50.0]
    assert data["matrix"]["delay_ms"][0] == [None, 2.0]  # NaN is not JSON: null
    assert data["matrix"]["polarity"][1] == [-1, 1]


def test_report_csv(report) -> None:
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert [r["status"] for r in rows] == ["pass", "wrong", "pass"]
    assert rows[0]["arrives_on"] == "1" and rows[0]["expected_input"] == "1"
    assert rows[1]["in0_db"] == "-3.50" and rows[1]["in1_db"] == "-50.00"
    assert rows[2]["expected_input"] == "" and rows[2]["delay_ms"] == ""
    assert rows[1]["notes"] == "polarity inverted"


def test_report_text_table(report) -> None:
    text = report.text_table()
    lines = text.splitlines()
    assert lines[0].startswith("Routing check: Multi8 -> Rev (3 outputs x 2 inputs")
    assert lines[1].split()[:3] == ["OUT", "EXPECTED", "STATUS"]
    assert lines[2].split()[:7] == ["1", "Front", "Left", "2", "In", "2", "pass"]
    assert "WRONG" in lines[3] and "expected on input 2 (In 2), arrives on 1 (In 1)" in lines[3]
    assert lines[-1] == "FAIL: 1 of 3 outputs (wrong: 2)"


def test_report_save(tmp_path: Path, report) -> None:
    assert json.loads(report.save(tmp_path / "r.json").read_text())["version"] == 1
    assert report.save(tmp_path / "r.csv").read_text().startswith("output,output_name")
    with pytest.raises(ValueError, match=r"\.json, \.csv or \.html"):
        report.save(tmp_path / "r.png")


def test_exact_silence_inside_an_arriving_signal_marks_a_dropout() -> None:
    """A server that delivers zeros mid-signal (PipeWire stalls) makes a take be repeated."""
    from scgui.measure.runs import _silence_inside_signal

    rng = np.random.default_rng(3)
    signal = (0.1 * rng.standard_normal(4800)).astype(np.float32)
    recording = np.zeros((8000, 2), np.float32)
    recording[1000:5800, 1] = signal
    assert not _silence_inside_signal(recording, signal, -40.0)
    stalled = recording.copy()
    stalled[3000:3256, :] = 0.0
    assert _silence_inside_signal(stalled, signal, -40.0)
    short_gap = recording.copy()
    short_gap[3000:3040, :] = 0.0  # shorter than a server cycle: not taken for one
    assert not _silence_inside_signal(short_gap, signal, -40.0)
    assert not _silence_inside_signal(np.zeros((8000, 2), np.float32), signal, -40.0)
