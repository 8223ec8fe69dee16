"""The ``scgui`` argument parser, with its epilogs made into reStructuredText for the docs.

sphinx-argparse parses every description and epilog as reST. The epilogs hold the exit
status table as argparse prints it (indented, aligned columns), which reST reads as stray
block quotes. Here the top-level epilog becomes a literal block after the description, and
each subcommand's keeps only what is particular to it (the table itself is the same for
every command and is shown once). Everything else comes from :func:`scgui.cli.build_parser`
unchanged.
"""

from __future__ import annotations

import argparse
import textwrap

from scgui.cli import EXIT_STATUS_HELP, build_parser


def _literal(text: str) -> str:
    return "::\n\n" + textwrap.indent(text.rstrip(), "   ")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def parser() -> argparse.ArgumentParser:
    """:func:`scgui.cli.build_parser`, epilogs as reST (see the module docstring)."""
    main = build_parser()
    # At the top, where the subcommands' "as above" can refer to it (the directive puts the
    # epilog after every subcommand).
    main.description = f"{main.description}\n\n{_literal(main.epilog or '')}"
    main.epilog = None
    for sub in _subcommands(main).values():
        epilog = sub.epilog or ""
        if not epilog.startswith(EXIT_STATUS_HELP):
            raise ValueError(f"{sub.prog}: its epilog no longer starts with the exit statuses")
        own = " ".join(epilog[len(EXIT_STATUS_HELP) :].split())
        sub.epilog = f"Exit status as above; {own[:1].lower()}{own[1:]}" if own else None
    return main
