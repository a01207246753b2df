"""People (SPEC §1, §4): who holds a role, who is away on a date, and whose deputy approves."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sheetflow.core import schema
from sheetflow.core.findings import Findings, did_you_mean
from sheetflow.core.workbook import is_blank


@dataclass(frozen=True)
class Person:
    """One row of People, names and roles trimmed; dates as midnight timestamps or None."""

    name: str
    row: int
    role: str | None
    department: str | None
    deputy: str | None
    away_from: pd.Timestamp | None
    away_to: pd.Timestamp | None

    def away_on(self, day: pd.Timestamp) -> bool:
        """Away on `day` (a midnight): inclusive bounds, a missing bound is open-ended."""
        if self.away_from is None and self.away_to is None:
            return False
        after_start = self.away_from is None or self.away_from <= day
        before_end = self.away_to is None or day <= self.away_to
        return after_start and before_end


@dataclass
class PeopleIndex:
    """People by normalised name (first row wins on a repeated name)."""

    by_key: dict[str, Person]

    def get(self, name: object) -> Person | None:
        if is_blank(name):
            return None
        return self.by_key.get(schema.normalise_name(name))

    def canonical(self, name: object) -> str | None:
        """The name as People spells it, or None when nobody has it."""
        person = self.get(name)
        return person.name if person is not None else None

    def holders(self, role: object) -> list[Person]:
        """Everyone whose role is `role` (case-insensitive), sorted by name."""
        if is_blank(role):
            return []
        key = schema.normalise_name(role)
        found = [p for p in self.by_key.values() if p.role and schema.normalise_name(p.role) == key]
        return sorted(found, key=lambda p: p.name)

    def roles(self) -> list[str]:
        """Every role someone holds, in People order, each once."""
        seen: dict[str, str] = {}
        for person in self.by_key.values():
            if person.role:
                seen.setdefault(schema.normalise_name(person.role), person.role)
        return list(seen.values())


def _text(value: object) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _day(value: object) -> pd.Timestamp | None:
    if is_blank(value):
        return None
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.normalize()


def _column(people: pd.DataFrame, name: str) -> pd.Series:
    if name in people.columns:
        return people[name]
    return pd.Series(None, index=people.index, dtype=object)


def _dates(people: pd.DataFrame, name: str) -> pd.Series:
    values = pd.to_datetime(_column(people, name), errors="coerce")
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    return values.dt.normalize()


def index_people(people: pd.DataFrame) -> PeopleIndex:
    """Index the typed People frame (index = Excel row) by normalised name."""
    by_key: dict[str, Person] = {}
    columns = {
        name: _column(people, name).to_numpy(dtype=object)
        for name in ("name", "role", "department", "deputy", "away_from", "away_to")
    }
    for i, row in enumerate(people.index):
        name = _text(columns["name"][i])
        if name is None:
            continue
        key = schema.normalise_name(name)
        if key in by_key:
            continue
        by_key[key] = Person(
            name=name,
            row=int(row),
            role=_text(columns["role"][i]),
            department=_text(columns["department"][i]),
            deputy=_text(columns["deputy"][i]),
            away_from=_day(columns["away_from"][i]),
            away_to=_day(columns["away_to"][i]),
        )
    return PeopleIndex(by_key)


def as_of_day(as_of: object) -> pd.Timestamp:
    """The calendar day of `as_of` as a naive midnight timestamp."""
    day = _day(as_of)
    if day is None:
        raise ValueError(f"as_of is not a date: {as_of!r}")
    return day


def away_mask(people: pd.DataFrame, as_of: object) -> np.ndarray:
    """True for each People row away on the as_of date (away_from <= day <= away_to)."""
    day = as_of_day(as_of)
    start = _dates(people, "away_from")
    end = _dates(people, "away_to")
    planned = start.notna() | end.notna()
    away = planned & (start.isna() | (start <= day)) & (end.isna() | (end >= day))
    return away.to_numpy(dtype=bool)


def resolve_delegate(
    name: str, people_index: PeopleIndex | pd.DataFrame, as_of: object
) -> tuple[str, list[str]]:
    """Who approves for `name` on the as_of date, and the chain of names walked to get there.

    name: the person first chosen. people_index: from `index_people` (or the People frame).
    Returns (final, chain) with chain[0] the person chosen and chain[-1] the last one reached.
    An away person with no deputy, or whose deputy is not in People, keeps it (the chain stops
    there). A loop ends with the repeated name (A -> B -> A) and the first person keeps it.
    """
    index = people_index if isinstance(people_index, PeopleIndex) else index_people(people_index)
    day = as_of_day(as_of)
    person = index.get(name)
    if person is None:
        return name, [name]
    chain = [person.name]
    seen = {schema.normalise_name(person.name)}
    while person.away_on(day):
        deputy = index.get(person.deputy)
        if deputy is None:
            break
        key = schema.normalise_name(deputy.name)
        chain.append(deputy.name)
        if key in seen:
            return chain[0], chain
        seen.add(key)
        person = deputy
    return person.name, chain


def is_loop(chain: list[str]) -> bool:
    """True when a chain from `resolve_delegate` ended by coming back to someone passed."""
    return len(chain) > 1 and chain[-1] in chain[:-1]


def delegation_table(
    people: pd.DataFrame, as_of: object, findings: Findings | None = None
) -> dict[str, tuple[str, str | None]]:
    """name -> (approver on the as_of date, the name delegated from or None), for every person.

    Only away people walk their deputy chain; with `findings`, each deputy loop is reported once
    as `deputy_cycle` on the People row of its first member.
    """
    index = index_people(people)
    names = _column(people, "name").to_numpy(dtype=object)
    away = away_mask(people, as_of)
    table = {person.name: (person.name, None) for person in index.by_key.values()}
    reported: set[frozenset[str]] = set()
    for name in dict.fromkeys(_text(n) for n in names[away]):
        person = index.get(name)
        if person is None:
            continue
        final, chain = resolve_delegate(person.name, index, as_of)
        table[person.name] = (final, person.name if final != person.name else None)
        if findings is None or not is_loop(chain):
            continue
        loop = chain[chain.index(chain[-1]) : -1]
        members = frozenset(loop)
        if members in reported:
            continue
        reported.add(members)
        _report_loop(loop, index, findings)
    return table


def _report_loop(loop: list[str], index: PeopleIndex, findings: Findings) -> None:
    rows = [index.get(n).row for n in loop]  # type: ignore[union-attr]
    start = rows.index(min(rows))
    ordered = loop[start:] + loop[:start]
    first = index.get(ordered[0])
    assert first is not None
    detail = " -> ".join([*ordered, ordered[0]])
    findings.add("People", first.row, "deputy", first.deputy, "deputy_cycle", detail)


def check_people(people: pd.DataFrame, findings: Findings) -> None:
    """Report `unknown_person` for each manager or deputy that names nobody in People, and
    an `away_to` before its `away_from`."""
    known = {schema.normalise_name(n) for n in _column(people, "name") if not is_blank(n)}
    for column in ("manager", "deputy"):
        if column not in people.columns:
            continue
        values = people[column]
        filled = values[[not is_blank(v) for v in values]]
        unknown = filled[[schema.normalise_name(v) not in known for v in filled]]
        names = [str(n).strip() for n in _column(people, "name") if not is_blank(n)]
        for row, value in unknown.items():
            hint = did_you_mean(value, names)
            findings.add("People", int(row), column, value, "unknown_person", hint=hint)
    if "away_from" in people.columns and "away_to" in people.columns:
        start, end = _dates(people, "away_from"), _dates(people, "away_to")
        for row in people.index[(end < start).to_numpy(dtype=bool)]:
            detail = f"{start[row]:%Y-%m-%d} > {end[row]:%Y-%m-%d}"
            findings.add(
                "People",
                int(row),
                "away_to",
                people.at[row, "away_to"],
                "bad_date",
                detail,
                reason="away_to_before_from",
            )
