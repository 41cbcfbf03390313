"""Preparation: column mapping, names, dates, identifiers, companies and accounts -> the
records frame."""

from linker.prepare.columns import (
    ENTITY_FIELDS,
    ENTITY_TYPES,
    PERSON_FIELDS,
    check_column_names,
    map_columns,
    parse_map_option,
)
from linker.prepare.records import (
    PreparedRecords,
    PrepareOptions,
    guess_generic_kind,
    prepare_records,
    stack_records,
)

__all__ = [
    "ENTITY_FIELDS",
    "ENTITY_TYPES",
    "PERSON_FIELDS",
    "PrepareOptions",
    "PreparedRecords",
    "check_column_names",
    "guess_generic_kind",
    "map_columns",
    "parse_map_option",
    "prepare_records",
    "stack_records",
]
