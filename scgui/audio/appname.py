"""The application name the sound server shows for this process, and the rule for valid names.

Mixers such as pavucontrol list each client by this name, so it should say which program is
playing. :func:`infer_program_name` derives it from the command line the way the
``soundcard`` package does (a script is its file name, ``python -m pkg`` is ``pkg``), and also
gets right the cases where ``sys.argv`` alone misleads: ``python -m pytest`` names the module
``pytest`` rather than its ``__main__.py``, and ``python -c`` code is not in ``sys.argv`` at all
(only in ``sys.orig_argv``). :func:`check_app_name` is the single rule for a name a program
sets itself.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence

from .errors import InvalidConfigError

#: Longest application name accepted, in characters. PulseAudio sends the name in one
#: property-list packet; a name of tens of kilobytes makes the server drop the client and
#: refuse it from then on, and no mixer can show more than a line anyway.
MAX_APP_NAME_LENGTH = 200

#: The name when the command line says nothing useful (interactive, stdin, embedded).
FALLBACK_NAME = "python"

#: How much of ``python -c`` code becomes the name, as in the soundcard package.
CODE_NAME_LENGTH = 30

#: The interpreter's one-letter options that take no argument: they may come before -c or
#: -m in one cluster (``-Ec``, ``-Im``); -W and -X would take the rest as their argument.
_NO_ARGUMENT_FLAGS = "bBdEhiIOPqRsSuvVx"

_MAIN_FILE = "__main__.py"
_MAIN_MODULE = "__main__"


def check_app_name(name: object) -> str:
    """Return ``name`` if a sound server can show it; raise a clear error otherwise.

    ``TypeError`` for anything but a ``str`` (as before); :class:`InvalidConfigError` for an
    empty or blank name, a NUL character (C strings end there) or more than
    :data:`MAX_APP_NAME_LENGTH` characters.
    """
    if not isinstance(name, str):
        raise TypeError(f"The application name must be a string, not {type(name).__name__}.")
    if not name.strip():
        raise InvalidConfigError(
            "The application name is empty: give the name mixers should show, such as 'Recorder'."
        )
    if "\0" in name:
        raise InvalidConfigError(
            f"The application name contains a NUL character (at index {name.index(chr(0))}); "
            "the sound server would cut it there. Remove it."
        )
    if len(name) > MAX_APP_NAME_LENGTH:
        raise InvalidConfigError(
            f"The application name is {len(name)} characters long; at most "
            f"{MAX_APP_NAME_LENGTH} are accepted (mixers show one short line)."
        )
    return name


def infer_program_name(argv: Sequence[str] | None = None) -> str:
    """The name of the running program, from ``argv`` (default: ``sys.argv`` as it is now).

    - a script, ``./script.py`` or ``python path/to/script.py``: ``"script.py"``;
    - ``python -m pkg`` or ``python pkg/__main__.py``: ``"pkg"``; ``python -m pkg.mod``:
      ``"pkg.mod"`` (from ``__main__.__spec__``); ``python -m pytest`` is ``"pytest"``;
    - while a ``-m`` package is still importing (``sys.argv[0] == "-m"``): the module named
      in ``sys.orig_argv``, or ``argv[1]`` in soundcard's convention;
    - ``python -c code``: the first 30 characters of the code (``"..."`` when cut), as the
      soundcard package names it, from ``sys.orig_argv``, or ``argv[1]`` in soundcard's
      convention;
    - interactive, ``python -`` (stdin), or no ``argv`` at all: ``"python"``.

    The result always passes :func:`check_app_name`.
    """
    args = list(sys.argv if argv is None else argv)
    first = args[0] if args else ""
    if first == "-c":
        code = _launcher_operand(args, "c")
        if code is None and len(args) > 1:
            code = args[1]
        name = _code_name(code) if code else FALLBACK_NAME
    elif first == "-m":
        module = _launcher_operand(args, "m")
        if module is None and len(args) > 1:
            module = args[1]
        name = _module_name(module) if module else FALLBACK_NAME
    elif first in ("", "-"):
        name = FALLBACK_NAME
    else:
        name = _main_module_name(first) or _path_name(first)
    return _fit(name)


def _launcher_operand(args: Sequence[str], option: str) -> str | None:
    """The operand of ``-c``/``-m`` in ``sys.orig_argv`` if ``args`` is this process's argv.

    ``sys.argv`` keeps only ``-c``/``-m`` and the program's own arguments; the real command
    line ends with those same arguments, preceded by the operand, preceded by the option, or
    with the operand attached (``-cCODE``, ``-mpkg``), possibly after flags (``-Ec CODE``).
    Anything else, for example an ``argv`` made up by a caller or a test, gives ``None``.
    """
    orig: list[str] = list(getattr(sys, "orig_argv", None) or ())
    tail = list(args[1:])
    start = len(orig) - len(tail)  # where the program's own arguments begin
    if start < 2 or orig[start:] != tail:
        return None
    launcher = re.compile(rf"-[{_NO_ARGUMENT_FLAGS}]*{option}(.*)", re.DOTALL)
    if start >= 3:
        separate = launcher.fullmatch(orig[start - 2])
        if separate and not separate.group(1):
            return orig[start - 1]
    attached = launcher.fullmatch(orig[start - 1])
    if attached and attached.group(1):
        return attached.group(1)
    return None


def _main_module_name(script: str) -> str | None:
    """The module name of ``python -m`` when ``__main__`` really is ``script``."""
    main = sys.modules.get(_MAIN_MODULE)
    spec = getattr(main, "__spec__", None)
    origin = getattr(spec, "origin", None)
    name = getattr(spec, "name", None)
    if not (isinstance(origin, str) and isinstance(name, str)):
        return None
    if os.path.abspath(origin) != os.path.abspath(script):
        return None
    return _module_name(name) or None


def _module_name(module: str) -> str:
    """``"pkg.__main__"`` -> ``"pkg"``; other dotted names stay as they are."""
    if module == _MAIN_MODULE:
        return ""
    suffix = "." + _MAIN_MODULE
    return module[: -len(suffix)] if module.endswith(suffix) else module


def _path_name(path: str) -> str:
    """A script's file name; a package's ``__main__.py`` (or directory) is the package."""
    parts = [part for part in re.split(r"[\\/]", path) if part]
    if parts and parts[-1] == _MAIN_FILE:
        # ``python __main__.py`` run inside the package names the package too.
        parts = [part for part in re.split(r"[\\/]", os.path.abspath(path)) if part][:-1]
    return parts[-1] if parts else FALLBACK_NAME


def _code_name(code: str) -> str:
    """The start of ``-c`` code on one line: soundcard shows its first 30 characters."""
    line = " ".join(code.split())
    if len(line) <= CODE_NAME_LENGTH:
        return line
    return line[:CODE_NAME_LENGTH].rstrip() + "..."


def _fit(name: str) -> str:
    """Make an inferred name acceptable to :func:`check_app_name` (never raise for it)."""
    name = name.replace("\0", "").strip()
    if len(name) > MAX_APP_NAME_LENGTH:
        name = name[: MAX_APP_NAME_LENGTH - 3] + "..."
    return name or FALLBACK_NAME


__all__ = ["MAX_APP_NAME_LENGTH", "check_app_name", "infer_program_name"]
