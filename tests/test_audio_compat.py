"""scgui.audio as a drop-in for soundcard: names, arguments, channel names, errors.

The facts checked here come from soundcard's PulseAudio backend (soundcard/pulseaudio.py and
its test_soundcard.py): the program-name cases of its ``test_infer_name``, the
``exclude_monitors`` deprecation, ``channel_name_map()``'s numbers, one-channel streams being
the server's mono mix, and the exception classes it raises.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import cffi
import numpy as np
import pytest

import scgui.audio as sc
import scgui.audio.pulseaudio as sc_pulseaudio
from audio_helpers import RATE, capture_while_playing, find_exact, pattern
from scgui.audio.appname import MAX_APP_NAME_LENGTH, infer_program_name
from scgui.audio.backends.pulseaudio import PulseAudioBackend
from scgui.audio.channelmap import MONO_MIX, POSITION_NAMES, parse_channel_map
from scgui.audio.matching import MAX_QUERY_LENGTH
from scgui.virtual_rig import MULTI8, SCARLETT, SCARLETT_IN

STEREO = ("front-left", "front-right")
SURROUND_71 = MULTI8.channel_map  # front-left, front-right, rear-left, rear-right, fc, lfe, sl, sr


def run_python(
    args: list[str], cwd: Path | None = None, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run this interpreter with ``args``; fail the test with its output if it fails."""
    result = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        input=stdin,
        env={**os.environ, **env},
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


# --------------------------------------------------------------------------- program name

PRINT_NAME = "from scgui.audio.appname import infer_program_name; print(infer_program_name())"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [  # soundcard's own test_infer_name cases
        (["./script.py"], "script.py"),
        (["path/to/script.py"], "script.py"),
        (["module/__main__.py"], "module"),
        (["-m", "module.submodule"], "module.submodule"),
        (["-c", "import soundcard; soundcard.foo()"], "import soundcard; soundcard.fo..."),
    ],
)
def test_infer_program_name_as_soundcard_tests_it(monkeypatch, argv, expected) -> None:
    monkeypatch.setattr(sys, "argv", argv)
    monkeypatch.setattr(sys, "orig_argv", [sys.executable, "-m", "pytest"], raising=False)
    infer = sc_pulseaudio._PulseAudio._infer_program_name  # reads sys.argv when called
    assert infer() == expected


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([""], "python"),  # interactive
        (["-"], "python"),  # script from stdin
        ([], "python"),  # embedded interpreter with no argv
        (["-c"], "python"),  # -c code that this argv does not show
        (["pkg/"], "pkg"),  # python pkg/ (a directory with __main__.py)
        (["C:\\tools\\rec\\__main__.py"], "rec"),
        (["-c", "x = 1"], "x = 1"),  # short code is not cut
        (["-c", "a\n    b  c"], "a b c"),  # on one line
        (["/venv/bin/pytest", "-q"], "pytest"),  # the pytest console script
    ],
)
def test_infer_program_name_other_shapes(monkeypatch, argv, expected) -> None:
    monkeypatch.setattr(sys, "orig_argv", [sys.executable, "-m", "pytest"], raising=False)
    assert infer_program_name(argv) == expected


def test_inferred_name_is_always_a_valid_name(monkeypatch, restore_name) -> None:
    monkeypatch.setattr(sys, "orig_argv", [sys.executable], raising=False)
    name = infer_program_name(["/" + "s" * 5000 + ".py"])
    assert len(name) == MAX_APP_NAME_LENGTH and name.endswith("...")
    sc.set_name(name)  # accepted as it is


def test_infer_program_name_under_pytest_is_pytest() -> None:
    """The running session: ``python -m pytest`` or the pytest script, never __main__.py."""
    assert infer_program_name() == "pytest"


def _write_package(root: Path) -> None:
    package = root / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text(f"print('init:', end=' '); {PRINT_NAME}\n")
    (package / "__main__.py").write_text(PRINT_NAME + "\n")
    (package / "mod.py").write_text(PRINT_NAME + "\n")
    (root / "script.py").write_text(PRINT_NAME + "\n")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-m", "pkg", "a", "b"], "init: pkg\npkg"),  # while importing, argv[0] is '-m'
        (["-mpkg"], "init: pkg\npkg"),
        (["-m", "pkg.mod", "x"], "init: pkg.mod\npkg.mod"),
        (["pkg/__main__.py", "q"], "pkg"),  # the file itself: the package is not imported
        (["pkg"], "pkg"),
        (["script.py", "arg"], "script.py"),
        (["./script.py"], "script.py"),
        (["-c", PRINT_NAME], "from scgui.audio.appname impor..."),
        (["-c", PRINT_NAME, "first-arg"], "from scgui.audio.appname impor..."),
        (["-Ec", PRINT_NAME], "from scgui.audio.appname impor..."),
        (["-W", "ignore", "-c", PRINT_NAME, "-c"], "from scgui.audio.appname impor..."),
        (["-c" + PRINT_NAME], "from scgui.audio.appname impor..."),
    ],
)
def test_program_name_of_real_command_lines(tmp_path, args, expected) -> None:
    _write_package(tmp_path)
    assert run_python(args, cwd=tmp_path).stdout.strip() == expected


def test_program_name_of_stdin_and_interactive(tmp_path) -> None:
    assert run_python(["-"], cwd=tmp_path, stdin=PRINT_NAME).stdout.strip() == "python"
    interactive = run_python(["-i", "-q"], cwd=tmp_path, stdin=PRINT_NAME + "\n")
    assert interactive.stdout.strip() == "python"


@pytest.mark.parametrize("launcher", ["module", "script"])
def test_program_name_under_a_fresh_pytest(tmp_path, launcher) -> None:
    (tmp_path / "test_name.py").write_text(
        "from scgui.audio.appname import infer_program_name\n\n"
        "def test_name():\n"
        "    print('NAME=' + infer_program_name())\n"
    )
    options = ["-q", "-s", "-p", "no:cacheprovider", "test_name.py"]
    if launcher == "module":
        output = run_python(["-m", "pytest", *options], cwd=tmp_path).stdout
    else:
        script = Path(sys.executable).parent / "pytest"
        if not script.exists():
            pytest.skip(f"no pytest script beside {sys.executable}")
        output = subprocess.run(
            [str(script), *options], capture_output=True, text=True, timeout=60, cwd=tmp_path
        ).stdout
    assert "NAME=pytest\n" in output


def test_server_shows_pytest_for_a_new_connection(rig) -> None:
    """A backend made without a name appears as 'pytest' in the server's client list."""
    backend = PulseAudioBackend()
    try:
        backend.list_devices("speaker")  # connects
        assert backend.get_name() == "pytest"
        assert 'application.name = "pytest"' in rig.pactl("list", "clients")
    finally:
        backend.close()


# --------------------------------------------------------------------------- set_name checks


@pytest.fixture
def restore_name():
    previous = sc.get_name()
    yield
    sc.set_name(previous)


@pytest.mark.parametrize("name", ["", "   ", "a\0b", "x" * (MAX_APP_NAME_LENGTH + 1), "x" * 70000])
def test_set_name_rejects_unusable_names(rig, restore_name, name) -> None:
    sc.all_speakers()  # a live connection, which a bad rename would break
    before = sc.get_name()
    with pytest.raises(sc.InvalidConfigError) as caught:
        sc.set_name(name)
    assert isinstance(caught.value, ValueError)
    assert sc.get_name() == before
    assert sc.get_speaker(SCARLETT.name).id == SCARLETT.name  # still connected


def test_set_name_non_string_is_a_type_error(restore_name) -> None:
    with pytest.raises(TypeError):
        sc.set_name(42)  # type: ignore[arg-type]


def test_set_name_longest_accepted_name_reaches_the_server(rig, restore_name) -> None:
    sc.all_speakers()
    name = "n" * MAX_APP_NAME_LENGTH
    sc.set_name(name)
    assert sc.get_name() == name
    assert f'application.name = "{name}"' in rig.pactl("list", "clients")


# --------------------------------------------------------------------------- pulseaudio module


def test_importing_the_pulseaudio_module_loads_nothing_native() -> None:
    result = run_python(
        [
            "-c",
            textwrap.dedent(
                """
                import sys
                import scgui.audio.pulseaudio as pa
                native = [
                    m for m in sys.modules
                    if m.rsplit('.', 1)[-1].startswith('_pulse') or 'backends.pulseaudio' in m
                ]
                print('native', native, pa._Speaker.__name__)
                """
            ),
        ],
        PULSE_SERVER="unix:/nonexistent/socket",
    )
    assert "native [] Speaker" in result.stdout


def test_pulseaudio_module_has_soundcards_names() -> None:
    assert sc_pulseaudio._Speaker is sc.Speaker
    assert sc_pulseaudio._Microphone is sc.Microphone
    assert sc_pulseaudio._Player is sc.Player
    assert sc_pulseaudio._Recorder is sc.Recorder
    for name in (
        "all_speakers",
        "all_microphones",
        "default_speaker",
        "default_microphone",
        "get_speaker",
        "get_microphone",
        "get_name",
        "set_name",
        "channel_name_map",
    ):
        assert getattr(sc_pulseaudio, name) is getattr(sc, name), name
    assert sc.pulseaudio is sc_pulseaudio  # reachable as soundcard.pulseaudio is
    assert isinstance(sc.default_speaker(), sc_pulseaudio._Speaker)
    assert isinstance(sc.default_microphone(), sc_pulseaudio._Microphone)
    namespace: dict[str, object] = {}
    exec("from scgui.audio.pulseaudio import *", namespace)
    assert namespace["get_speaker"] is sc.get_speaker


# --------------------------------------------------------------------------- exclude_monitors


def test_exclude_monitors_false_includes_loopback_and_warns() -> None:
    with pytest.warns(DeprecationWarning, match="include_loopback") as record:
        microphones = sc.all_microphones(exclude_monitors=False)
    assert record[0].filename == __file__  # points at the caller
    assert {SCARLETT.monitor, MULTI8.monitor} <= {m.id for m in microphones}
    with pytest.warns(DeprecationWarning) as record:
        monitor = sc.get_microphone(MULTI8.monitor, exclude_monitors=False)
    assert monitor.id == MULTI8.monitor and monitor.isloopback
    assert len(record) == 1 and record[0].filename == __file__


def test_exclude_monitors_default_is_silent_and_excludes() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not any(m.isloopback for m in sc.all_microphones(exclude_monitors=True))
        assert sc.all_microphones(include_loopback=True, exclude_monitors=True) == (
            sc.all_microphones(include_loopback=True)
        )
        with pytest.raises(sc.DeviceNotFoundError):
            sc.get_microphone(MULTI8.monitor, exclude_monitors=True)


# --------------------------------------------------------------------------- channel names


def test_position_names_are_libpulses() -> None:
    ffi = cffi.FFI()
    ffi.cdef("const char *pa_channel_position_to_string(int pos);")
    lib = ffi.dlopen("libpulse.so.0")
    theirs = [ffi.string(lib.pa_channel_position_to_string(i)).decode() for i in range(51)]
    assert list(POSITION_NAMES) == theirs
    assert lib.pa_channel_position_to_string(len(POSITION_NAMES)) == ffi.NULL


def test_module_channel_name_map_has_soundcards_numbers() -> None:
    names = sc.channel_name_map()
    assert len(names) == len(POSITION_NAMES) + 4
    assert names["mono"] == -1
    assert names["front-left"] == names["left"] == 0
    assert names["front-right"] == names["right"] == 1
    assert names["front-center"] == names["center"] == 2
    assert names["rear-center"] == 3
    assert names["lfe"] == names["subwoofer"] == 6
    assert names["side-right"] == 10
    assert names["aux0"] == 11 and names["aux31"] == 42
    assert names["top-rear-center"] == 49


def test_device_channel_name_map_gives_device_indexes() -> None:
    multi8 = sc.get_speaker(MULTI8.name)
    assert multi8.channel_positions == SURROUND_71
    names = multi8.channel_name_map()
    assert names["lfe"] == names["subwoofer"] == 5
    assert names["center"] == 4 and names["side-right"] == 7
    assert names["left"] == 0 and names["mono"] == MONO_MIX
    assert "aux0" not in names
    monitor = sc.get_microphone(SCARLETT.monitor, include_loopback=True)
    assert monitor.channel_name_map() == {
        "front-left": 0,
        "front-right": 1,
        "left": 0,
        "right": 1,
        "mono": MONO_MIX,
    }


@pytest.mark.parametrize(
    ("channels", "positions", "columns"),
    [
        (["right"], STEREO, (1,)),
        (["left", 1, "mono"], STEREO, (0, 1, MONO_MIX)),
        (["front-right", "front-left"], STEREO, (1, 0)),
        (["lfe", "subwoofer", "center", "side-left"], SURROUND_71, (5, 5, 4, 6)),
        ([" Front-Left "], SURROUND_71, (0,)),
        (np.array(["rear-right", "rear-left"]), SURROUND_71, (3, 2)),
        (["aux2", "aux0"], ("aux0", "aux1", "aux2"), (2, 0)),
    ],
)
def test_names_resolve_to_the_device_channel_at_that_position(channels, positions, columns) -> None:
    cmap = parse_channel_map(channels, len(positions), "dev", positions=positions)
    assert cmap.columns == columns


def test_a_name_the_device_lacks_lists_its_channels() -> None:
    with pytest.raises(sc.InvalidConfigError) as caught:
        parse_channel_map(["lfe"], 2, "Focusrite Scarlett 2i2", positions=STEREO)
    message = str(caught.value)
    assert "'Focusrite Scarlett 2i2' has no 'lfe' channel" in message
    assert "front-left (0), front-right (1)" in message
    with pytest.raises(sc.InvalidConfigError, match="'woofer' is not a channel position name"):
        parse_channel_map(["woofer"], 2, "dev", positions=STEREO)
    with pytest.raises(sc.InvalidConfigError, match="Use channel indexes"):
        parse_channel_map(["left"], 2, "dev")  # the backend gave no positions
    with pytest.raises(sc.InvalidConfigError, match=r"pass \['left'\]"):
        parse_channel_map("left", 2, "dev", positions=STEREO)


def test_name_the_device_lacks_fails_on_a_real_player() -> None:
    speaker = sc.get_speaker(SCARLETT.name)
    with pytest.raises(sc.InvalidConfigError, match="front-left"):
        speaker.player(RATE, channels=["lfe"])


def test_right_plays_only_on_channel_1() -> None:
    speaker = sc.get_speaker(SCARLETT.name)
    monitor = sc.get_microphone(SCARLETT.monitor, include_loopback=True)
    data = pattern(RATE // 4, 1, seed=21)
    recording = capture_while_playing(speaker, monitor, data, play_channels=["right"])
    expected = np.zeros((len(data), 2), dtype=np.float32)
    expected[:, 1] = data[:, 0]
    find_exact(recording, expected)


def test_names_on_a_surround_device_play_and_record_exactly() -> None:
    speaker = sc.get_speaker(MULTI8.name)
    monitor = sc.get_microphone(MULTI8.monitor, include_loopback=True)
    data = pattern(RATE // 4, 2, seed=22)
    recording = capture_while_playing(speaker, monitor, data, play_channels=["subwoofer", "center"])
    expected = np.zeros((len(data), 8), dtype=np.float32)
    expected[:, 5], expected[:, 4] = data[:, 0], data[:, 1]
    find_exact(recording, expected)
    full = pattern(RATE // 4, 8, seed=23)
    recording = capture_while_playing(
        speaker, monitor, full, record_channels=["lfe", "front-left", 7]
    )
    find_exact(recording, full[:, [5, 0, 7]])


# --------------------------------------------------------------------------- channels=1


def test_int_1_is_the_mono_mix_on_several_channels_only() -> None:
    assert parse_channel_map(1, 2, "dev").columns == (MONO_MIX,)
    assert parse_channel_map(np.int32(1), 8, "dev").columns == (MONO_MIX,)
    assert parse_channel_map(1, 1, "dev").columns == (0,)
    assert parse_channel_map(1, 1, "dev").is_identity
    assert parse_channel_map(2, 8, "dev").columns == (0, 1)
    assert parse_channel_map([0], 2, "dev").columns == (0,)


def test_recording_one_channel_of_a_stereo_mic_hears_both_sides() -> None:
    speaker = sc.get_speaker(SCARLETT.name)
    microphone = sc.get_microphone(SCARLETT_IN.name)
    data = pattern(RATE // 4, 2, seed=24)
    data[:, 1] *= -0.5  # left and right clearly different
    recording = capture_while_playing(speaker, microphone, data, record_channels=1)
    assert recording.shape[1] == 1
    find_exact(recording, ((data[:, 0] + data[:, 1]) / np.float32(2))[:, np.newaxis])


def test_playing_one_channel_goes_to_every_channel() -> None:
    speaker = sc.get_speaker(MULTI8.name)
    monitor = sc.get_microphone(MULTI8.monitor, include_loopback=True)
    data = pattern(RATE // 4, 1, seed=25)
    recording = capture_while_playing(speaker, monitor, data[:, 0], play_channels=1)
    find_exact(recording, np.repeat(data, 8, axis=1))


def test_channel_list_0_stays_exactly_channel_0() -> None:
    speaker = sc.get_speaker(SCARLETT.name)
    monitor = sc.get_microphone(SCARLETT.monitor, include_loopback=True)
    data = pattern(RATE // 4, 1, seed=26)
    recording = capture_while_playing(speaker, monitor, data, play_channels=[0])
    find_exact(recording, np.hstack([data, np.zeros_like(data)]))
    both = pattern(RATE // 4, 2, seed=27)
    recording = capture_while_playing(speaker, monitor, both, record_channels=[0])
    find_exact(recording, both[:, :1])


# --------------------------------------------------------------------------- errors


def test_errors_soundcard_raises_as_runtime_error_still_are() -> None:
    for error in (
        sc.ServerUnavailableError,
        sc.StreamError,
        sc.BackendError,
        sc.BackendUnavailableError,
        sc.InvalidConfigError,
    ):
        assert issubclass(error, RuntimeError) and issubclass(error, sc.AudioError), error
    assert issubclass(sc.InvalidConfigError, ValueError)
    assert issubclass(sc.DeviceNotFoundError, IndexError)  # what soundcard raises
    assert not issubclass(sc.DeviceNotFoundError, RuntimeError)
    assert sc.BackendError("failed", code=3).code == 3


def test_runtime_error_catches_real_failures() -> None:
    speaker = sc.get_speaker(SCARLETT.name)
    with pytest.raises(RuntimeError):  # soundcard: RuntimeError('invalid channel map')
        speaker.player(RATE, channels=[0, 5])
    with pytest.raises(RuntimeError):  # a player used outside its 'with' block
        speaker.player(RATE).play(np.zeros(16, dtype=np.float32))
    with pytest.raises(IndexError):  # soundcard: IndexError('no soundcard with id ...')
        sc.get_speaker("Neumann KH 120")


def test_no_server_is_a_runtime_error() -> None:
    result = run_python(
        [
            "-c",
            textwrap.dedent(
                """
                import scgui.audio as sc
                try:
                    sc.all_speakers()
                except RuntimeError as exc:
                    print('caught', type(exc).__name__)
                """
            ),
        ],
        PULSE_SERVER="unix:/nonexistent/socket",
    )
    assert "caught ServerUnavailableError" in result.stdout


# --------------------------------------------------------------------------- unusable queries


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\t\n", "empty"),
        ("x" * (MAX_QUERY_LENGTH + 1), f"{MAX_QUERY_LENGTH + 1} characters"),
    ],
)
def test_unusable_device_queries_are_clear_errors(query, says) -> None:
    lookups = (
        lambda: sc.get_speaker(query),
        lambda: sc.get_microphone(query),
        lambda: sc.get_microphone(query, include_loopback=True),
    )
    for lookup in lookups:
        with pytest.raises(sc.DeviceNotFoundError, match=says) as caught:
            lookup()
        assert isinstance(caught.value, IndexError)


def test_longest_accepted_query_is_an_ordinary_miss() -> None:
    with pytest.raises(sc.DeviceNotFoundError, match="No speaker matches"):
        sc.get_speaker("x" * MAX_QUERY_LENGTH)
