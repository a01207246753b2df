"""One sheet of the emulator: its properties, cells and the format layers written over them;
and the field-mask paths the Sheets API selects parts of a resource with."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field


@dataclass
class Layer:
    """A format written over a rectangle: `paths` of userEnteredFormat set from `fmt`."""

    r0: int
    r1: int
    c0: int
    c1: int
    fmt: dict
    paths: tuple[str, ...]  # ("*",) = the whole format replaced


@dataclass
class Sheet:
    props: dict
    rows: list[list] = field(default_factory=list)
    layers: list[Layer] = field(default_factory=list)
    conditional: list[dict] = field(default_factory=list)
    merges: list[dict] = field(default_factory=list)
    basic_filter: dict | None = None
    charts: list[dict] = field(default_factory=list)
    dimensions: list[tuple[str, int, int, dict]] = field(default_factory=list)
    notes: dict[tuple[int, int], str] = field(default_factory=dict)
    _shared_rows: bool = False

    @property
    def sheet_id(self) -> int:
        return self.props["sheetId"]

    @property
    def title(self) -> str:
        return self.props["title"]

    @property
    def row_count(self) -> int:
        return self.props["gridProperties"]["rowCount"]

    @property
    def col_count(self) -> int:
        return self.props["gridProperties"]["columnCount"]

    def clone(self) -> Sheet:
        """A copy for a transaction; the cells are copied only if the transaction writes them."""
        twin = Sheet(
            copy.deepcopy(self.props),
            self.rows,
            list(self.layers),
            copy.deepcopy(self.conditional),
            copy.deepcopy(self.merges),
            copy.deepcopy(self.basic_filter),
            copy.deepcopy(self.charts),
            list(self.dimensions),
            dict(self.notes),
        )
        twin._shared_rows = True
        return twin

    def own_rows(self) -> list[list]:
        if self._shared_rows:
            self.rows = [list(row) for row in self.rows]
            self._shared_rows = False
        return self.rows

    # -- cells

    def get(self, r: int, c: int) -> object:
        if r < len(self.rows):
            row = self.rows[r]
            if c < len(row):
                return row[c]
        return None

    def put(self, r: int, c: int, value: object) -> None:
        rows = self.own_rows()
        if r >= len(rows):
            if value is None:
                return
            rows.extend([] for _ in range(r + 1 - len(rows)))
        row = rows[r]
        if c >= len(row):
            if value is None:
                return
            row.extend([None] * (c + 1 - len(row)))
        row[c] = value

    def clear(self, r0: int, r1: int, c0: int, c1: int) -> None:
        rows = self.own_rows()
        for r in range(r0, min(r1, len(rows))):
            row = rows[r]
            for c in range(c0, min(c1, len(row))):
                row[c] = None

    def number_format(self, r: int, c: int) -> dict | None:
        for layer in reversed(self.layers):
            if layer.r0 <= r < layer.r1 and layer.c0 <= c < layer.c1:
                if "*" in layer.paths or "numberFormat" in layer.paths:
                    return layer.fmt.get("numberFormat")
        return None

    def cell_format(self, r: int, c: int) -> dict:
        fmt: dict = {}
        for layer in self.layers:
            if layer.r0 <= r < layer.r1 and layer.c0 <= c < layer.c1:
                if "*" in layer.paths:
                    fmt = copy.deepcopy(layer.fmt)
                    continue
                for path in layer.paths:
                    set_path(fmt, path, get_path(layer.fmt, path))
        return fmt

    def resize(self, rows: int, cols: int) -> None:
        grid = self.props["gridProperties"]
        if rows < grid["rowCount"] or cols < grid["columnCount"]:
            data = self.own_rows()
            del data[rows:]
            for row in data:
                del row[cols:]
        grid["rowCount"], grid["columnCount"] = rows, cols


def get_path(data: dict, path: str) -> object:
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def set_path(data: dict, path: str, value: object) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    if value is None:
        data.pop(parts[-1], None)
    else:
        data[parts[-1]] = copy.deepcopy(value)


def _flat_mask(mask: str) -> list[str]:
    """`a(b,c.d),e` -> ["a.b", "a.c.d", "e"]."""
    paths: list[str] = []
    stack = [""]
    token = ""
    for char in mask + ",":
        if char == "(":
            stack.append(stack[-1] + token.strip() + ".")
            token = ""
        elif char in ",)":
            if token.strip():
                paths.append(stack[-1] + token.strip())
            token = ""
            if char == ")":
                stack.pop()
        else:
            token += char
    return paths


def fields(mask: str, prefix: str | None = None) -> list[str]:
    """Field mask `"a.b,c"` -> paths; with prefix, only those under it (prefix removed)."""
    paths = [p.replace("/", ".") for p in _flat_mask(mask)]
    if prefix is None:
        return paths
    out = []
    for path in paths:
        if path in ("*", prefix):
            out.append("*")
        elif path.startswith(prefix + "."):
            out.append(path[len(prefix) + 1 :])
    return out


def drop_nulls(value: object) -> object:
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    return value
