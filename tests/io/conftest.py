"""The preservation corpus as fixtures: each workbook built or copied once, refreshed once."""

from __future__ import annotations

import contextlib
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from sheetflow import cli
from sheetflow.config import load_config
from sheetflow.emulator import Emulator
from tests.helpers import AS_OF
from tests.io import corpus_build

CORPUS = Path(__file__).parent / "corpus"
REAL = sorted(p.name for p in (CORPUS / "excel").iterdir() if p.suffix in (".xlsx", ".xlsm"))
# Workbooks built at run time; True = it holds sheetflow's input sheets (Process, Cases, Log…).
BUILT = {
    "xlsxwriter-en.xlsx": True,
    "xlsxwriter-zh.xlsx": True,
    "openpyxl-en.xlsx": True,
    "libreoffice-en.xlsx": True,
    "template-en.xlsx": True,
    "template-zh.xlsx": True,
}
NAMES = [*BUILT, *REAL]


def has_inputs(name: str) -> bool:
    return BUILT.get(name, False)


def corpus_params() -> list[object]:
    """pytest params over the whole corpus, LibreOffice's book skipped when it is absent."""
    params = []
    for name in NAMES:
        marks = []
        if name.startswith("libreoffice") and corpus_build.soffice() is None:
            marks.append(pytest.mark.skip(reason="LibreOffice (soffice) is not installed"))
        params.append(pytest.param(name, id=name.rsplit(".", 1)[0], marks=marks))
    return params


@dataclass(frozen=True)
class Run:
    """One `sheetflow` command: its exit code and what it printed."""

    code: int
    stdout: str
    stderr: str


def sheetflow(*args: str) -> Run:
    """Run the CLI in this process (sheetflow.cli.main) and capture its output."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return Run(code, out.getvalue(), err.getvalue())


class Corpus:
    """Originals, in-place refreshes and --out references, each made once per session."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[tuple[str, str], object] = {}

    def _once(self, key: tuple[str, str], make):  # noqa: ANN001, ANN202
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def original(self, name: str) -> Path:
        """A pristine copy of the corpus workbook (never modified by the tests)."""

        def make() -> Path:
            folder = self.root / "original"
            folder.mkdir(exist_ok=True)
            path = folder / name
            stem, lang = name.rsplit(".", 1)[0].split("-")
            if name in REAL:
                shutil.copyfile(CORPUS / "excel" / name, path)
            elif stem == "xlsxwriter":
                corpus_build.build_xlsxwriter(path, lang)
            elif stem == "openpyxl":
                corpus_build.build_openpyxl(path, lang)
            elif stem == "libreoffice":
                work = self.root / "libreoffice"
                work.mkdir(exist_ok=True)
                corpus_build.build_libreoffice(path, work)
            elif stem == "template":
                shutil.copyfile(corpus_build.TEMPLATES / f"complaints_{lang}.xlsx", path)
            path.chmod(0o444)
            return path

        return self._once(("original", name), make)

    def refreshed(self, name: str, times: int = 1) -> tuple[Path, list[Run]]:
        """The workbook after `times` in-place refreshes, and each run's outcome."""

        def make() -> tuple[Path, list[Run]]:
            folder = self.root / f"refreshed-{times}"
            folder.mkdir(exist_ok=True)
            path = folder / name
            shutil.copyfile(self.original(name), path)
            path.chmod(0o644)
            runs = [sheetflow("refresh", str(path), "--as-of", AS_OF) for _ in range(times)]
            return path, runs

        return self._once((f"refreshed-{times}", name), make)

    def reference(self, name: str) -> tuple[Path, Run]:
        """`refresh --out` of the original: the values the in-place result must hold."""

        def make() -> tuple[Path, Run]:
            folder = self.root / "out"
            folder.mkdir(exist_ok=True)
            path = folder / name
            run = sheetflow(
                "refresh", str(self.original(name)), "--as-of", AS_OF, "--out", str(path)
            )
            return path, run

        return self._once(("out", name), make)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return Corpus(tmp_path_factory.mktemp("corpus"))


# The local Sheets API the Google door's tests talk to (real gspread over HTTP), one per module.
@pytest.fixture(scope="module")
def emulator():
    with Emulator() as emu:
        yield emu


@pytest.fixture
def config(emulator):
    emulator.clear_faults()
    return load_config(None, {"SHEETFLOW_SHEETS_API_URL": emulator.url,
                              "SHEETFLOW_GOOGLE_TOKEN": "test-token"})
