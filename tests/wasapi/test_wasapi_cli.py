"""The command line on Windows (WASAPI), against the rig: what a lab script would run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile

from scgui import cli
from scgui.virtual_rig import MULTI8, MULTI8_REVERSED, SCARLETT

pytestmark = pytest.mark.windows


def test_devices_as_json(rig, capsys) -> None:
    assert cli.main(["devices", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    text = json.dumps(listing)
    assert MULTI8.description in text and f"Monitor of {MULTI8.description}" in text


@pytest.mark.parametrize("extension", ["wav", "flac"])
def test_record_writes_a_file_that_reads_back(rig, tmp_path: Path, extension: str) -> None:
    path = tmp_path / f"take.{extension}"
    status = cli.main(
        ["record", "-i", f"Monitor of {MULTI8.description}", "-o", str(path), "-s", "0.5"]
    )
    assert status == 0
    info = soundfile.info(str(path))
    assert info.frames == 24000 and info.channels == 8 and info.samplerate == 48000


def test_routing_check_passes_through_the_reversed_source(rig, capsys, tmp_path) -> None:
    """The lab check on Windows: every output of Multi8 arrives where the wiring says."""
    report = tmp_path / "routing.json"
    status = cli.main(
        [
            "check-routing",
            "-o",
            MULTI8.description,
            "-i",
            MULTI8_REVERSED.description,
            "-e",
            "reverse",
            "--report",
            str(report),
        ]
    )
    out = capsys.readouterr().out
    assert status == 0, out
    assert "PASS: all 8 outputs routed as expected" in out
    assert report.exists()


def test_latency(rig, capsys) -> None:
    status = cli.main(
        ["latency", "-o", SCARLETT.description, "-i", f"Monitor of {SCARLETT.description}"]
    )
    out = capsys.readouterr().out
    assert status == 0, out
    assert "path latency" in out and "median of 5 takes" in out


def test_a_missing_device_is_one_line_and_status_1(rig, capsys) -> None:
    assert cli.main(["record", "-i", "no such input", "-o", "x.wav", "-s", "1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such input" in err
