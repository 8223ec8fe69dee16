"""Regenerate the backends' prebuilt FFI modules from their declarations.

Run after editing ``scgui/audio/backends/_pulse_cdef.py``, ``_wasapi_cdef.py`` or
``_coreaudio_cdef.py``::

    .venv/bin/python scripts/generate_ffi.py          # rewrite the modules
    .venv/bin/python scripts/generate_ffi.py --check  # exit 1 if one is stale

The modules are out-of-line ABI-mode cffi modules (no compiler); see
``scgui.audio.backends._ffi_modules`` for why they exist.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scgui.audio.backends import _coreaudio_cdef, _pulse_cdef, _wasapi_cdef  # noqa: E402
from scgui.audio.backends._ffi_modules import FfiSpec, module_source  # noqa: E402

SPECS: tuple[FfiSpec, ...] = (
    _pulse_cdef.FFI_SPEC,
    _wasapi_cdef.FFI_SPEC,
    _coreaudio_cdef.FFI_SPEC,
)
BACKENDS = ROOT / "scgui" / "audio" / "backends"

_log = logging.getLogger("generate_ffi")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale modules")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    stale = 0
    for spec in SPECS:
        path = BACKENDS / f"{spec.module}.py"
        text = module_source(spec)
        current = path.read_text() if path.exists() else None
        if current == text:
            _log.info("%s is up to date", path.relative_to(ROOT))
        elif args.check:
            _log.error("%s is stale: run scripts/generate_ffi.py", path.relative_to(ROOT))
            stale += 1
        else:
            path.write_text(text)
            _log.info("wrote %s", path.relative_to(ROOT))
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
