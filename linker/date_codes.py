"""What every stage agrees on about a date: the placeholder days and months.

A date travels between stages as one number ``YYYYMMDD`` with unknown parts 00
(``linker.prepare.dates.date_code``). A day and month in ``PLACEHOLDER_DAY_MONTHS`` is a
default written when the day is unknown (01/01 above all), not a birthday: preparation flags
it, comparison weighs two equal ones less than two equal real days, and cannot-link evidence
ignores it. This module is the one list, below the stage packages so that each may import it.
"""

from __future__ import annotations

# (day, month): 01/01, 31/12, 01/07 (mid-year) and 15/06 (mid-year, some registers).
PLACEHOLDER_DAY_MONTHS: frozenset[tuple[int, int]] = frozenset({(1, 1), (31, 12), (1, 7), (15, 6)})

# The same days as the ``MMDD`` ending of a date code (``code % 10000``).
PLACEHOLDER_MMDD: tuple[int, ...] = tuple(sorted(m * 100 + d for d, m in PLACEHOLDER_DAY_MONTHS))
