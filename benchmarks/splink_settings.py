"""The Splink 4 models the benchmark runs linker against, one per input schema.

Modelled on Splink's own Febrl examples (``docs/demos/examples/duckdb/febrl3`` and ``febrl4``):
name comparisons with term-frequency adjustments, a date-of-birth comparison, fuzzy comparisons
of identifiers and address fields; several OR'ed blocking rules for prediction;
``probability_two_random_records_match`` estimated from deterministic rules, u by random
sampling and m by expectation maximisation over a few blocking rules.

Two schemas are known:

* ``febrl``: the Febrl-3 / Febrl-4 columns (``given_name``, ``surname``, ``street_number``,
  ``address_1``, ``address_2``, ``suburb``, ``postcode``, ``state``, ``date_of_birth`` as
  YYYYMMDD, ``soc_sec_id``). Small data, so single-column blocking rules as in the examples.
* ``synth``: ``linker.synth`` people (``given_name``, ``surname``, ``date_of_birth`` as
  DD/MM/YYYY, ``sex``, ``address``, ``city``, ``postcode``, ``phone``, ``email``). Up to a
  million records, so blocking rules pair columns to keep the comparisons near linker's budget.

Input preparation is the light cleaning any Splink user does (trim, lower case, accents off,
dates to ISO, phone digits only), written as SQL select expressions run in DuckDB. Dates are
converted to ISO because in Splink 4.0.17 ``DateOfBirthComparison(datetime_format=...)`` applies
the format to the null and exact levels only: its date-difference levels always parse
``%Y-%m-%d``, so any other format silently never reaches them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator

from linker.synth.people import RECORD_COLUMNS
from linker.synth.world.records import PERSON_COLUMNS

LinkType = Literal["dedupe_only", "link_only"]

FEBRL_COLUMNS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)
SYNTH_COLUMNS = RECORD_COLUMNS[1:]  # the generator's columns, less record_id
WORLD_COLUMNS = PERSON_COLUMNS[1:]  # the two-service world's person columns, less record_id
SWAPPED_NAMES = CustomRule("l.given_name = r.surname and l.surname = r.given_name")


@dataclass(frozen=True)
class SplinkModel:
    """Everything needed to prepare, train and run Splink on one schema."""

    schema: str
    settings: SettingsCreator
    prepare: dict[str, str]  # output column -> DuckDB expression over the raw text columns
    deterministic_rules: list[BlockingRuleCreator]
    recall: float
    em_rules: list[BlockingRuleCreator]
    u_max_pairs: float
    u_seed: int = 42


def _clean(column: str) -> str:
    return f"nullif(trim(\"{column}\"), '')"


def _folded(column: str) -> str:
    return f"nullif(lower(strip_accents(trim(\"{column}\"))), '')"


def _iso_from_yyyymmdd(column: str) -> str:
    c = _clean(column)
    return (
        f"case when regexp_full_match({c}, '[0-9]{{8}}') "
        f"then substr({c}, 1, 4) || '-' || substr({c}, 5, 2) || '-' || substr({c}, 7, 2) end"
    )


def _iso_from_ddmmyyyy(column: str) -> str:
    c = _clean(column)
    return (
        f"case when regexp_full_match({c}, '[0-9]{{2}}/[0-9]{{2}}/[0-9]{{4}}') "
        f"then substr({c}, 7, 4) || '-' || substr({c}, 4, 2) || '-' || substr({c}, 1, 2) end"
    )


def _phone_digits(column: str) -> str:
    """The 9-digit French national number: digits only, without 0 / 33 / 0033 in front."""
    digits = f"regexp_replace(coalesce(\"{column}\", ''), '[^0-9]', '', 'g')"
    return f"nullif(right({digits}, 9), '')"


def _first(column: str, clean: str = "lower") -> str:
    """The first of a ``|``-separated list, folded (a Splink column holds one value)."""
    first = f"split_part(coalesce(\"{column}\", ''), '|', 1)"
    if clean == "digits":
        return f"nullif(right(regexp_replace({first}, '[^0-9]', '', 'g'), 9), '')"
    if clean == "code":
        return f"nullif(upper(regexp_replace({first}, '[^0-9A-Za-z]', '', 'g')), '')"
    return f"nullif(lower(trim({first})), '')"


def detect_schema(columns: list[str]) -> str:
    """``febrl``, ``synth`` or ``world``, from the column names of an input file."""
    present = set(columns)
    schemas = (("febrl", FEBRL_COLUMNS), ("world", WORLD_COLUMNS), ("synth", SYNTH_COLUMNS))
    for schema, expected in schemas:
        if set(expected) <= present:
            return schema
    raise ValueError(f"no Splink model for columns {sorted(present)}")


def _febrl(link_type: LinkType) -> SplinkModel:
    prepare = {c: _folded(c) for c in FEBRL_COLUMNS}
    prepare["date_of_birth"] = _iso_from_yyyymmdd("date_of_birth")
    settings = SettingsCreator(
        unique_id_column_name="record_id",
        link_type=link_type,
        blocking_rules_to_generate_predictions=[
            block_on("given_name"),
            block_on("surname"),
            SWAPPED_NAMES,
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode"),
            block_on("street_number", "address_1"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, invalid_dates_as_null=True
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.8]),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    return SplinkModel(
        schema="febrl",
        settings=settings,
        prepare=prepare,
        deterministic_rules=[
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
        ],
        recall=0.8,
        em_rules=[block_on("date_of_birth"), block_on("postcode")],
        u_max_pairs=1e6,  # as in Splink's Febrl examples; the whole file is 12.5M pairs
    )


def _synth(link_type: LinkType) -> SplinkModel:
    prepare = {c: _folded(c) for c in SYNTH_COLUMNS}
    prepare["date_of_birth"] = _iso_from_ddmmyyyy("date_of_birth")
    prepare["sex"] = f"upper({_clean('sex')})"
    prepare["phone"] = _phone_digits("phone")
    settings = SettingsCreator(
        unique_id_column_name="record_id",
        link_type=link_type,
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            SWAPPED_NAMES,
            block_on("surname", "date_of_birth"),
            block_on("given_name", "date_of_birth"),
            block_on("date_of_birth", "postcode"),
            block_on("surname", "postcode"),
            block_on("phone"),
            block_on("email"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, invalid_dates_as_null=True
            ),
            cl.ExactMatch("sex"),
            cl.JaroWinklerAtThresholds("address", [0.9, 0.8]),
            cl.JaroWinklerAtThresholds("city", [0.9]).configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("postcode", [1]).configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("phone", [1, 2]),
            cl.EmailComparison("email"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    return SplinkModel(
        schema="synth",
        settings=settings,
        prepare=prepare,
        deterministic_rules=[
            block_on("email"),
            block_on("given_name", "surname", "date_of_birth"),
        ],
        recall=0.7,
        em_rules=[block_on("surname", "date_of_birth"), block_on("phone")],
        # As in Splink's Febrl examples. Splink advises 1e7 or more for larger data; on
        # synth100k that costs 4x the time and 7x the memory for the same F1 (0.958 vs 0.956),
        # so the faster setting is the fairer peer.
        u_max_pairs=1e6,
    )


def _world(link_type: LinkType) -> SplinkModel:
    """Persons of the two-service world (both services stacked): names, date of birth, father's
    name, address, and the first phone, email, document and IBAN of each list."""
    prepare = {c: _folded(c) for c in WORLD_COLUMNS}
    prepare["dob"] = _iso_from_ddmmyyyy("dob")
    prepare["sex"] = f"upper({_clean('sex')})"
    prepare["phones"] = _first("phones", "digits")
    prepare["emails"] = _first("emails")
    prepare["documents"] = _first("documents", "code")
    prepare["ibans"] = _first("ibans", "code")
    settings = SettingsCreator(
        unique_id_column_name="record_id",
        link_type=link_type,
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "family_name"),
            CustomRule("l.given_name = r.family_name and l.family_name = r.given_name"),
            block_on("family_name", "dob"),
            block_on("given_name", "dob"),
            block_on("dob", "postcode"),
            block_on("family_name", "postcode"),
            block_on("phones"),
            block_on("emails"),
            block_on("documents"),
            block_on("ibans"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("family_name").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True, invalid_dates_as_null=True),
            cl.ExactMatch("sex"),
            cl.NameComparison("father_name"),
            cl.ExactMatch("nationality"),
            cl.JaroWinklerAtThresholds("address", [0.9, 0.8]),
            cl.LevenshteinAtThresholds("postcode", [1]).configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("phones", [1, 2]),
            cl.EmailComparison("emails"),
            cl.ExactMatch("documents"),
            cl.ExactMatch("ibans"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    return SplinkModel(
        schema="world",
        settings=settings,
        prepare=prepare,
        deterministic_rules=[
            block_on("documents"),
            block_on("given_name", "family_name", "dob"),
        ],
        recall=0.7,
        em_rules=[block_on("family_name", "dob"), block_on("phones"), block_on("documents")],
        u_max_pairs=1e6,
    )


def model_for(schema: str, link_type: LinkType) -> SplinkModel:
    """The Splink model for ``schema`` (``febrl``, ``synth`` or ``world``) and ``link_type``."""
    builders = {"febrl": _febrl, "synth": _synth, "world": _world}
    if schema not in builders:
        raise ValueError(f"unknown schema {schema!r}; expected one of {sorted(builders)}")
    return builders[schema](link_type)
