"""Cannot-link evidence: facts about two person records that no recording variant of one
person explains (DOMAIN.md §6).

Read from the prepared records frame, vectorised over pairs of positions:

- **sex**: both records recorded one sex (``M`` or ``F`` after preparation; a cell holding both
  counts as unrecorded) and they differ;
- **dob**: both dates of birth are day-precise and not placeholders (01/01, 31/12, 01/07, 15/06:
  ``linker.date_codes``), their day and month differ (and are not swapped), and their years
  are more than ``MAX_YEAR_GAP`` apart.

Why these limits: an age dispute moves a declared year by 1-5 and each of two records may carry
one, in opposite directions (10 years); a one-digit year typo (1975/1995), an age dispute or a
year-only slip keeps the day and month; the Ethiopian calendar's 7-8 years are within 10.
DOMAIN.md §6 says "more than 5 years", which two age disputes exceed: on Febrl-3, 5 split a
person whose duplicate's date was replaced; 10 keeps it, and the synthetic world gains as much.

Each fact alone is **soft**: a clerk can flip a sex or replace a date, and both models weigh
these fields, so for a scored pair the score decides; the fact speaks for pairs that were never
scored (two people chained through a third record). Both facts at once are **hard**: that needs
two independent recording errors, so the pair is never in one cluster, whatever it scored.

A third kind of evidence is not read from the records: a reviewer's "distinct" decision
(``linker dedupe --distinct PAIRS.csv``, read by ``linker.io.read_id_pairs``) is hard for any
entity type, while the two facts above are read for people only. ``linker.pipeline.dedupe``
hands them all to ``linker.cluster.cluster_pairs``, which reads the evidence between every pair
of records it would put in one cluster, at any size, through ``PersonFacts.kinds`` (records of
one kind give the same evidence, so each pair of kinds is read once).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from linker.date_codes import PLACEHOLDER_MMDD

MAX_YEAR_GAP = 10  # two age disputes of up to 5 years (DOMAIN.md §1, §7), see above
_SEX_CODES = {"M": 1, "F": 2}


@dataclass(frozen=True)
class PersonFacts:
    """Per record: recorded sex (0 unrecorded, 1 M, 2 F), birth year (0 unknown) and the
    birth day as ``MMDD`` (0 unless the date is day-precise and not a placeholder)."""

    sex: np.ndarray
    year: np.ndarray
    day_month: np.ndarray

    @classmethod
    def of(cls, records: pd.DataFrame) -> PersonFacts:
        """The facts of a prepared records frame; a missing column gives no evidence."""
        n = len(records)
        sex: np.ndarray = np.zeros(n, dtype=np.int8)
        if "sex" in records:
            sex = records["sex"].map(_SEX_CODES).fillna(0).to_numpy(dtype=np.int8)
        code = np.zeros(n, dtype=np.int64)
        if "dob" in records:
            code = records["dob"].fillna(0).to_numpy(dtype=np.int64)  # YYYYMMDD, unknown 00
        day_month = (code % 10_000).astype(np.int16)
        exact = (day_month % 100 > 0) & ~np.isin(day_month, PLACEHOLDER_MMDD)
        return cls(sex, (code // 10_000).astype(np.int16), np.where(exact, day_month, 0))

    def kinds(self) -> np.ndarray:
        """Per record, a kind: two records of one kind give the same evidence with any other
        record; kind 0 (no recorded sex, no day-precise date) gives none."""
        year = np.where(self.day_month > 0, self.year, 0)  # a year alone is no evidence
        key = (self.sex.astype(np.int64) * 10_000 + year) * 10_000 + self.day_month
        _, kinds = np.unique(np.concatenate([[0], key]), return_inverse=True)  # 0: kind 0
        return np.asarray(kinds[1:], dtype=np.int64)

    def evidence(self, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(hard, either)`` of ``cannot_link_evidence`` for the pairs of positions."""
        found = cannot_link_evidence(self, left, right)
        return found.hard, found.either


@dataclass(frozen=True)
class Evidence:
    """Per pair: which cannot-link facts hold."""

    sex: np.ndarray
    dob: np.ndarray

    @property
    def hard(self) -> np.ndarray:
        """Both facts: never in one cluster."""
        return np.asarray(self.sex & self.dob, dtype=bool)

    @property
    def either(self) -> np.ndarray:
        """Either fact."""
        return np.asarray(self.sex | self.dob, dtype=bool)


def cannot_link_evidence(facts: PersonFacts, left: np.ndarray, right: np.ndarray) -> Evidence:
    """The cannot-link facts of the pairs ``(left[i], right[i])`` (record positions)."""
    sex_l, sex_r = facts.sex[left], facts.sex[right]
    sex = (sex_l > 0) & (sex_r > 0) & (sex_l != sex_r)
    dm_l, dm_r = facts.day_month[left], facts.day_month[right]
    gap = np.abs(facts.year[left].astype(np.int32) - facts.year[right])
    swapped = (dm_l % 100) * 100 + dm_l // 100  # MMDD read as DDMM
    same_day = (dm_l == dm_r) | (swapped == dm_r)
    dob = (dm_l > 0) & (dm_r > 0) & ~same_day & (gap > MAX_YEAR_GAP)
    return Evidence(sex, dob)
