"""Render the application icon ``resources/scgui.svg`` into the files each platform wants.

    .venv/bin/python scripts/make_icons.py            # rewrite resources/icons/
    .venv/bin/python scripts/make_icons.py --check    # exit 1 if resources/icons/ is stale

Writes to ``resources/icons/`` (committed, so a build never needs to run this):

* ``scgui-N.png`` for N in 16, 24, 32, 48, 64, 128, 256, 512: the window icon, the Linux
  ``hicolor`` theme sizes (installed as ``org.scgui.scgui.png``) and the sources of the two
  containers below;
* ``scgui.ico``: Windows, one PNG entry per size from 16 to 256 (the ICO limit);
* ``scgui.icns``: macOS, PNG entries from 16 to 1024 (512@2x), including the Retina ``@2x``
  slots.

Rendering uses Qt's SVG renderer (``PySide6.QtSvg``, part of PySide6-Essentials) on the
``offscreen`` platform, so no display is needed. Below 32 px the SVG group ``peaks`` is left
out (it is thinner than a pixel there and only greys the bars), and at 16 px the meters move
half a pixel so their edges fall on pixel boundaries. The ICO and ICNS containers are
written here byte by byte (both are a small header, a table and PNG data), so the output does
not depend on which Qt image plugins are installed.

After editing the SVG, run this script, look at the PNGs and commit ``resources/icons/``.
``tests/test_packaging.py`` fails when the committed PNGs no longer match the SVG.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "scgui.svg"
OUT = ROOT / "resources" / "icons"

PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS element types holding PNG data, with their pixel size (Apple's "@2x" slots share a
# size with a plain slot, e.g. ic11 is 16@2x = 32 px).
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"ic11", 32),
    (b"icp6", 64),
    (b"ic12", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic13", 256),
    (b"ic09", 512),
    (b"ic14", 512),
    (b"ic10", 1024),
)
SMALL_SIZE = 32  # below this, drop the details listed in SMALL_DROP
SMALL_DROP = ("peaks",)
# At 16 px the 64-unit bars start half a pixel off the grid and blur; moving the meters right
# by half a pixel (16 units) makes them sharp, at the cost of being off-centre by that much.
PIXEL_NUDGE = {16: ("translate(16 0)", ("troughs", "levels"))}
SVG_NS = "http://www.w3.org/2000/svg"


def svg_for_size(svg_text: str, size: int) -> bytes:
    """The SVG to render at ``size`` px: small sizes lose SMALL_DROP and get PIXEL_NUDGE."""
    if size >= SMALL_SIZE:
        return svg_text.encode("utf-8")
    ET.register_namespace("", SVG_NS)
    root = ET.fromstring(svg_text)
    for parent in list(root.iter()):
        for child in list(parent):
            if child.get("id") in SMALL_DROP:
                parent.remove(child)
    transform, ids = PIXEL_NUDGE.get(size, ("", ()))
    for element in root.iter():
        if element.get("id") in ids:
            element.set("transform", transform)
    return ET.tostring(root, encoding="utf-8")


def render_png(svg_text: str, size: int) -> bytes:
    """The icon at ``size`` x ``size`` px as PNG bytes (transparent outside the tile)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg_for_size(svg_text, size)))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: Qt cannot read {SVG}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise SystemExit("make_icons: Qt could not encode a PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows ICO holding one PNG entry per size (Vista and later read PNG entries)."""
    sizes = [size for size in ICO_SIZES if size in pngs]
    header = struct.pack("<HHH", 0, 1, len(sizes))  # reserved, type 1 = icon, count
    offset = len(header) + 16 * len(sizes)
    table = b""
    body = b""
    for size in sizes:
        data = pngs[size]
        dim = 0 if size >= 256 else size  # 0 means 256 in the one-byte fields
        # width, height, palette colours, reserved, colour planes, bits per pixel, size, offset
        table += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset + len(body))
        body += data
    return header + table + body


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS ICNS: 'icns', total length, then (type, length, PNG data) elements, big-endian."""
    elements = b""
    for kind, size in ICNS_TYPES:
        data = pngs[size]
        elements += kind + struct.pack(">I", 8 + len(data)) + data
    return b"icns" + struct.pack(">I", 8 + len(elements)) + elements


def build(svg_text: str) -> dict[str, bytes]:
    """Every output file name (in resources/icons/) with its contents."""
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    needed = sorted(set(PNG_SIZES) | set(ICO_SIZES) | {size for _, size in ICNS_TYPES})
    pngs = {size: render_png(svg_text, size) for size in needed}
    files = {f"scgui-{size}.png": pngs[size] for size in PNG_SIZES}
    files["scgui.ico"] = ico_bytes(pngs)
    files["scgui.icns"] = icns_bytes(pngs)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="only report whether resources/icons/ is up to date"
    )
    args = parser.parse_args(argv)
    files = build(SVG.read_text(encoding="utf-8"))
    stale = [name for name, data in files.items() if not _same(OUT / name, data)]
    if args.check:
        for name in stale:
            print(f"stale: resources/icons/{name}")
        print("resources/icons/ is up to date" if not stale else "run scripts/make_icons.py")
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (OUT / name).write_bytes(data)
        print(f"{'wrote' if name in stale else 'same '} resources/icons/{name} ({len(data)} B)")
    return 0


def _same(path: Path, data: bytes) -> bool:
    return path.exists() and path.read_bytes() == data


if __name__ == "__main__":
    sys.exit(main())
