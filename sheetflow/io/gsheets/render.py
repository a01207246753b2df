"""Rendering an `OutputPlan` as Sheets API requests, in the three phases of the door.

`Render(door, plan).build()` gives (setup, fill, swap): batchUpdates that add the hidden
temporary sheets with their formats, values:batchUpdates (RAW) that fill them, and one atomic
batchUpdate that swaps them in. Nothing here sends a request.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import secrets
from collections.abc import Iterable, Mapping, Sequence

from sheetflow.core import i18n, plan
from sheetflow.emulator.a1 import Bounds, parse_cells, split_sheet
from sheetflow.errors import WorkbookError
from sheetflow.io import ownership

TEMP_PREFIX = "sheetflow-tmp-"
EPOCH = dt.datetime(1899, 12, 30)  # day 0 of serial dates
PIXELS_PER_CHAR = 7  # column widths: Excel characters -> pixels
PIXELS_PER_CM = 37.8

NUMBER_FORMATS: dict[str, dict[str, str]] = {
    plan.INT: {"type": "NUMBER", "pattern": "0"},
    plan.HOURS: {"type": "NUMBER", "pattern": "0.00"},
    plan.DATETIME: {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm"},
    plan.DATE: {"type": "DATE", "pattern": "yyyy-mm-dd"},
    plan.RATE: {"type": "PERCENT", "pattern": "0.0%"},
    plan.AMOUNT: {"type": "NUMBER", "pattern": "#,##0.00"},
}



def _cell_out(value: object) -> object:
    """A plan value as sent RAW: text stays text, numbers and dates are numbers."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, dt.datetime):
        if value != value:  # NaT
            return None
        return (value.replace(tzinfo=None) - EPOCH) / dt.timedelta(days=1)
    if isinstance(value, dt.date):
        return (dt.datetime.combine(value, dt.time()) - EPOCH).days
    if isinstance(value, int):
        return value
    try:
        number = float(value)  # numpy numbers
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number) or math.isinf(number):
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def quoted(title: str) -> str:
    return plan.quote_title(title)


# ------------------------------------------------------------------------------ rendering


def _rgb(hex_colour: str | None) -> dict | None:
    if not hex_colour:
        return None
    text = hex_colour.lstrip("#")[-6:]
    return {
        "red": int(text[0:2], 16) / 255,
        "green": int(text[2:4], 16) / 255,
        "blue": int(text[4:6], 16) / 255,
    }


def _style_format(name: str | None) -> tuple[dict, list[str]]:
    style = plan.STYLES.get(name or "")
    if style is None:
        return {}, []
    text: dict = {}
    if style.bold:
        text["bold"] = True
    if style.italic:
        text["italic"] = True
    if style.underline:
        text["underline"] = True
    if style.size:
        text["fontSize"] = style.size
    if style.font:
        text["foregroundColor"] = _rgb(style.font)
    fmt: dict = {}
    fields = []
    if text:
        fmt["textFormat"] = text
        fields.append("textFormat")
    if style.fill:
        fmt["backgroundColor"] = _rgb(style.fill)
        fields.append("backgroundColor")
    if style.align:
        fmt["horizontalAlignment"] = style.align.upper()
        fields.append("horizontalAlignment")
    if style.wrap:
        fmt["wrapStrategy"] = "WRAP"
        fields.append("wrapStrategy")
    return fmt, fields


def _grid(sheet_id: int, r0: int, r1: int, c0: int, c1: int) -> dict:
    """1-based inclusive rows/cols -> a GridRange."""
    return {"sheetId": sheet_id, "startRowIndex": r0 - 1, "endRowIndex": r1,
            "startColumnIndex": c0 - 1, "endColumnIndex": c1}


def _bounds(ref: str) -> Bounds:
    return parse_cells(split_sheet(ref)[1] or ref)


def _ref_grid(sheet_id: int, ref: str) -> dict:
    b = _bounds(ref)
    out: dict = {"sheetId": sheet_id}
    if b.start_row is not None:
        out["startRowIndex"] = b.start_row
    if b.end_row is not None:
        out["endRowIndex"] = b.end_row
    if b.start_col is not None:
        out["startColumnIndex"] = b.start_col
    if b.end_col is not None:
        out["endColumnIndex"] = b.end_col
    return out


def _size(data: object) -> int:
    return len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())


def _pack(items: Iterable[object], limit: int) -> list[list[object]]:
    """Items in order, grouped so that each group's JSON stays under `limit` bytes."""
    groups: list[list[object]] = [[]]
    size = 0
    for item in items:
        item_size = _size(item) + 1
        if groups[-1] and size + item_size > limit:
            groups.append([])
            size = 0
        groups[-1].append(item)
        size += item_size
    return [g for g in groups if g]


class _Grid:
    """Values of one target sheet (temporary), row -> col -> value, to send as ranges."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.cells: dict[int, dict[int, object]] = {}

    def put(self, row: int, col: int, value: object) -> None:
        self.cells.setdefault(row, {})[col] = _cell_out(value)

    def put_column(self, first_row: int, col: int, values: Sequence[object]) -> None:
        for offset, value in enumerate(values):
            if value is not None:
                self.cells.setdefault(first_row + offset, {})[col] = _cell_out(value)

    def ranges(self, limit: int) -> list[dict]:
        """ValueRanges covering every cell, cut by rows so that none exceeds `limit` bytes."""
        if not self.cells:
            return []
        first_col = min(min(cols) for cols in self.cells.values())
        last_col = max(max(cols) for cols in self.cells.values())
        out: list[dict] = []
        rows = sorted(self.cells)
        chunk: list[list[object]] = []
        chunk_start = rows[0]
        size = 0
        previous = rows[0] - 1
        for row in rows:
            line = [self.cells[row].get(c) for c in range(first_col, last_col + 1)]
            gap = row - previous - 1
            line_size = _size(line) + 1
            if chunk and (size + line_size > limit or gap > 100):
                out.append(self._range(chunk_start, first_col, chunk))
                chunk, chunk_start, size = [], row, 0
            elif chunk and gap:
                chunk.extend([] for _ in range(gap))
            chunk.append(line)
            size += line_size
            previous = row
        out.append(self._range(chunk_start, first_col, chunk))
        return out

    def _range(self, row: int, col: int, values: list[list[object]]) -> dict:
        return {
            "range": f"{quoted(self.title)}!{plan.cell_ref(row, col)}",
            "majorDimension": "ROWS",
            "values": values,
        }


class Render:
    """Turns an OutputPlan into the three phases of requests (see the module doc)."""

    def __init__(self, door, output: plan.OutputPlan) -> None:
        self.door = door
        self.output = output
        self.sheets = list(door._sheets or [])
        self.by_title = {s.title: s for s in self.sheets}
        self.token = secrets.token_hex(3)
        self.taken = {s.sheet_id for s in self.sheets}
        self.temp_ids: list[int] = []
        self.split_extra = 0
        self.add: list[dict] = []
        self.formats: list[dict] = []
        self.grids: list[_Grid] = []
        self.swap: list[dict] = []
        self.final_ids: dict[str, int] = {s.title: s.sheet_id for s in self.sheets}

    def _new_id(self) -> int:
        rng = random.Random(secrets.randbits(64))
        while True:
            candidate = rng.randrange(1, 2**31 - 1)
            if candidate not in self.taken:
                self.taken.add(candidate)
                self.temp_ids.append(candidate)
                return candidate

    def _temp(self, label: str, rows: int, cols: int, extra: dict | None = None) -> tuple[int, str]:
        sheet_id = self._new_id()
        title = f"{TEMP_PREFIX}{self.token}-{len(self.temp_ids)}-{label}"[:90]
        props = {"sheetId": sheet_id, "title": title, "hidden": True,
                 "gridProperties": {"rowCount": max(rows, 1), "columnCount": max(cols, 1)}}
        if extra:
            for key, value in extra.items():
                if key == "gridProperties":
                    props["gridProperties"].update(value)
                else:
                    props[key] = value
        self.add.append({"addSheet": {"properties": props}})
        return sheet_id, title

    def link_uri(self, target: str) -> str | None:
        title, cells = split_sheet(target)
        if title is None:
            return None
        sheet_id = self.final_ids.get(title)
        if sheet_id is None:
            return None
        return f"#gid={sheet_id}" + (f"&range={cells}" if cells else "")

    # -- phases

    def build(self) -> tuple[list[list[dict]], list[list[dict]], list[dict]]:
        stale = [s for s in self.sheets if s.title.startswith(TEMP_PREFIX)]
        deletes = [{"deleteSheet": {"sheetId": s.sheet_id}} for s in stale]
        plans = []  # shells first: links may point at any owned sheet
        for sheet_plan in self.output.sheets:
            plans.append((sheet_plan, self._owned_shell(sheet_plan)))
        for sheet_plan, (sheet_id, _title) in plans:
            self.final_ids[sheet_plan.title] = sheet_id
        for sheet_plan, (sheet_id, title) in plans:
            self._owned_body(sheet_plan, sheet_id, title)
        for patch in self.output.patches:
            self._patch(patch)
        self._swap_owned(plans)
        self._record(plans)
        limit = self.door.max_request_bytes
        setup = _pack(deletes + self.add + self.formats, limit)
        ranges = [r for grid in self.grids for r in grid.ranges(limit)]
        fill = _pack(ranges, limit) if ranges else []
        self.split_extra = max(len(setup) - 1, 0) + max(len(fill) - 1, 0)
        if not fill:  # keep the count fixed: an empty plan still sends its (empty) fill
            self.split_extra -= 1
        return setup, fill, self.swap  # type: ignore[return-value]

    def _owned_shell(self, sp: plan.SheetPlan) -> tuple[int, str]:
        rows = max(sp.last_row, 1)
        cols = 1
        for cell in sp.cells:
            cols = max(cols, cell.merge_to or cell.col)
        for block in sp.blocks:
            cols = max(cols, block.left + len(block.columns) - 1)
        if sp.widths:
            cols = max(cols, max(sp.widths))
        refs = [f.ref for f in sp.fills] + [s.ref for s in sp.scales]
        refs += [sp.autofilter] if sp.autofilter else []
        for chart in sp.charts:
            refs += [chart.anchor, chart.categories] + [s.values for s in chart.series]
        for ref in refs:  # the API refuses a range past the grid: the grid covers them all
            b = _bounds(ref)
            rows = max(rows, b.end_row or (b.start_row or 0) + 1)
            cols = max(cols, b.end_col or (b.start_col or 0) + 1)
        extra: dict = {}
        if sp.freeze:
            b = _bounds(sp.freeze)
            extra["gridProperties"] = {"frozenRowCount": b.start_row or 0,
                                       "frozenColumnCount": b.start_col or 0}
        if sp.tab_colour:
            extra["tabColorStyle"] = {"rgbColor": _rgb(sp.tab_colour)}
        return self._temp(sp.name, rows, cols, extra)

    def _column_formats(self, sheet_id: int, column: plan.Column, top: int, col: int) -> None:
        n = len(column.values)
        if n == 0:
            return
        last = top + n - 1
        number = NUMBER_FORMATS.get(column.kind)
        if number:
            self.formats.append({"repeatCell": {
                "range": _grid(sheet_id, top, last, col, col),
                "cell": {"userEnteredFormat": {"numberFormat": number}},
                "fields": "userEnteredFormat.numberFormat"}})
        if column.style:
            self._style(sheet_id, column.style, top, last, col, col)
        if column.styles:
            current: tuple[str | None, int] | None = None
            for offset, name in enumerate(list(column.styles) + [None]):
                if current is not None and name != current[0]:
                    self._style(sheet_id, current[0], top + current[1], top + offset - 1, col, col)
                    current = None
                if name is not None and current is None:
                    current = (name, offset)
        if column.links:
            self._links(sheet_id, top, col, column.links)

    def _style(self, sheet_id: int, name: str | None, r0: int, r1: int, c0: int, c1: int) -> None:
        fmt, fields = _style_format(name)
        if fields:
            self.formats.append({"repeatCell": {
                "range": _grid(sheet_id, r0, r1, c0, c1),
                "cell": {"userEnteredFormat": fmt},
                "fields": "userEnteredFormat(" + ",".join(fields) + ")"}})

    def _links(self, sheet_id: int, top: int, col: int, links: Sequence[str | None]) -> None:
        rows = []
        for target in links:
            uri = self.link_uri(target) if target else None
            rows.append({"values": [
                {"userEnteredFormat": {"textFormat": {"link": {"uri": uri}}}} if uri else {}
            ]})
        if any(r["values"][0] for r in rows):
            self.formats.append({"updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": top - 1, "columnIndex": col - 1},
                "rows": rows, "fields": "userEnteredFormat.textFormat.link"}})

    def _owned_body(self, sp: plan.SheetPlan, sheet_id: int, title: str) -> None:
        grid = _Grid(title)
        self.grids.append(grid)
        for cell in sp.cells:
            grid.put(cell.row, cell.col, cell.value)
            number = NUMBER_FORMATS.get(cell.kind)
            if number:
                self.formats.append({"repeatCell": {
                    "range": _grid(sheet_id, cell.row, cell.row, cell.col, cell.col),
                    "cell": {"userEnteredFormat": {"numberFormat": number}},
                    "fields": "userEnteredFormat.numberFormat"}})
            last_col = cell.merge_to or cell.col
            if cell.style:
                self._style(sheet_id, cell.style, cell.row, cell.row, cell.col, last_col)
            if cell.link:
                self._links(sheet_id, cell.row, cell.col, [cell.link])
            if cell.merge_to and cell.merge_to > cell.col:
                self.formats.append({"mergeCells": {
                    "range": _grid(sheet_id, cell.row, cell.row, cell.col, cell.merge_to),
                    "mergeType": "MERGE_ALL"}})
        for block in sp.blocks:
            right = block.left + len(block.columns) - 1
            for offset, column in enumerate(block.columns):
                col = block.left + offset
                if block.header_style is not None:  # None: row `top` belongs to `cells`
                    grid.put(block.top, col, column.header)
                grid.put_column(block.top + 1, col, column.values)
                self._column_formats(sheet_id, column, block.top + 1, col)
                if column.width:
                    self._width(sheet_id, col, column.width)
            self._style(sheet_id, block.header_style, block.top, block.top, block.left, right)
        for col, width in sp.widths.items():
            self._width(sheet_id, col, width)
        if sp.autofilter:
            self.formats.append({"setBasicFilter": {
                "filter": {"range": _ref_grid(sheet_id, sp.autofilter)}}})
        for fill in sp.fills:
            self.formats.append(self._label_fill(sheet_id, fill))
        for scale in sp.scales:
            self.formats.append({"addConditionalFormatRule": {"index": 0, "rule": {
                "ranges": [_ref_grid(sheet_id, scale.ref)],
                "gradientRule": {"minpoint": {"color": _rgb(scale.low), "type": "MIN"},
                                 "maxpoint": {"color": _rgb(scale.high), "type": "MAX"}}}}})
        for chart in sp.charts:
            self.formats.append({"addChart": {"chart": _chart(chart, sheet_id)}})

    def _width(self, sheet_id: int, col: int, width: float) -> None:
        self.formats.append({"updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": col - 1,
                      "endIndex": col},
            "properties": {"pixelSize": int(round(width * PIXELS_PER_CHAR + 5))},
            "fields": "pixelSize"}})

    @staticmethod
    def _label_fill(sheet_id: int, fill: plan.LabelFill) -> dict:
        text = {"foregroundColor": _rgb(fill.font)}
        if fill.bold:
            text["bold"] = True
        return {"addConditionalFormatRule": {"index": 0, "rule": {
            "ranges": [_ref_grid(sheet_id, fill.ref)],
            "booleanRule": {
                "condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": fill.text}]},
                "format": {"backgroundColor": _rgb(fill.fill), "textFormat": text}}}}}

    # -- patches of user sheets: staged on a temporary sheet, pasted by the swap

    def _patch(self, patch: plan.Patch) -> None:
        target = self.by_title.get(patch.title)
        if target is None:
            raise WorkbookError(i18n.text("gsheets.no_user_sheet", self.output.language,
                                          key=self.door.key, title=patch.title))
        rows = sorted(patch.rows)
        last_row = max([patch.header_row, *rows])
        height = max(target.rows, last_row)
        stage_id = self._stage(patch, rows, height)
        # the swap: grow the user's grid, paste the staged runs, conditional fills, filter
        need_cols = max(patch.positions) if patch.positions else 0
        if need_cols > target.cols:
            self.swap.append({"appendDimension": {"sheetId": target.sheet_id,
                                                  "dimension": "COLUMNS",
                                                  "length": need_cols - target.cols}})
        if last_row > target.rows:
            self.swap.append({"appendDimension": {"sheetId": target.sheet_id,
                                                  "dimension": "ROWS",
                                                  "length": last_row - target.rows}})
        self._paste(patch, stage_id, target.sheet_id, rows, height)
        self._patch_fills(patch, target, height)
        if patch.autofilter:
            flt = dict(target.basic_filter or {})
            flt["range"] = _ref_grid(target.sheet_id, patch.autofilter)
            self.swap.append({"setBasicFilter": {"filter": flt}})

    def _stage(self, patch: plan.Patch, rows: list[int], height: int) -> int:
        """The patch's columns on a temporary sheet, side by side from A, at their rows."""
        width = len(patch.columns)
        stage_id, stage_title = self._temp("patch", height, width)
        grid = _Grid(stage_title)
        self.grids.append(grid)
        order = {row: i for i, row in enumerate(patch.rows)}
        for j, column in enumerate(patch.columns):
            col = j + 1
            if patch.header_style is not None:
                grid.put(patch.header_row, col, column.header)
            values = column.values
            for row in rows:
                value = values[order[row]]
                if value is not None:
                    grid.put(row, col, value)
            if rows:
                self._stage_formats(stage_id, column, rows, order, col)
        if patch.header_style is not None:
            self._style(stage_id, patch.header_style, patch.header_row, patch.header_row, 1, width)
        return stage_id

    def _paste(self, patch: plan.Patch, stage_id: int, target_id: int, rows: list[int],
               height: int) -> None:
        """Staged column j+1 goes to positions[j]; neighbours on both sides paste together."""
        if patch.clear_other_rows:
            first = patch.header_row if patch.header_style is not None else patch.header_row + 1
            row_runs = [(first, height)]
        else:
            wanted = sorted(set(rows) | ({patch.header_row} if patch.header_style else set()))
            row_runs = plan.runs(wanted)
        spans: list[list[int]] = []
        for j, position in enumerate(patch.positions):
            if spans and position == patch.positions[spans[-1][-1]] + 1:
                spans[-1].append(j)
            else:
                spans.append([j])
        for span in spans:
            j0, j1 = span[0] + 1, span[-1] + 1
            p0 = patch.positions[span[0]]
            for r0, r1 in row_runs:
                self.swap.append({"copyPaste": {
                    "source": _grid(stage_id, r0, r1, j0, j1),
                    "destination": _grid(target_id, r0, r1, p0, p0 + j1 - j0),
                    "pasteType": "PASTE_NORMAL", "pasteOrientation": "NORMAL"}})

    def _patch_fills(self, patch: plan.Patch, target, height: int) -> None:  # noqa: ANN001
        """This run's fills replace the previous run's; a patch without fills keeps every rule."""
        owned_cols = {p - 1 for p in patch.positions}
        for index in sorted(range(len(target.conditional) if patch.fills else 0), reverse=True):
            rule = target.conditional[index]
            ranges = rule.get("ranges") or []
            if ranges and all(
                set(range(r.get("startColumnIndex", 0), r.get("endColumnIndex", 0))) <= owned_cols
                and r.get("endColumnIndex") is not None
                for r in ranges
            ):
                self.swap.append({"deleteConditionalFormatRule": {"sheetId": target.sheet_id,
                                                                  "index": index}})
        for fill in patch.fills:
            rule = self._label_fill(target.sheet_id, fill)
            for grid_range in rule["addConditionalFormatRule"]["rule"]["ranges"]:
                if grid_range.get("endRowIndex", 0) > height:  # "to the last row": unbounded
                    del grid_range["endRowIndex"]
            self.swap.append(rule)

    def _stage_formats(self, sheet_id: int, column: plan.Column, rows: list[int],
                       order: Mapping[int, int], col: int) -> None:
        number = NUMBER_FORMATS.get(column.kind)
        for r0, r1 in plan.runs(rows):
            if number:
                self.formats.append({"repeatCell": {
                    "range": _grid(sheet_id, r0, r1, col, col),
                    "cell": {"userEnteredFormat": {"numberFormat": number}},
                    "fields": "userEnteredFormat.numberFormat"}})
            if column.style:
                self._style(sheet_id, column.style, r0, r1, col, col)
        if column.styles:
            by_style: dict[str, list[int]] = {}
            for row in rows:
                name = column.styles[order[row]]
                if name:
                    by_style.setdefault(name, []).append(row)
            for name, styled in by_style.items():
                for r0, r1 in plan.runs(styled):
                    self._style(sheet_id, name, r0, r1, col, col)
        if column.links:
            for r0, r1 in plan.runs(rows):
                self._links(sheet_id, r0, col, [column.links[order[r]] for r in range(r0, r1 + 1)])

    def _swap_owned(self, plans: list[tuple[plan.SheetPlan, tuple[int, str]]]) -> None:
        titles = [s.title for s in self.sheets if not s.title.startswith(TEMP_PREFIX)]
        for sp, (sheet_id, _) in plans:
            old = self.by_title.get(sp.title)
            props: dict = {"sheetId": sheet_id, "title": sp.title, "hidden": False}
            fields = ["title", "hidden"]
            if old is not None:
                self.swap.append({"deleteSheet": {"sheetId": old.sheet_id}})
                props["index"] = titles.index(sp.title)
                fields.append("index")
            self.swap.append({"updateSheetProperties": {"properties": props,
                                                        "fields": ",".join(fields)}})
        owned = {sp.title for sp in self.output.sheets}
        for title in self.output.retired:
            old = self.by_title.get(title)
            if old is not None and title not in owned:
                self.swap.append({"deleteSheet": {"sheetId": old.sheet_id}})
        patch_stages = [i for i in self.temp_ids if i not in {sid for _, (sid, _) in plans}]
        for sheet_id in patch_stages:
            self.swap.append({"deleteSheet": {"sheetId": sheet_id}})

    def _record(self, plans: list[tuple[plan.SheetPlan, tuple[int, str]]]) -> None:
        """Replace sheetflow's ownership records, in the swap: no request of their own.

        Earlier records go first (by id, before the sheets they sit on are deleted); this
        plan's outputs are recorded last, on the swapped-in sheets and the patched columns. A
        plan of the user's content (sync, calendar) owns nothing and leaves them be.
        """
        records = ownership.plan_records(self.output)
        if records is None:
            return
        self.swap[:0] = [
            {"deleteDeveloperMetadata": {"dataFilter": {
                "developerMetadataLookup": {"metadataId": metadata_id}}}}
            for s in self.sheets if not s.title.startswith(TEMP_PREFIX)
            for metadata_id, *_ in s.records
        ]
        ids = {sp.name: sheet_id for sp, (sheet_id, _) in plans}
        for name in records.sheets:
            self.swap.append(_metadata(ownership.METADATA_SHEET_KEY, name, {"sheetId": ids[name]}))
        for patch in self.output.patches:
            owned = records.columns.get(patch.title, ())
            target = self.by_title[patch.title]
            for column, position in zip(patch.columns, patch.positions):
                if position in owned:
                    where = {"dimensionRange": {"sheetId": target.sheet_id, "dimension": "COLUMNS",
                                                "startIndex": position - 1, "endIndex": position}}
                    self.swap.append(_metadata(ownership.METADATA_COLUMN_KEY, column.key, where))


def _metadata(key: str, value: str, location: dict) -> dict:
    return {"createDeveloperMetadata": {"developerMetadata": {
        "metadataKey": key, "metadataValue": value, "location": location,
        "visibility": "DOCUMENT"}}}


def _chart(chart: plan.Chart, sheet_id: int) -> dict:
    anchor = _bounds(chart.anchor)
    position = {"overlayPosition": {
        "anchorCell": {"sheetId": sheet_id, "rowIndex": anchor.start_row or 0,
                       "columnIndex": anchor.start_col or 0},
        "widthPixels": int(chart.width_cm * PIXELS_PER_CM),
        "heightPixels": int(chart.height_cm * PIXELS_PER_CM)}}
    domain = {"sourceRange": {"sources": [_ref_grid(sheet_id, chart.categories)]}}
    if chart.kind == "pie":
        first = chart.series[0]
        spec = {"title": chart.title, "pieChart": {
            "legendPosition": "RIGHT_LEGEND", "domain": domain,
            "series": {"sourceRange": {"sources": [_ref_grid(sheet_id, first.values)]}}}}
        return {"spec": spec, "position": position}
    series = []
    for s in chart.series:
        entry: dict = {"series": {"sourceRange": {"sources": [_ref_grid(sheet_id, s.values)]}},
                       "targetAxis": "LEFT_AXIS"}
        if s.colour:
            entry["color"] = _rgb(s.colour)
        series.append(entry)
    axis = [{"position": "BOTTOM_AXIS"}, {"position": "LEFT_AXIS"}]
    if chart.y_title:
        axis[1]["title"] = chart.y_title
    basic = {"chartType": {"column": "COLUMN", "bar": "BAR", "line": "LINE"}.get(chart.kind,
                                                                                "COLUMN"),
             "legendPosition": "BOTTOM_LEGEND" if len(series) > 1 else "NO_LEGEND",
             "axis": axis, "domains": [{"domain": domain}], "series": series, "headerCount": 0}
    return {"spec": {"title": chart.title, "basicChart": basic}, "position": position}

