"""What the commands added to `sheetflow` (cli.EXTRA_COMMANDS) share: a subcommand made from
a table of its arguments, with the function that runs it."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

# (flags, add_argument keywords): (("--config",), {"help": "the TOML config"})
Argument = tuple[tuple[str, ...], dict[str, object]]


def add_command(
    subparsers: argparse._SubParsersAction,
    name: str,
    run: Callable[[argparse.Namespace], int],
    arguments: Sequence[Argument],
    **parser_options: object,
) -> argparse.ArgumentParser:
    """The subcommand `name` (help, description... in `parser_options`) with `arguments`."""
    cmd = subparsers.add_parser(name, **parser_options)
    for flags, options in arguments:
        cmd.add_argument(*flags, **options)
    cmd.set_defaults(run=run)
    return cmd
