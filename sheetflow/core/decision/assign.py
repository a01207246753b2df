"""Who approves each (case, rule) pair before delegation: the rule's named approver, or the
holder of its role with the fewest open cases so far (same department first, ties by name).

`assign` returns its choices as data (`Assignment`): explain reads them instead of assigning
again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sheetflow.core import schema
from sheetflow.core.decision.table import DecisionTable
from sheetflow.core.feel.values import cell_text
from sheetflow.core.people import PeopleIndex
from sheetflow.core.workbook import is_blank

FIXED = "fixed"  # the rule names its approver
ROLE = "role"  # a holder of the rule's role
NOBODY = "nobody"  # nobody holds the role
UNASSIGNED = "unassigned"  # the rule names neither approver nor role


@dataclass(frozen=True)
class Candidates:
    """The holders of each (rule, department) met, computed once per distinct pair."""

    names: tuple[tuple[str, ...], ...]  # per key
    fallback: np.ndarray  # per key: nobody in the case's department holds it, so anyone
    key: np.ndarray  # per pair: its key


@dataclass(frozen=True)
class Assignment:
    """The person chosen for each (case, rule) pair before delegation, and why."""

    person: np.ndarray  # per pair: a name or None
    kind: np.ndarray  # per pair: FIXED, ROLE, NOBODY or UNASSIGNED
    rank: np.ndarray  # per pair: its turn (cases by opened_at, case_id; then rule order)
    open: np.ndarray  # per pair: the case is open (only open cases add load)
    candidates: Candidates

    def names(self, k: int) -> tuple[str, ...]:
        """The holders pair `k` was chosen among."""
        return self.candidates.names[self.candidates.key[k]]

    def fallback(self, k: int) -> bool:
        return bool(self.candidates.fallback[self.candidates.key[k]])

    def loads(self, k: int) -> list[tuple[str, int]]:
        """Each candidate of pair `k` with the open pairs routed to them before its turn."""
        earlier = self.open & (self.rank < self.rank[k])
        return [(n, int(np.count_nonzero(earlier & (self.person == n)))) for n in self.names(k)]


def _text_codes(values: pd.Series) -> tuple[np.ndarray, list[str | None]]:
    """Factorised normalised text: codes per row and key per code (None for blank)."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    keys = [None if is_blank(u) else schema.normalise_name(cell_text(u)) for u in uniques]
    return codes, keys


def _processing_rank(cases: pd.DataFrame) -> np.ndarray:
    """Rank of each case in (opened_at, case_id) order; empty opened_at goes last."""
    n = len(cases)
    if "opened_at" in cases:
        opened = pd.to_datetime(cases["opened_at"], errors="coerce").to_numpy("datetime64[ns]")
    else:
        opened = np.full(n, np.datetime64("NaT", "ns"))
    times = opened.view(np.int64).copy()
    times[np.isnat(opened)] = np.iinfo(np.int64).max
    ids = cases["case_id"] if "case_id" in cases else pd.Series("", index=cases.index)
    text = ids.astype(object).where(ids.notna(), "").astype(str).to_numpy(dtype=object)
    id_codes, _ = pd.factorize(text, sort=True)
    order = np.lexsort((np.arange(n), id_codes, times))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return rank


def department(cases: pd.DataFrame) -> pd.Series:
    """The cases' department column (all empty when Cases has none)."""
    return cases["department"] if "department" in cases else pd.Series(None, cases.index)


def _candidates(
    table: DecisionTable,
    cases: pd.DataFrame,
    index: PeopleIndex,
    case_pos: np.ndarray,
    rule_pos: np.ndarray,
) -> Candidates:
    """Role holders per (rule, department): those of the case's department, else all holders."""
    roles = [r.approver_role if r.approver is None else None for r in table.rules]
    dept_codes, dept_keys = _text_codes(department(cases))
    n_dept = len(dept_keys) + 1
    pair_key = rule_pos.astype(np.int64) * n_dept + (dept_codes[case_pos] + 1)
    keys, key_of_pair = np.unique(pair_key, return_inverse=True)
    names: list[tuple[str, ...]] = []
    fallback: list[bool] = []
    for key in keys:
        j, d = divmod(int(key), n_dept)
        holders = index.holders(roles[j]) if roles[j] is not None else []
        dept = dept_keys[d - 1] if d > 0 else None
        same = [
            p.name
            for p in holders
            if dept and p.department and schema.normalise_name(p.department) == dept
        ]
        names.append(tuple(same) if same else tuple(p.name for p in holders))
        fallback.append(bool(dept) and not same and bool(holders))
    return Candidates(tuple(names), np.array(fallback, dtype=bool), key_of_pair.reshape(-1))


def _balance(
    chosen: np.ndarray,
    contested: np.ndarray,
    rank: np.ndarray,
    pair_open: np.ndarray,
    candidates: Candidates,
) -> None:
    """Give each contested pair, in turn, to its least loaded candidate (ties by name order)."""
    # Load from pairs settled without a choice, as sorted pair ranks per person.
    settled_mask = pair_open & pd.notna(chosen)
    settled_mask[contested] = False
    settled: dict[str, np.ndarray] = {
        name: np.sort(group.to_numpy())
        for name, group in pd.Series(rank[settled_mask]).groupby(
            pd.Series(chosen[settled_mask], dtype=object)
        )
    }
    load: dict[str, int] = {}
    contested = contested[np.argsort(rank[contested], kind="stable")]
    for k, key, r, is_open in zip(
        contested.tolist(),
        candidates.key[contested].tolist(),
        rank[contested].tolist(),
        pair_open[contested].tolist(),
        strict=True,
    ):
        best = None
        best_load = 0
        for name in candidates.names[key]:
            earlier = settled.get(name)
            current = load.get(name, 0)
            if earlier is not None:
                current += int(np.searchsorted(earlier, r))
            if best is None or current < best_load:
                best, best_load = name, current
        chosen[k] = best
        if is_open:
            load[best] = load.get(best, 0) + 1  # type: ignore[index]


def assign(
    table: DecisionTable,
    cases: pd.DataFrame,
    open_cases: np.ndarray,
    index: PeopleIndex,
    case_pos: np.ndarray,
    rule_pos: np.ndarray,
) -> Assignment:
    """The person chosen for each (case, rule) pair before delegation, and how.

    A rule's `approver` is fixed; otherwise the role's holders in the case's department (all
    holders when none there) compete, fewest open cases routed to them so far first, ties by
    name. Load counts every open pair, fixed ones too, on the person chosen (before delegation:
    an away person's share goes on to their deputy instead of all of the role's work).
    """
    n_pairs = len(case_pos)
    rank = np.empty(n_pairs, dtype=np.int64)
    rank[np.lexsort((rule_pos, _processing_rank(cases)[case_pos]))] = np.arange(n_pairs)
    candidates = _candidates(table, cases, index, case_pos, rule_pos)
    n_candidates = np.array([len(c) for c in candidates.names] + [0])[candidates.key]
    is_fixed = np.array([r.approver is not None for r in table.rules] + [False])[rule_pos]
    has_role = np.array([r.approver_role is not None for r in table.rules] + [False])[rule_pos]
    kind = np.where(is_fixed, FIXED, np.where(~has_role, UNASSIGNED, ROLE)).astype(object)
    kind[(kind == ROLE) & (n_candidates == 0)] = NOBODY

    chosen = np.full(n_pairs, None, dtype=object)
    fixed = [index.canonical(r.approver) or r.approver for r in table.rules] + [None]
    chosen[is_fixed] = np.array(fixed, dtype=object)[rule_pos[is_fixed]]
    single = ~is_fixed & (n_candidates == 1)
    first = np.array([c[0] if c else None for c in candidates.names] + [None], dtype=object)
    chosen[single] = first[candidates.key[single]]
    pair_open = open_cases[case_pos]
    contested = np.flatnonzero(~is_fixed & (n_candidates > 1))
    _balance(chosen, contested, rank, pair_open, candidates)
    return Assignment(chosen, kind, rank, pair_open, candidates)
