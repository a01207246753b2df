"""Official holiday calendars for the `Calendar` sheet (SPEC §1, §2): `sheetflow calendar`.

China's holidays and make-up workdays (调休) come from the `chinese-calendar` package, which
lists the State Council's yearly notice; other countries come from the `holidays` package (public
holidays only: they have no make-up days). Only the days that change the business clock become
rows: an official day off that falls on a working day is a `holiday`, a make-up working day that
falls on a weekend is a `workday` (both judged by the workbook's `weekend` setting).

The user's own rows always win: a date that already has a row is never added again, so company
days off and company make-up days mix in freely. This module is not in `core` because it imports
the two data packages; everything here is still pure (no files, no clock).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata

import numpy as np

from sheetflow.core import coerce, i18n, plan, schema
from sheetflow.core.calendar import parse_weekend
from sheetflow.core.findings import Findings
from sheetflow.core.settings import DEFAULTS, read_settings
from sheetflow.core.workbook import Workbook
from sheetflow.errors import SheetflowError

CHINA = "CN"
HOLIDAY = "holiday"
WORKDAY = "workday"
_CHINA_SPELLINGS = {"CN", "CHN", "CHINA", "PRC", "中国"}
_CHINA_PACKAGE = "chinese-calendar"
_WORLD_PACKAGE = "holidays"
_LANGUAGE_TAGS = {schema.ZH: ("zh_CN", "zh_TW"), schema.EN: ("en_US", "en_GB")}


class CalendarSourceError(SheetflowError):
    """The source has no calendar for that country or year (exit 2)."""


@dataclass(frozen=True, order=True)
class OfficialDay:
    """One row for the Calendar sheet: a date, `holiday` or `workday`, a name in one language."""

    date: dt.date
    kind: str
    name: str


@dataclass(frozen=True)
class YearReport:
    """What filling one year did."""

    year: int
    holidays: int  # holiday rows added
    workdays: int  # make-up workday rows added
    kept: int  # official dates that already had a row of the user's (left as they are)

    @property
    def added(self) -> int:
        return self.holidays + self.workdays


@dataclass(frozen=True)
class CalendarFill:
    """The rows to append to the Calendar sheet (date order) and what they mean per year."""

    rows: tuple[OfficialDay, ...]
    years: tuple[YearReport, ...]
    language: str


# ---------------------------------------------------------------------------------------------
# Sources


def default_weekend() -> frozenset[int]:
    """The weekend of a workbook without a `weekend` setting (Sat, Sun)."""
    return parse_weekend(DEFAULTS["weekend"])


def country_code(country: str) -> str:
    """`cn`, `China`, `中国` -> `CN`; other codes upper-cased."""
    code = str(country).strip().upper()
    return CHINA if code in _CHINA_SPELLINGS else code


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:  # pragma: no cover - installed with sheetflow
        return "?"


def source_years(country: str) -> tuple[int, int]:
    """The first and last year the source knows for `country`.

    Raises CalendarSourceError for a country no source has.
    """
    code = country_code(country)
    if code == CHINA:
        import chinese_calendar

        known = chinese_calendar.holidays.keys()
        return min(known).year, max(known).year
    table = _world_table(code)
    return int(table.start_year), int(table.end_year)


def source_name(country: str) -> str:
    """The package and version the days of `country` come from, e.g. `chinese-calendar 1.11.0`."""
    package = _CHINA_PACKAGE if country_code(country) == CHINA else _WORLD_PACKAGE
    return f"{package} {_package_version(package)}"


def split_known_years(years: Iterable[int], country: str) -> tuple[list[int], list[int]]:
    """(years the source knows, years it does not yet), each sorted and without repeats."""
    first, last = source_years(country)
    wanted = sorted(set(int(y) for y in years))
    return [y for y in wanted if first <= y <= last], [y for y in wanted if not first <= y <= last]


def _world_table(code: str):  # noqa: ANN202 - a holidays.HolidayBase
    import holidays as world

    try:
        return world.country_holidays(code)
    except NotImplementedError as exc:
        raise CalendarSourceError(
            i18n.text("calendar.unknown_country", schema.EN, country=code)
        ) from exc


def _festival_name(value: str, lang: str) -> str:
    """A chinese_calendar festival (its English value) named in `lang` through the catalog.

    A festival the catalog does not know yet (a new special holiday in a newer package) keeps
    the package's own English or Chinese name.
    """
    from chinese_calendar import Holiday

    try:
        festival = Holiday(value)
    except ValueError:
        return str(value)
    key = f"calendar.festival.{festival.name}"
    if i18n.has(key):
        return i18n.text(key, lang)
    names = {schema.EN: str(value), schema.ZH: str(getattr(festival, "chinese", value))}
    return names.get(lang, names[schema.EN])


def official_days(
    years: Iterable[int],
    country: str = CHINA,
    lang: str = schema.EN,
    weekend: frozenset[int] | None = None,
) -> tuple[OfficialDay, ...]:
    """The days of `years` that change the business clock, in date order.

    country: ISO code (`CN` uses chinese-calendar, others the holidays package).
    lang: language of the names (en / zh). weekend: weekday numbers, Monday = 0 (default the
    Settings default, Sat and Sun). Raises CalendarSourceError naming every year the source does
    not know, or an unknown country.
    """
    code = country_code(country)
    days_off = default_weekend() if weekend is None else frozenset(weekend)
    known, unknown = split_known_years(years, code)
    if unknown:
        first, last = source_years(code)
        package = _CHINA_PACKAGE if code == CHINA else _WORLD_PACKAGE
        raise CalendarSourceError(
            i18n.text(
                "calendar.unknown_year",
                lang,
                country=code,
                years=", ".join(str(y) for y in unknown),
                source=source_name(code),
                first=first,
                last=last,
                package=package,
            )
        )
    if code == CHINA:
        return _china_days(known, lang, days_off)
    return _world_days(known, code, lang, days_off)


def _china_days(
    years: Sequence[int], lang: str, weekend: frozenset[int]
) -> tuple[OfficialDay, ...]:
    import chinese_calendar

    wanted = set(years)
    days: list[OfficialDay] = []
    for day, festival in chinese_calendar.holidays.items():
        if day.year in wanted and day.weekday() not in weekend:
            days.append(OfficialDay(day, HOLIDAY, _festival_name(festival, lang)))
    for day, festival in chinese_calendar.workdays.items():
        if day.year in wanted and day.weekday() in weekend:
            name = _festival_name(festival, lang)
            days.append(
                OfficialDay(day, WORKDAY, i18n.text("calendar.make_up", lang, festival=name))
            )
    return tuple(sorted(days))


def _world_days(
    years: Sequence[int], code: str, lang: str, weekend: frozenset[int]
) -> tuple[OfficialDay, ...]:
    import holidays as world

    table = _world_table(code)
    supported = tuple(getattr(table, "supported_languages", ()) or ())
    language = next((tag for tag in _LANGUAGE_TAGS.get(lang, ()) if tag in supported), None)
    named = world.country_holidays(code, years=list(years), language=language)
    days = [
        OfficialDay(day, HOLIDAY, str(name))
        for day, name in named.items()
        if day.year in set(years) and day.weekday() not in weekend
    ]
    return tuple(sorted(days))


# ---------------------------------------------------------------------------------------------
# Merging with the user's rows


def merge(
    official: Iterable[OfficialDay], existing: Iterable[dt.date], years: Iterable[int], lang: str
) -> CalendarFill:
    """The official days whose date has no row yet, and a report per year of `years`.

    existing: the dates the Calendar sheet already has (any kind); those rows are kept.
    """
    have = set(existing)
    rows: list[OfficialDay] = []
    counts: dict[int, list[int]] = {int(y): [0, 0, 0] for y in sorted(set(years))}
    for day in sorted(set(official)):
        tally = counts.setdefault(day.date.year, [0, 0, 0])
        if day.date in have:
            tally[2] += 1
            continue
        have.add(day.date)
        rows.append(day)
        tally[0 if day.kind == HOLIDAY else 1] += 1
    reports = tuple(YearReport(year, *tally) for year, tally in sorted(counts.items()))
    return CalendarFill(tuple(rows), reports, lang)


def existing_dates(book: Workbook) -> frozenset[dt.date]:
    """The dates the workbook's Calendar sheet already has a row for (unreadable cells skipped)."""
    table = book.table("Calendar")
    if table is None or "date" not in table.frame.columns or table.frame.empty:
        return frozenset()
    values, _ = coerce.to_datetime(table.frame["date"], date_only=True)
    days = values.dropna().to_numpy().astype("datetime64[D]")
    return frozenset(day.item() for day in np.unique(days))


def workbook_weekend(book: Workbook) -> frozenset[int]:
    """The weekend of the workbook's Settings (the default when absent or unreadable)."""
    return read_settings(book, Findings(book)).weekend


def calendar_fill(book: Workbook, years: Iterable[int], country: str = CHINA) -> CalendarFill:
    """What `sheetflow calendar` adds to this workbook for `years`, names in its language."""
    wanted = _check_years(years)
    official = official_days(wanted, country, book.language, workbook_weekend(book))
    return merge(official, existing_dates(book), wanted, book.language)


def check_years(years: Iterable[int], country: str = CHINA) -> list[int]:
    """The years, sorted and unique, after checking the source knows them all (before any I/O).

    Raises CalendarSourceError (in English: no workbook has been read yet).
    """
    wanted = _check_years(years)
    source_years(country)  # an unknown country fails here
    known, unknown = split_known_years(wanted, country)
    if unknown:
        official_days(unknown, country, schema.EN)  # raises the one-line message
    return known


def _check_years(years: Iterable[int]) -> list[int]:
    wanted = []
    for year in years:
        if not 1900 <= int(year) <= 9999:
            raise CalendarSourceError(i18n.text("calendar.bad_year", schema.EN, year=year))
        wanted.append(int(year))
    return sorted(set(wanted))


def report_lines(fill: CalendarFill) -> list[str]:
    """One line per year: what was added and how many dates were the user's already."""
    lines = []
    for year in fill.years:
        if year.added:
            line = i18n.text(
                "calendar.added",
                fill.language,
                year=year.year,
                added=year.added,
                holidays=year.holidays,
                workdays=year.workdays,
            )
        else:
            line = i18n.text("calendar.nothing_added", fill.language, year=year.year)
        if year.kept:
            line += i18n.text("calendar.kept", fill.language, kept=year.kept)
        lines.append(line)
    return lines


# ---------------------------------------------------------------------------------------------
# The output plan


def _columns(fill: CalendarFill, headers: dict[str, str]) -> tuple[plan.Column, ...]:
    lang = fill.language
    values = {
        "date": [dt.datetime.combine(day.date, dt.time()) for day in fill.rows],
        "kind": [schema.DAY_KIND.label(day.kind, lang) for day in fill.rows],
        "name": [day.name for day in fill.rows],
    }
    kinds = {"date": plan.DATE, "kind": plan.TEXT, "name": plan.TEXT}
    return tuple(
        plan.Column(key=key, header=header, values=values[key], kind=kinds[key])
        for key, header in headers.items()
    )


def calendar_plan(book: Workbook, fill: CalendarFill, as_of: dt.datetime) -> plan.OutputPlan:
    """The output plan that appends `fill.rows` below the Calendar sheet's last used row.

    A book without a Calendar sheet gets one, with its header. as_of: stamped on the plan only.
    Raises SheetflowError when the sheet lacks its `date` or `kind` column.
    """
    lang = book.language
    table = book.table("Calendar")
    if table is None:
        headers = {col.name: col.label(lang) for col in schema.CALENDAR.columns}
        columns = _columns(fill, headers)
        last = 1 + len(fill.rows)
        sheet = plan.SheetPlan(
            name="Calendar",
            title=schema.CALENDAR.label(lang),
            blocks=(plan.Block(top=1, left=1, columns=columns),),
            widths={1: 12.0, 2: 10.0, 3: 30.0},
            freeze="A2",
            autofilter=f"A1:C{last}",
        )
        return plan.OutputPlan(language=lang, as_of=as_of, sheets=(sheet,))
    for required in ("date", "kind"):
        if not table.has(required):
            raise SheetflowError(
                i18n.text(
                    "calendar.missing_column",
                    lang,
                    sheet=table.title,
                    column=schema.CALENDAR.column(required).label(lang),
                )
            )
    present = [name for name in ("date", "kind", "name") if table.has(name)]
    headers = {name: table.columns[name].header for name in present}
    last_used = int(table.frame.index.max()) if len(table.frame) else 1
    patch = plan.Patch(
        sheet="Calendar",
        title=table.title,
        header_row=1,
        rows=tuple(range(last_used + 1, last_used + 1 + len(fill.rows))),
        columns=_columns(fill, headers),
        positions=tuple(table.columns[name].index + 1 for name in present),
        clear_other_rows=False,
        header_style=None,
    )
    return plan.OutputPlan(language=lang, as_of=as_of, patches=(patch,))


# ---------------------------------------------------------------------------------------------
# Templates


def template_rows(
    years: Iterable[int], lang: str, country: str = CHINA, weekend: frozenset[int] | None = None
) -> tuple[tuple[dt.date, str, str], ...]:
    """Calendar rows (date, kind code, name) for a template's example years."""
    return tuple((d.date, d.kind, d.name) for d in official_days(years, country, lang, weekend))
