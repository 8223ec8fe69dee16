"""The prebuilt FFI modules: up to date with their cdefs, and declaring exactly what they do."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scgui.audio.backends import _coreaudio_cdef, _pulse_cdef, _wasapi_cdef
from scgui.audio.backends._ffi_modules import FfiSpec, load_ffi, module_source, parse_ffi

ROOT = Path(__file__).resolve().parent.parent
SPECS = [_pulse_cdef.FFI_SPEC, _wasapi_cdef.FFI_SPEC, _coreaudio_cdef.FFI_SPEC]


def _generated(spec: FfiSpec) -> Any:
    return importlib.import_module(f"scgui.audio.backends.{spec.module}")


def _plain(cname: str) -> str:
    """A C type's spelling without the struct/union keyword (only one of the two FFIs keeps it)."""
    return re.sub(r"\b(struct|union) ", "", cname)


def _layout(ffi: Any) -> dict[str, Any]:
    """Every named type's size and every struct field's type and offset."""
    typedefs, structs, unions = ffi.list_types()
    layout: dict[str, Any] = {}
    for name in typedefs + [f"struct {s}" for s in structs] + [f"union {u}" for u in unions]:
        ctype = ffi.typeof(name)
        try:
            size: Any = ffi.sizeof(ctype)
        except Exception:  # opaque: the parsed FFI raises ffi.error, the generated one ValueError
            size = "opaque"
        fields = None
        if ctype.kind == "struct" and size != "opaque":
            fields = [(f, _plain(t.type.cname), t.offset) for f, t in ctype.fields]
        layout[name] = (_plain(ctype.cname), size, fields)
    return layout


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.module)
def test_the_committed_module_is_what_the_cdef_generates(spec: FfiSpec) -> None:
    committed = (ROOT / "scgui" / "audio" / "backends" / f"{spec.module}.py").read_text()
    assert committed == module_source(spec), "stale: run scripts/generate_ffi.py"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.module)
def test_the_prebuilt_ffi_has_the_parsed_layouts(spec: FfiSpec) -> None:
    generated, parsed = _generated(spec), parse_ffi(spec)
    assert load_ffi(spec, generated) is generated.ffi
    built, expected = _layout(generated.ffi), _layout(parsed)
    assert len(expected) > 20
    assert built == expected


def test_the_prebuilt_pulse_functions_have_the_parsed_signatures() -> None:
    generated, parsed = _generated(_pulse_cdef.FFI_SPEC).ffi, parse_ffi(_pulse_cdef.FFI_SPEC)
    try:
        built_lib, parsed_lib = generated.dlopen("libpulse.so.0"), parsed.dlopen("libpulse.so.0")
    except OSError:
        pytest.skip("libpulse is not installed")
    names = [n for n in dir(parsed_lib) if n.startswith("pa_")]
    assert len(names) > 50 and names == [n for n in dir(built_lib) if n.startswith("pa_")]
    for name in names:
        assert _plain(generated.typeof(getattr(built_lib, name)).cname) == _plain(
            parsed.typeof(getattr(parsed_lib, name)).cname
        ), name


def test_a_stale_or_missing_module_falls_back_to_parsing() -> None:
    spec = _pulse_cdef.FFI_SPEC
    edited = FfiSpec(spec.module, ((spec.parts[0][0] + "\nint pa_made_up(void);\n", False),))
    generated = _generated(spec)
    for module in (generated, None):
        ffi = load_ffi(edited, module)
        assert ffi is not generated.ffi
        assert "pa_made_up" in ffi.dlopen("libpulse.so.0").__dir__()


def test_listing_devices_needs_neither_pycparser_numpy_nor_package_metadata() -> None:
    """What start-up no longer pays for: parsing the cdef, numpy, reading package metadata."""
    code = (
        "import sys, scgui.audio as sc\n"
        "from scgui.audio.backends import _pulse_connection as c\n"
        "c.load_libpulse()\n"
        "heavy = ('pycparser', 'numpy', 'importlib.metadata')\n"
        "seen = [m for m in sys.modules if m.startswith(heavy)]\n"
        "print(sorted(seen))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
