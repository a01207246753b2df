"""The built sheetflow.xlam, read back with oletools' olevba (an independent VBA reader)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
import xlwings
from oletools.olevba import VBA_Parser

from sheetflow import cli
from sheetflow.addin_command import startup_folder, user_config_file, write_interpreter
from sheetflow.io.vba.xlam import CUSTOMUI_NS, CUSTOMUI_PART, CUSTOMUI_REL, macros_dir

MACROS = macros_dir()
NS = {"ui": CUSTOMUI_NS}


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").rstrip("\n").split("\n")


@pytest.fixture(scope="module")
def xlam(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("addin") / "sheetflow.xlam"
    assert cli.main(["addin", "build", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def vba(xlam: Path) -> dict[str, str]:
    parser = VBA_Parser(str(xlam))
    try:
        assert parser.detect_vba_macros()
        return {name: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def test_every_module_of_macros_is_in_the_project_unchanged(vba: dict[str, str]) -> None:
    files = sorted(p for p in MACROS.iterdir() if p.suffix in (".bas", ".cls"))
    assert {p.name for p in files} == set(vba)
    for path in files:
        assert _lines(vba[path.name]) == _lines(path.read_text(encoding="utf-8")), path.name


def test_no_auto_run_macro_is_flagged(xlam: Path) -> None:
    parser = VBA_Parser(str(xlam))
    try:
        kinds = {kind for kind, _, _ in parser.analyze_macros()}
    finally:
        parser.close()
    assert "AutoExec" not in kinds


def _customui(xlam: Path) -> ElementTree.Element:
    with zipfile.ZipFile(xlam) as archive:
        rels = ElementTree.fromstring(archive.read("_rels/.rels"))
        targets = {r.get("Target"): r.get("Type") for r in rels}
        assert targets[CUSTOMUI_PART] == CUSTOMUI_REL
        return ElementTree.fromstring(archive.read(CUSTOMUI_PART))


def test_ribbon_is_the_2009_namespace_with_a_sheetflow_tab(xlam: Path) -> None:
    root = _customui(xlam)
    assert root.tag == f"{{{CUSTOMUI_NS}}}customUI"
    tab = root.find("ui:ribbon/ui:tabs/ui:tab", NS)
    assert tab is not None and tab.get("label") == "Sheetflow"
    buttons = root.findall(".//ui:button", NS)
    assert {b.get("id") for b in buttons} == {
        "validate",
        "clear_marks",
        "refresh",
        "overdue",
        "route",
    }
    for button in buttons:
        assert button.get("size") == "large" and button.get("imageMso")
        # screentips in English and Chinese
        assert re.search(r"[A-Za-z]", button.get("screentip"))
        assert re.search(r"[\u4e00-\u9fff]", button.get("screentip"))
        assert re.search(r"[\u4e00-\u9fff]", button.get("supertip"))


def test_every_on_action_has_a_vba_sub(xlam: Path, vba: dict[str, str]) -> None:
    for element in _customui(xlam).iter():
        action = element.get("onAction")
        if action is None:
            continue
        module, sub = action.split(".")
        code = vba[f"{module}.bas"]
        assert re.search(
            rf"^\s*(Public\s+)?Sub\s+{sub}\s*\(\s*control\s+As\s+IRibbonControl", code, re.M | re.I
        )


def test_the_addin_workbook_is_a_macro_enabled_addin(xlam: Path) -> None:
    with zipfile.ZipFile(xlam) as archive:
        types = archive.read("[Content_Types].xml").decode()
        workbook = archive.read("xl/workbook.xml").decode()
    assert "application/vnd.ms-excel.addin.macroEnabled.main+xml" in types
    assert "application/vnd.ms-office.vbaProject" in types
    assert 'codeName="ThisWorkbook"' in workbook and "_sheetflow.conf" in workbook


def test_the_build_is_reproducible(xlam: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.xlam"
    assert cli.main(["addin", "build", "--out", str(again)]) == 0
    assert again.read_bytes() == xlam.read_bytes()


def test_the_vba_module_is_the_xlwings_of_python() -> None:
    # RunPython refuses to run when the add-in's xlwings VBA and the Python package differ
    text = (MACROS / "xlwings.bas").read_text()
    assert f'XLWINGS_VERSION As String = "{xlwings.__version__}"' in text
    assert 'PROJECT_NAME As String = "sheetflow"' in text


def test_a_module_that_cannot_be_stored_is_a_usage_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "customUI.xml").write_bytes((MACROS / "customUI.xml").read_bytes())
    (tmp_path / "Bad.bas").write_text('Attribute VB_Name = "Bad"\nMsgBox "校验"\n', "utf-8")
    code = cli.main(
        ["addin", "build", "--out", str(tmp_path / "x.xlam"), "--macros", str(tmp_path)]
    )
    assert code == 2
    assert "code page 1252" in capsys.readouterr().err


def test_install_and_uninstall_into_a_folder(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "XLSTART"
    assert cli.main(["addin", "install", "--dir", str(folder)]) == 0
    assert (folder / "sheetflow.xlam").is_file()
    assert cli.main(["addin", "uninstall", "--dir", str(folder)]) == 0
    assert not (folder / "sheetflow.xlam").exists()
    assert "removed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("platform", "folder", "config"),
    [
        pytest.param(
            "win32",
            "C:/Users/li/AppData/Roaming/Microsoft/Excel/XLSTART",
            "C:/Users/li/.sheetflow/sheetflow.conf",
            id="windows",
        ),
        pytest.param(
            "darwin",
            "/Users/li/Library/Group Containers/UBF8T346G9.Office/User Content.localized/"
            "Startup.localized/Excel",
            "/Users/li/Library/Containers/com.microsoft.Excel/Data/sheetflow.conf",
            id="mac",
        ),
        pytest.param("linux", None, None, id="linux-no-excel"),
    ],
)
def test_where_excel_loads_add_ins(platform: str, folder: str | None, config: str | None) -> None:
    env = {"APPDATA": "C:/Users/li/AppData/Roaming", "USERPROFILE": "C:/Users/li"}
    home = Path("/Users/li")
    got = startup_folder(platform, env, home)
    assert (got.as_posix() if got else None) == folder
    got = user_config_file(platform, env, home)
    assert (got.as_posix() if got else None) == config


def test_install_without_excel_says_what_to_do(monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    assert cli.main(["addin", "install"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "addin build" in err and "Windows or a Mac" in err


def test_the_interpreter_setting_keeps_other_keys(tmp_path: Path) -> None:
    config = tmp_path / ".sheetflow" / "sheetflow.conf"
    config.parent.mkdir()
    config.write_text('"PYTHONPATH","C:\\work"\r\n"INTERPRETER_WIN","C:\\old\\python.exe"\r\n')
    write_interpreter(config, "win32", "C:\\Python311\\python.exe")
    assert config.read_text().splitlines() == [
        '"PYTHONPATH","C:\\work"',
        '"INTERPRETER_WIN","C:\\Python311\\python.exe"',
    ]
