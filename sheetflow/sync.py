"""`sheetflow sync SRC DST [--dry-run] [--force]`: copy the input sheets one way (SPEC §1, §8).

Each side is a file or `gsheet:KEY`, read once through its door. The content of an input sheet
is its cells without sheetflow's computed columns (SPEC §5), so a refresh on either side is not
an edit. DST's copy of each sheet becomes SRC's, written through DST's door as an output plan:
a `Patch` over every column of the existing sheet (rows past SRC's last one emptied, the header
row left alone when it is the same), or a new sheet when DST lacks it. DST's other sheets are
never touched. Fingerprints of the content after each sync live in the state store, for both
directions of the pair; a sheet whose DST fingerprint moved since is an edit on both sides, and
the sync refuses (exit 1) unless --force.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import functools
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sheetflow.commands import Argument, add_command, config_file, dry_run
from sheetflow.config import Config, load_config
from sheetflow.core import i18n, schema
from sheetflow.core.layout import column_width
from sheetflow.core.plan import DATE, DATETIME, TEXT, Block, Column, OutputPlan, Patch, SheetPlan
from sheetflow.core.workbook import Ownership, build_workbook
from sheetflow.errors import SheetflowError, UsageError
from sheetflow.io.doors import GSHEET_PREFIX, Door, open_book
from sheetflow.state import open_state

EPOCH = dt.datetime(1899, 12, 30)
HEADER_ROW = 1

_TABLE = """
CREATE TABLE IF NOT EXISTS sync_fingerprints (
    src TEXT NOT NULL,      -- the side copied from (a file's absolute path, or gsheet:KEY)
    dst TEXT NOT NULL,      -- the side whose content the digest describes
    sheet TEXT NOT NULL,    -- canonical input sheet name (Process, Cases, Log...)
    digest TEXT NOT NULL,   -- sha256 of the sheet's content right after the last sync
    synced_at TEXT NOT NULL,
    PRIMARY KEY (src, dst, sheet)
)
"""

Rows = Sequence[Sequence[object]]  # a sheet as read: rows of cells


class SyncConflict(SheetflowError):
    """DST's input sheets were edited since the last sync: both sides changed (exit 1)."""

    exit_code = 1


# ------------------------------------------------------------------------------ content (pure)


@dataclass(frozen=True)
class Content:
    """One input sheet's cells without sheetflow's computed columns."""

    name: str  # canonical: Process, Cases, Log...
    title: str  # the tab's title on this side
    header: tuple[object, ...]
    rows: tuple[tuple[object, ...], ...]
    width: int  # the widest row of the whole sheet, computed columns included
    sheet_header: tuple[object, ...] = ()  # row 1 of the whole sheet, computed columns included
    computed: frozenset[int] = frozenset()  # 0-based columns of the computed outputs

    @property
    def content_width(self) -> int:
        return max([len(self.header), *(len(r) for r in self.rows)])

    @functools.cached_property
    def keys(self) -> tuple[tuple[object, ...], ...]:
        """Rows as compared: the same on every door (dates as serial days, numbers as floats)."""
        return tuple(tuple(map(comparable, row)) for row in self.rows)

    @functools.cached_property
    def header_key(self) -> tuple[object, ...]:
        return tuple(map(comparable, self.header))

    @functools.cached_property
    def digest(self) -> str:
        data = [list(self.header_key), *(list(row) for row in self.keys)]
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def cell(value: object) -> object:
    """A cell as written: empty text and NaN are no value."""
    if value is None or (isinstance(value, str) and value == ""):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def comparable(value: object) -> object:
    """A cell's value the same way from a file and from Google (which sends serial numbers)."""
    kind = type(value)
    if kind is str:  # most cells: answered first
        return value or None
    if kind is float:
        return None if value != value else round(value, 6)
    if value is None or kind is bool:
        return value
    if isinstance(value, dt.datetime):
        return round((value.replace(tzinfo=None) - EPOCH) / dt.timedelta(days=1), 6)
    if isinstance(value, dt.date):
        return float((dt.datetime.combine(value, dt.time()) - EPOCH).days)
    if isinstance(value, (int, float)):
        return round(float(value), 6)
    return str(value)


def _trim(row: Sequence[object]) -> tuple[object, ...]:
    out = [cell(v) for v in row]
    while out and out[-1] is None:
        out.pop()
    return tuple(out)


def contents(
    raw: Mapping[str, Sequence[Sequence[object]]], ownership: Ownership | None = None
) -> dict[str, Content]:
    """The input sheets of a workbook read as title -> rows (the first tab of a sheet wins).

    ownership: what the book records of sheetflow's computed columns; where it records them,
    only those are sheetflow's (a user's own `Status` column is content, copied like any other).
    """
    found: dict[str, Content] = {}
    for title, rows in raw.items():
        sheet = schema.sheet_for_title(title)
        if sheet is None or sheet.name in found:
            continue
        recorded = None
        if ownership is not None and ownership.recorded:
            recorded = {c - 1 for c in ownership.columns.get(title, frozenset())}
        found[sheet.name] = _content(sheet, title, rows, recorded)
    return found


def _content(sheet: schema.Sheet, title: str, rows: Rows, recorded: set[int] | None) -> Content:
    header = list(rows[0]) if rows else []
    lookup = schema.column_lookup(sheet)
    outputs = {col.name for col in sheet.outputs}
    computed = set()
    for index, name in enumerate(header):
        col = lookup.get(schema.normalise_name(name)) if isinstance(name, str) else None
        if col is not None and col.name in outputs and (recorded is None or index in recorded):
            computed.add(index)
    width = max((len(r) for r in rows), default=0)
    keep = [i for i in range(width) if i not in computed]
    body = [_trim([row[i] if i < len(row) else None for i in keep]) for row in rows[1:]]
    while body and not body[-1]:
        body.pop()
    head = _trim([header[i] if i < len(header) else None for i in keep])
    return Content(sheet.name, title, head, tuple(body), width, _trim(header), frozenset(computed))


@dataclass(frozen=True)
class Change:
    """What copying one sheet does to DST."""

    name: str
    title: str  # DST's tab (SRC's title when DST lacks the sheet)
    added: int
    changed: int
    removed: int
    header: bool  # the header row differs
    new_sheet: bool

    @property
    def none(self) -> bool:
        return not (self.added or self.changed or self.removed or self.header or self.new_sheet)


def diff(src: Content, dst: Content | None) -> Change:
    """Rows added, changed and removed, as a line-by-line diff of the rows."""
    if dst is None:
        return Change(src.name, src.title, len(src.rows), 0, 0, False, True)
    added = changed = removed = 0
    old, new = dst.keys, src.keys
    # edits are local: match the common head and tail first, diff only what lies between
    lo, short = 0, min(len(old), len(new))
    while lo < short and old[lo] == new[lo]:
        lo += 1
    hi = 0
    while hi < short - lo and old[len(old) - 1 - hi] == new[len(new) - 1 - hi]:
        hi += 1
    old, new = old[lo : len(old) - hi], new[lo : len(new) - hi]
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace":
            common = min(i2 - i1, j2 - j1)
            changed += common
            added += (j2 - j1) - common
            removed += (i2 - i1) - common
        elif tag == "insert":
            added += j2 - j1
        elif tag == "delete":
            removed += i2 - i1
    return Change(src.name, dst.title, added, changed, removed,
                  src.header_key != dst.header_key, False)


def _kind(sheet: str, header: object, values: Sequence[object]) -> str:
    """A column's number format: the schema's date kinds, else dates found in the values."""
    col = schema.column_lookup(schema.SHEETS_BY_NAME[sheet]).get(schema.normalise_name(header))
    if col is not None and col.kind in (schema.DATE, schema.DATETIME):
        return DATE if col.kind == schema.DATE else DATETIME
    dates = [v for v in values if isinstance(v, (dt.date, dt.datetime))]
    if not dates:
        return TEXT
    midnight = all(not isinstance(v, dt.datetime) or v.time() == dt.time() for v in dates)
    return DATE if midnight else DATETIME


def sync_plan(
    src: Mapping[str, Content],
    dst: Mapping[str, Content],
    changes: Mapping[str, Change],
    lang: str,
) -> OutputPlan:
    """The output plan that makes DST's copy of every SRC input sheet equal to SRC's.

    changes: `diff` of each SRC sheet against DST's (by canonical name).
    """
    patches: list[Patch] = []
    sheets: list[SheetPlan] = []
    for name, content in src.items():
        target = dst.get(name)
        if target is None:
            columns = _columns(content, list(content.header) +
                               [None] * (content.content_width - len(content.header)))
            sheets.append(
                SheetPlan(
                    name=name,
                    title=content.title,
                    blocks=(Block(HEADER_ROW, 1, columns),),
                    widths={i: c.width for i, c in enumerate(columns, start=1) if c.width},
                    freeze="A2",
                )
            )
            continue
        if changes[name].none:
            continue  # DST's computed columns still belong to its rows: leave the sheet be
        # every column of DST's sheet: SRC's content from A, the rest emptied; a computed
        # column beyond SRC's keeps its header, so the next refresh writes it in place
        k = content.content_width
        width = max(k, target.width, 1)
        header: list[object] = list(content.header) + [None] * (width - len(content.header))
        for j in target.computed:
            if j >= k and j < len(target.sheet_header):
                header[j] = target.sheet_header[j]
        same_header = [comparable(v) for v in _trim(header)] == [
            comparable(v) for v in target.sheet_header
        ]
        patches.append(
            Patch(
                sheet=name,
                title=target.title,
                header_row=HEADER_ROW,
                rows=tuple(range(HEADER_ROW + 1, HEADER_ROW + 1 + len(content.rows))),
                columns=_columns(content, header),
                positions=tuple(range(1, width + 1)),
                header_style=None if same_header else "header",
            )
        )
    return OutputPlan(
        language=lang, as_of=dt.datetime.now().replace(microsecond=0), patches=tuple(patches),
        sheets=tuple(sheets),
    )


def _columns(content: Content, headers: Sequence[object]) -> tuple[Column, ...]:
    """One plan column per header: SRC's values below it (none past SRC's width)."""
    columns = []
    for j, header in enumerate(headers):
        values = [row[j] if j < len(row) else None for row in content.rows]
        kind = _kind(content.name, header, values)
        text = "" if header is None else str(header)
        columns.append(Column(f"c{j + 1}", text, values, kind, column_width(text, values, kind)))
    return tuple(columns)


# ------------------------------------------------------------------------------ state


def identity(spec: str) -> str:
    """How the state store names a side: gsheet:KEY, or the file's absolute path."""
    if spec.startswith(GSHEET_PREFIX):
        return GSHEET_PREFIX + spec[len(GSHEET_PREFIX) :].strip()
    return str(Path(spec).expanduser().resolve())


def stored_digests(db, src: str, dst: str) -> dict[str, str]:  # noqa: ANN001
    db.execute(_TABLE)
    rows = db.execute(
        "SELECT sheet, digest FROM sync_fingerprints WHERE src = ? AND dst = ?", (src, dst)
    )
    return dict(rows.fetchall())


def store_digests(db, src: str, dst: str, digests: Mapping[str, str]) -> None:  # noqa: ANN001
    """Both directions: after a sync both sides hold this content."""
    stamp = dt.datetime.now(tz=dt.timezone.utc).isoformat(timespec="seconds")
    with db:
        db.execute(_TABLE)
        for a, b in ((src, dst), (dst, src)):
            db.executemany(
                "INSERT OR REPLACE INTO sync_fingerprints (src, dst, sheet, digest, synced_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(a, b, sheet, digest, stamp) for sheet, digest in digests.items()],
            )


# ------------------------------------------------------------------------------ command


ARGUMENTS: tuple[Argument, ...] = (
    (("src",), {"help": "copy from: .xlsx/.xlsm or gsheet:KEY"}),
    (("dst",), {"help": "copy to: .xlsx/.xlsm or gsheet:KEY (its other sheets stay)"}),
    dry_run("show the changes; write nothing"),
    (("--force",), {"action": "store_true", "help": "overwrite DST even if it was edited since"}),
    config_file("the TOML config (Google credentials, state folder)"),
)


HELP = "copy the input sheets from one workbook (file or gsheet:KEY) to another"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    return add_command(subparsers, "sync", run, ARGUMENTS, help=HELP)


def _read(door: Door) -> tuple[dict[str, list[list[object]]], Ownership]:
    """The door's sheets as rows, and what it records of sheetflow's outputs."""
    rows = door.read_rows()  # type: ignore[attr-defined]  # file and Google doors have both
    return rows, door.ownership()  # type: ignore[attr-defined]


def run(args: argparse.Namespace) -> int:
    config: Config = load_config(args.config)
    src_id, dst_id = identity(args.src), identity(args.dst)
    if src_id == dst_id:
        raise UsageError(i18n.text("sync.same", "en"))
    src_door = open_book(args.src, config)
    dst_door = open_book(args.dst, config)
    src_raw, src_owned = _read(src_door)
    lang = build_workbook(src_raw, source=args.src).language
    src = contents(src_raw, src_owned)
    if not src:
        raise UsageError(i18n.text("sync.no_inputs", lang, src=args.src))
    dst = contents(*_read(dst_door))
    changes = {name: diff(content, dst.get(name)) for name, content in src.items()}
    with closing(open_state(config.state_dir)) as db:
        before = stored_digests(db, src_id, dst_id)
        edited = [
            dst[name].title if name in dst else name
            for name in src
            if name in before and (dst[name].digest if name in dst else None) != before[name]
        ]
        if edited and not args.force:
            raise SyncConflict(
                i18n.text("sync.conflict", lang, dst=args.dst, src=args.src,
                          sheets=", ".join(edited))
            )
        for change in changes.values():
            print(_line(change, lang))
        for name, content in dst.items():
            if name not in src:
                print(i18n.text("sync.kept", lang, sheet=content.title, src=args.src))
        if args.dry_run:
            print(i18n.text("sync.dry_run", lang, dst=args.dst))
            return 0
        plan = sync_plan(src, dst, changes, lang)
        if plan.patches or plan.sheets:
            dst_door.write(plan)
            print(i18n.text("sync.wrote", lang, src=args.src, dst=args.dst))
            if any(c.name in ("Log", "Cases") and not c.none for c in changes.values()):
                print(i18n.text("sync.refresh_hint", lang, dst=args.dst))
        else:
            print(i18n.text("sync.nothing", lang, dst=args.dst))
        store_digests(db, src_id, dst_id, {name: c.digest for name, c in src.items()})
    return 0


def _line(change: Change, lang: str) -> str:
    if change.new_sheet:
        return i18n.text("sync.new_sheet", lang, sheet=change.title, added=change.added)
    if change.none:
        return i18n.text("sync.unchanged", lang, sheet=change.title)
    line = i18n.text("sync.summary", lang, sheet=change.title, added=change.added,
                     changed=change.changed, removed=change.removed)
    if change.header:
        line += i18n.text("sync.header_changed", lang)
    return line
