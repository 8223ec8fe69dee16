"""Channel numbers as people type and read them: one rule for the window and the CLI."""

from __future__ import annotations

import argparse

import pytest

from scgui.audio.channelmap import MONO_MIX
from scgui.channel_text import (
    MIX,
    channel_label,
    format_channel_list,
    parse_channel_list,
    parse_channel_number,
    parse_routing_list,
)
from scgui.cli_args import channel_index, parse_channels


def test_the_mix_index_is_the_librarys() -> None:
    assert MIX == MONO_MIX


@pytest.mark.parametrize(
    ("text", "indexes"),
    [
        ("", None),
        ("  ", None),
        ("1", [0]),
        ("2", [1]),  # a number is a channel, never a count
        ("1,2", [0, 1]),
        ("3 4", [2, 3]),
        ("1-4", [0, 1, 2, 3]),
        ("1 - 3, 8", [0, 1, 2, 7]),
        ("5–6", [4, 5]),
        ("mix", [MIX]),
        ("1,MIX", [0, MIX]),
    ],
)
def test_typed_channels_are_numbered_from_one(text: str, indexes: list[int] | None) -> None:
    assert parse_channel_list(text) == indexes


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("0", "the first is 1"),
        ("-1", "for the mono mix, type mix"),
        ("left", "not a channel number"),
        ("4-2", "a range goes up"),
        ("1.5", "not a channel number"),
    ],
)
def test_typos_are_explained(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_channel_list(text)


@pytest.mark.parametrize(
    "indexes", [[0], [0, 1], [0, 1, 2, 3], [3, 2, 1, 0], [0, 1, 2, 5, 6, 7, MIX], [7, MIX, 0]]
)
def test_formatting_reads_back(indexes: list[int]) -> None:
    assert parse_channel_list(format_channel_list(indexes)) == indexes


def test_formatting_uses_ranges_for_runs() -> None:
    assert format_channel_list([0, 1, 2, 3, 6, MIX]) == "1-4,7,mix"
    assert format_channel_list([0, 1]) == "1,2"


def test_labels_number_from_one_and_skip_names_that_are_only_numbers() -> None:
    assert channel_label(2, "Rear Left") == "3 Rear Left"
    assert channel_label(0, "Auxiliary 0") == "1"  # not "1 Auxiliary 0"
    assert channel_label(31, "aux31") == "32"
    assert channel_label(4, "") == "5"
    assert channel_label(MIX, "Mix") == "mix"


def test_routing_lists() -> None:
    assert parse_routing_list("8,7,-,1") == [7, 6, None, 0]
    assert parse_routing_list("2 1") == [1, 0]
    with pytest.raises(ValueError):
        parse_routing_list("")
    assert parse_channel_number(" 3 ") == 2


def test_the_command_line_reads_channels_by_the_same_rule() -> None:
    for text in ("1", "1,2", "1-8", "3,mix"):
        assert parse_channels(text) == parse_channel_list(text)
    assert channel_index("--output-channel")("1") == 0
    with pytest.raises(argparse.ArgumentTypeError, match="--channels 0: '0' is not a channel"):
        parse_channels("0")
