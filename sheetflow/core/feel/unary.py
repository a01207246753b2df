"""The model of a FEEL simple unary test (SPEC §4): what the parser builds and evaluation reads."""

from __future__ import annotations

from dataclasses import dataclass

from sheetflow.core.feel.values import Literal

ORDERED = ("<", "<=", ">", ">=")


@dataclass(frozen=True)
class AnyValue:
    """Empty cell or `-`: matches every value, empty ones too."""

    def __str__(self) -> str:
        return "-"


@dataclass(frozen=True)
class Compare:
    """`op literal`; a bare literal is `=`. `!=` (also `<>`, `≠`) is accepted as a courtesy."""

    op: str
    literal: Literal

    def __str__(self) -> str:
        return str(self.literal) if self.op == "=" else f"{self.op} {self.literal}"


@dataclass(frozen=True)
class Between:
    """`[low..high]` with each end inclusive or not."""

    low: Literal
    high: Literal
    low_closed: bool
    high_closed: bool

    def __str__(self) -> str:
        opener = "[" if self.low_closed else "("
        closer = "]" if self.high_closed else ")"
        return f"{opener}{self.low}..{self.high}{closer}"


@dataclass(frozen=True)
class OneOf:
    """A list: matches when any of its tests does."""

    tests: tuple[Compare | Between, ...]

    def __str__(self) -> str:
        return ", ".join(str(t) for t in self.tests)


@dataclass(frozen=True)
class NoneOf:
    """`not(...)`: matches when none of its tests does (empty values included)."""

    tests: tuple[Compare | Between, ...]

    def __str__(self) -> str:
        return f"not({', '.join(str(t) for t in self.tests)})"


UnaryTest = AnyValue | Compare | Between | OneOf | NoneOf
ANY = AnyValue()


def literals(test: UnaryTest) -> list[Literal]:
    """Every literal a test is written with, in order."""
    if isinstance(test, (OneOf, NoneOf)):
        return [lit for t in test.tests for lit in literals(t)]
    if isinstance(test, Compare):
        return [test.literal]
    if isinstance(test, Between):
        return [test.low, test.high]
    return []


def positives(test: UnaryTest) -> tuple[UnaryTest, ...]:
    """The tests of a list or not(...); the test itself otherwise."""
    return test.tests if isinstance(test, (OneOf, NoneOf)) else (test,)


def is_ordered(test: UnaryTest) -> bool:
    """A range or a <, <=, >, >= comparison."""
    return isinstance(test, Between) or (isinstance(test, Compare) and test.op in ORDERED)
