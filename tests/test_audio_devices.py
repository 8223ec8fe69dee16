"""Enumeration, defaults, matching and identity of devices on the virtual rig."""

from __future__ import annotations

import pytest

import scgui.audio as sc
from scgui.virtual_rig import MULTI8, MULTI8_REVERSED, SCARLETT, SCARLETT_IN, SCARLETT_SWAPPED


def test_speakers_are_the_rigs_sinks() -> None:
    speakers = {speaker.id: speaker for speaker in sc.all_speakers()}
    assert set(speakers) == {SCARLETT.name, MULTI8.name}
    assert speakers["multi8"].channels == 8
    assert speakers["multi8"].name == "Multi8"
    assert speakers["scarlett"].name == "Focusrite Scarlett 2i2"
    assert speakers["multi8"].channel_names[:2] == ("Front Left", "Front Right")
    assert speakers["multi8"].info.samplerate == 48000


def test_microphones_with_and_without_loopback() -> None:
    plain = {mic.id for mic in sc.all_microphones()}
    assert plain == {SCARLETT_IN.name, SCARLETT_SWAPPED.name, MULTI8_REVERSED.name}
    every = sc.all_microphones(include_loopback=True)
    loopbacks = {mic.id: mic for mic in every if mic.isloopback}
    assert set(loopbacks) == {SCARLETT.monitor, MULTI8.monitor}
    assert loopbacks[MULTI8.monitor].channels == 8
    assert loopbacks[MULTI8.monitor].info.monitor_of == MULTI8.name
    assert not any(mic.isloopback for mic in sc.all_microphones())


def test_defaults() -> None:
    assert sc.default_speaker().id == SCARLETT.name
    assert sc.default_microphone().id == SCARLETT_IN.name


def test_repr_equality_and_hash() -> None:
    first = sc.get_speaker("multi8")
    again = sc.all_speakers()[[s.id for s in sc.all_speakers()].index("multi8")]
    assert repr(first) == "<Speaker Multi8 (8 channels)>"
    assert first == again and hash(first) == hash(again)
    assert first != sc.get_speaker("scarlett")
    assert len({first, again}) == 1
    loopback = sc.get_microphone(MULTI8.monitor, include_loopback=True)
    assert repr(loopback) == "<Loopback Monitor of Multi8 (8 channels)>"
    assert repr(sc.get_microphone("scarlett_in")) == "<Microphone Scarlett 2i2 Input (2 channels)>"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("multi8", "multi8"),  # exact id
        ("Focusrite Scarlett 2i2", "scarlett"),  # exact name
        ("scarlett 2I2", "scarlett"),  # case-insensitive substring
        ("ulti", "multi8"),  # substring
        ("FS2i2", "scarlett"),  # fuzzy: letters in order
        ("Mt8", "multi8"),  # fuzzy
    ],
)
def test_get_speaker_matching(query: str, expected: str) -> None:
    assert sc.get_speaker(query).id == expected


def test_get_microphone_matching_and_loopback() -> None:
    assert sc.get_microphone("Reversed").id == MULTI8_REVERSED.name
    assert sc.get_microphone("swapped").id == SCARLETT_SWAPPED.name
    # A speaker's name finds its monitor when loopback is allowed, as in soundcard.
    assert sc.get_microphone("Multi8", include_loopback=True).id == MULTI8.monitor
    speaker_name = sc.default_speaker().name
    assert sc.get_microphone(speaker_name, include_loopback=True).id == SCARLETT.monitor
    # Without loopback, monitors are not candidates.
    with pytest.raises(sc.DeviceNotFoundError):
        sc.get_microphone(MULTI8.monitor)


def test_no_match_lists_available_names() -> None:
    with pytest.raises(sc.DeviceNotFoundError) as caught:
        sc.get_speaker("Neumann KH 120")
    message = str(caught.value)
    assert "Focusrite Scarlett 2i2" in message and "Multi8" in message
    assert isinstance(caught.value, IndexError)  # soundcard compatibility
    assert isinstance(caught.value, sc.AudioError)


@pytest.mark.parametrize("query", [".*", "Multi[8]", "(", "\\d", "8$"])
def test_special_characters_are_literal(query: str) -> None:
    with pytest.raises(sc.DeviceNotFoundError):
        sc.get_speaker(query)


def test_device_objects_pass_through() -> None:
    speaker = sc.get_speaker("multi8")
    assert sc.get_speaker(speaker) is speaker
    microphone = sc.get_microphone("Reversed")
    assert sc.get_microphone(microphone) is microphone


def test_volume_mute_and_default_round_trip(rig) -> None:
    speaker = sc.get_speaker("multi8")
    try:
        speaker.set_volume(0.5)
        assert speaker.volume == pytest.approx((0.5,) * 8, abs=1e-4)
        speaker.set_volume([1.0, 0.25, 1, 1, 1, 1, 1, 1])
        assert speaker.volume[1] == pytest.approx(0.25, abs=1e-4)
        assert "25%" in rig.pactl("get-sink-volume", "multi8")
        speaker.set_mute(True)
        assert speaker.muted and speaker.refreshed().info.muted
        assert "yes" in rig.pactl("get-sink-mute", "multi8")
        speaker.set_default()
        assert sc.default_speaker() == speaker
        mic = sc.get_microphone("Reversed")
        mic.set_volume(0.75)
        assert mic.volume == pytest.approx((0.75,) * 8, abs=1e-4)
    finally:
        speaker.set_volume(1.0)
        speaker.set_mute(False)
        sc.get_microphone("Reversed").set_volume(1.0)
        sc.get_speaker("scarlett").set_default()


@pytest.mark.parametrize("volume", [-0.1, 5.0, "loud", [1.0, 1.0, 1.0], True])
def test_bad_volume(volume) -> None:
    with pytest.raises(sc.InvalidConfigError, match="olume"):
        sc.get_speaker("scarlett").set_volume(volume)
