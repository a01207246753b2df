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


def dry_run(help_text: str) -> Argument:
    """`--dry-run`: say what the command would do, and do nothing."""
    return ("--dry-run",), {"action": "store_true", "help": help_text}


def config_file(help_text: str, required: bool = False) -> Argument:
    """`--config FILE`: the TOML configuration of SPEC §9 (its sections named in the help)."""
    return ("--config",), {"help": help_text, **({"required": True} if required else {})}
