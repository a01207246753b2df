"""`sheetflow addin build | install | uninstall` (SPEC §8): the Excel add-in on disk.

`build` writes sheetflow.xlam from macros/ on any OS. `install` puts it in the folder Excel
opens at start (the user's XLSTART, the folder `xlwings addin install` uses: Excel's
`Application.StartupPath`), tells xlwings' VBA which Python to run (a `sheetflow.conf` where
the add-in's `GetConfig` looks for it) and, on a Mac, copies xlwings' AppleScript as `xlwings
runpython install` does. On an OS without Excel it says what to do instead.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from sheetflow.errors import SheetflowError, UsageError
from sheetflow.io.vba.xlam import AddinSourceError, build_xlam, macros_dir

ADDIN_NAME = "sheetflow.xlam"
_MAC_OFFICE = "Library/Group Containers/UBF8T346G9.Office/User Content.localized"


def startup_folder(platform: str, env: Mapping[str, str], home: Path) -> Path | None:
    """The folder whose workbooks and add-ins Excel opens at start, None without Excel."""
    if platform.startswith("win"):
        appdata = env.get("APPDATA") or str(home / "AppData" / "Roaming")
        return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"
    if platform == "darwin":
        return home / _MAC_OFFICE / "Startup.localized" / "Excel"
    return None


def user_config_file(platform: str, env: Mapping[str, str], home: Path) -> Path | None:
    """Where the add-in's VBA (`GetConfigFilePath` in macros/xlwings.bas) reads settings."""
    if platform.startswith("win"):
        return Path(env.get("USERPROFILE") or home) / ".sheetflow" / "sheetflow.conf"
    if platform == "darwin":  # Excel is sandboxed: $HOME inside VBA is this container
        return home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "sheetflow.conf"
    return None


def write_interpreter(config: Path, platform: str, python: str) -> None:
    """Set INTERPRETER_WIN / INTERPRETER_MAC in the add-in's config file, keeping other keys."""
    key = "INTERPRETER_WIN" if platform.startswith("win") else "INTERPRETER_MAC"
    lines = []
    if config.is_file():
        pattern = re.compile(rf'^\s*"?{key}"?\s*,', re.I)
        lines = [
            ln for ln in config.read_text(encoding="utf-8").splitlines() if not pattern.match(ln)
        ]
    lines.append(f'"{key}","{python}"')
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def _xlwings_versions(macros: Path) -> tuple[str, str | None]:
    import xlwings

    found = re.search(
        r"XLWINGS_VERSION As String = \"([^\"]+)\"", (macros / "xlwings.bas").read_text()
    )
    return xlwings.__version__, found.group(1) if found else None


def _build(out: Path, macros: Path | None) -> Path:
    folder = macros or macros_dir()
    try:
        path = build_xlam(out, folder)
    except AddinSourceError as exc:
        raise UsageError(str(exc)) from exc
    except OSError as exc:
        raise SheetflowError(f"cannot write {out}: {exc}") from exc
    installed, in_addin = _xlwings_versions(folder or macros_dir())
    if in_addin and installed != in_addin:
        print(
            f"note: the add-in's VBA is xlwings {in_addin} but Python has xlwings {installed}; "
            f"RunPython needs both equal (pip install xlwings=={in_addin})",
            file=sys.stderr,
        )
    return path


def cmd_build(args: argparse.Namespace) -> int:
    path = _build(Path(args.out), args.macros)
    print(f"wrote {path}")
    return 0


def _target_folder(args: argparse.Namespace) -> Path:
    if args.dir:
        return Path(args.dir)
    folder = startup_folder(sys.platform, os.environ, Path.home())
    if folder is None:
        raise UsageError(
            f"no Excel on {sys.platform}: run 'sheetflow addin build --out {ADDIN_NAME}', copy it "
            "to Windows or a Mac and there run 'sheetflow addin install' (or pass --dir FOLDER)"
        )
    return folder


def cmd_install(args: argparse.Namespace) -> int:
    folder = _target_folder(args)
    target = folder / ADDIN_NAME
    with tempfile.TemporaryDirectory() as tmp:
        built = _build(Path(tmp) / ADDIN_NAME, args.macros)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(built, target)
        except PermissionError as exc:
            raise SheetflowError(f"cannot write {target}: quit Excel and try again") from exc
        except OSError as exc:
            raise SheetflowError(f"cannot write {target}: {exc}") from exc
    print(f"installed {target}")
    config = user_config_file(sys.platform, os.environ, Path.home())
    if config is not None and not args.dir:
        write_interpreter(config, sys.platform, sys.executable)
        print(f"the add-in runs {sys.executable} (set in {config})")
    if sys.platform == "darwin" and not args.dir:
        _install_applescript()
    print("restart Excel: the Sheetflow tab appears on the ribbon")
    return 0


def _install_applescript() -> None:
    """xlwings' RunPython on a Mac goes through this script (`xlwings runpython install`)."""
    import xlwings

    script = Path(xlwings.__file__).parent / f"xlwings-{xlwings.__version__}.applescript"
    folder = Path.home() / "Library" / "Application Scripts" / "com.microsoft.Excel"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(script, folder)
    print(f"enabled RunPython ({folder / script.name})")


def cmd_uninstall(args: argparse.Namespace) -> int:
    target = _target_folder(args) / ADDIN_NAME
    if not target.exists():
        print(f"nothing to remove: {target} does not exist")
        return 0
    try:
        target.unlink()
    except PermissionError as exc:
        raise SheetflowError(f"cannot remove {target}: quit Excel and try again") from exc
    print(f"removed {target}; restart Excel")
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add `addin build | install | uninstall` to the sheetflow command."""
    addin = subparsers.add_parser("addin", help="build or install the Excel add-in (ribbon tab)")
    actions = addin.add_subparsers(dest="action", required=True, parser_class=type(addin))
    macros = {"type": Path, "default": None, "help": "the add-in's sources (default: macros/)"}
    build = actions.add_parser("build", help="write sheetflow.xlam (any OS)")
    build.add_argument("--out", default=ADDIN_NAME, help="where to write it")
    build.add_argument("--macros", **macros)
    build.set_defaults(run=cmd_build)
    for name, run, text in (
        ("install", cmd_install, "put sheetflow.xlam where Excel loads add-ins"),
        ("uninstall", cmd_uninstall, "remove it from there"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("--dir", help="this folder instead of Excel's startup folder")
        action.add_argument("--macros", **macros)
        action.set_defaults(run=run)
