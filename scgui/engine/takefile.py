"""Crash-safe working files for formats whose header cannot stay valid while recording.

FLAC and Ogg/Vorbis headers are only right once the file is closed: a FLAC file cut off by
a kill says it holds 2**63-1 frames and ``soundfile.read`` refuses it, and rewriting an Ogg
header while open corrupts it. So a take in those formats is recorded to a working W64 file
beside the target (W64's header is rewritten at every flush, so a kill loses at most the
last flush interval), and the chosen format is produced from it at stop, checked, and only
then is the working file removed. After a crash, :func:`recover` does the same from what
the interrupted take left (``scgui recover PATH``).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

#: Formats recorded through a working file.
NEEDS_WORKING_FILE = frozenset({"FLAC", "OGG"})
#: Frames converted per block: bounded memory for takes of any length.
_BLOCK = 1 << 16
_SUFFIX = ".scgui-take.w64"


class TakeFileError(Exception):
    """A working file could not be turned into the chosen format; the message says why."""


@dataclass(frozen=True)
class Recovered:
    """What :func:`recover` made: the file, its frames and the working file it came from."""

    path: Path
    frames: int
    samplerate: int
    channels: int
    working: Path


def working_path(target: Path) -> Path:
    """Where a take meant for ``target`` is recorded meanwhile (hidden, same folder)."""
    return target.with_name(f".{target.name}{_SUFFIX}")


def target_of(working: Path) -> Path:
    """The file a working file was meant to become."""
    name = working.name
    if not (name.startswith(".") and name.endswith(_SUFFIX)):
        raise TakeFileError(f"'{working}' is not an scgui working file (*{_SUFFIX}).")
    return working.with_name(name[1 : -len(_SUFFIX)])


def pending_takes(folder: Path) -> list[Path]:
    """Working files left in ``folder`` by interrupted takes (for a recovery offer)."""
    try:
        return sorted(p for p in folder.iterdir() if p.name.endswith(_SUFFIX))
    except OSError:
        return []


def convert(working: Path, target: Path, format: str, subtype: str) -> int:
    """Write ``target`` in ``format``/``subtype`` from ``working``; check it; return frames.

    The target is written next to its final name and renamed over it only once it reads back
    with every frame, so a failure never leaves a half-written target behind.
    """
    partial = target.with_name(f".{target.name}.scgui-partial")
    try:
        with soundfile.SoundFile(working) as source:
            rate, channels = source.samplerate, source.channels
            with soundfile.SoundFile(
                partial,
                "w",
                samplerate=rate,
                channels=channels,
                format=format,
                subtype=subtype,
            ) as out:
                for block in source.blocks(_BLOCK, dtype="float32", always_2d=True):
                    out.write(np.clip(block, -1.0, 1.0) if format == "FLAC" else block)
            frames = source.frames
        written = _count_frames(partial)
        if written != frames:
            raise TakeFileError(
                f"'{target}' came out with {written} of {frames} frames; the take is still "
                f"in '{working}'."
            )
        os.replace(partial, target)
    except (soundfile.SoundFileError, OSError, RuntimeError) as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        if isinstance(exc, TakeFileError):
            raise
        raise TakeFileError(
            f"Could not write '{target}' from the take in '{working}': {exc}. The take is "
            "kept there: free some space, then run 'scgui recover' on it."
        ) from exc
    return frames


def _count_frames(path: Path) -> int:
    """Frames a file really holds, read to the end (headers of cut files can lie)."""
    count = 0
    with soundfile.SoundFile(path) as check:
        for block in check.blocks(_BLOCK, dtype="float32", always_2d=True):
            count += block.shape[0]
    return count


def recover(path: Path, subtype: str | None = None) -> Recovered:
    """Turn what an interrupted take left into a readable file at the path the user chose.

    ``path`` is the chosen file (``take.flac``) or its working file. The format comes from
    the target's extension. The working file is removed only after the target checks out.
    """
    from .writer import _resolve_format  # the one rule for extensions and subtypes

    working = path if path.name.endswith(_SUFFIX) else working_path(path)
    target = target_of(working)
    if not working.exists():
        raise TakeFileError(
            f"There is nothing to recover for '{target}': no working file '{working.name}' in "
            f"'{working.parent}'. A take in a WAV, W64 or RF64 file needs no recovery: open it "
            "directly."
        )
    if target.exists() and target.stat().st_size > 0:
        raise TakeFileError(
            f"'{target}' already exists and is not empty; move it away first, so that "
            f"recovering '{working.name}' cannot replace it."
        )
    try:
        info = soundfile.info(str(working))
    except (soundfile.SoundFileError, RuntimeError) as exc:
        raise TakeFileError(f"'{working}' cannot be read: {exc}.") from exc
    format, chosen = _resolve_format(target, None, subtype)
    frames = convert(working, target, format, chosen)
    working.unlink()
    return Recovered(target, frames, info.samplerate, info.channels, working)
