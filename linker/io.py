"""Reading input tables and writing outputs without ever leaving half a file.

A table is read as strings (ids are kept exactly as written); empty cells are missing values.
CSV files may be comma-, semicolon- or tab-separated, UTF-8 or cp1252: both are detected and
reported. A row with too few cells is kept with the missing cells empty, one with too many
keeps its first cells, and a row with a cell over ``CELL_LIMIT`` characters is kept out: each
is noted in ``Table.rejects`` with its row number. Parquet files are read with pyarrow. Rows
are numbered as a spreadsheet shows them: for CSV the header is row 1 and the first record
row 2; for Parquet the first record is row 1.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from linker.errors import InputError, OutputError

REJECT_COLUMNS = ["file", "row", "column", "value", "reason"]
ID_PAIR_COLUMNS = ("left_id", "right_id")  # a file of record pairs (read_id_pairs)
LIST_SEPARATOR = "|"  # several values in one cell: "0612345678|0798765432"
PARQUET_SUFFIXES = (".parquet", ".pq")
_SNIFF_BYTES = 64 * 1024
CELL_LIMIT = 128 * 1024  # characters in one cell (the csv module's default field limit)
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass
class Table:
    """One input file: its records (as strings) and how it was read."""

    name: str
    frame: pd.DataFrame
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    rows: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))

    def describe(self) -> str:
        if self.format == "csv":
            sep = DELIMITER_NAMES.get(self.delimiter or ",", repr(self.delimiter))
            return f"{self.name}: CSV, {self.encoding}, {sep}-separated, {len(self.frame)} rows"
        return f"{self.name}: Parquet, {len(self.frame)} rows"


def read_table(path: Path, id_column: str | None, *, allow_no_records: bool = False) -> Table:
    """Read a CSV or Parquet file of records keyed by ``id_column``.

    Raises ``InputError`` for problems with the file as a whole: missing, unreadable, binary,
    empty, no id column, empty or duplicate ids. CSV rows with the wrong number of fields are
    kept (missing cells empty, extra cells dropped) and rows with an oversized cell kept out;
    both are listed in ``Table.rejects``.
    """
    name = str(path)
    if not path.exists():
        raise InputError("no such file", file=name)
    if path.is_dir():
        raise InputError("is a directory, expected a CSV or Parquet file", file=name)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=name) from exc
    if not raw or raw.isspace():  # (not raw.strip(): no copy of the whole file)
        raise InputError("file is empty", file=name)
    if raw[:4] == b"PAR1" or path.suffix.lower() in PARQUET_SUFFIXES:
        table = _read_parquet(path, name)
    else:
        table = _read_csv(raw, name, allow_no_records)
    if id_column is not None:  # None: rows that are not records (explicit pairs)
        _check_ids(table, id_column)
    return table


def _read_parquet(path: Path, name: str) -> Table:
    try:
        # Nullable dtypes: an integer column with nulls stays integer (not 7.0).
        frame = pd.read_parquet(path, dtype_backend="numpy_nullable")
    except Exception as exc:  # pyarrow raises many types for a corrupt file
        raise InputError(f"not a readable Parquet file ({exc})", file=name) from exc
    for column in frame.columns:
        frame[column] = _parquet_column_as_text(frame[column])
    frame.columns = [str(c) for c in frame.columns]
    rows = pd.Series(range(1, len(frame) + 1), dtype="int64")
    return Table(name, frame.reset_index(drop=True), "parquet", rows=rows)


def _parquet_column_as_text(column: pd.Series) -> pd.Series:
    def as_text(value: object) -> object:
        if value is None or value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, float) and pd.isna(value):
            return None
        if isinstance(value, list | tuple) or hasattr(value, "tolist"):
            items = value.tolist() if hasattr(value, "tolist") else value
            if isinstance(items, list):
                return "|".join(str(v) for v in items if v is not None) or None
        if isinstance(value, pd.Timestamp):
            return value.date().isoformat() if value == value.normalize() else value.isoformat()
        return str(value)

    # tolist, not map: map turns a nullable integer column back into floats.
    return pd.Series([as_text(v) for v in column.tolist()], index=column.index, dtype=object)


def _encoding(raw: bytes, name: str) -> str:
    """``utf-8-sig`` or ``cp1252``, whichever decodes the whole file (UTF-8 first)."""
    if b"\x00" in raw[:_SNIFF_BYTES]:
        raise InputError("looks like a binary file, not a CSV or Parquet table", file=name)
    for encoding in ("utf-8-sig", "cp1252"):
        # A check only, piece by piece: the text is not kept, nor made whole.
        decoder = codecs.getincrementaldecoder(encoding)()
        view = memoryview(raw)
        try:
            for start in range(0, len(raw), _SNIFF_BYTES):
                decoder.decode(view[start : start + _SNIFF_BYTES])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise InputError("neither UTF-8 nor cp1252 text", file=name)


def _delimiter(header_line: str) -> str:
    """The most frequent of comma, semicolon and tab in the header (comma on a tie)."""
    return max(DELIMITER_NAMES, key=header_line.count)


def _read_csv(raw: bytes, name: str, allow_no_records: bool = False) -> Table:
    encoding = _encoding(raw, name)
    shown = "UTF-8" if encoding == "utf-8-sig" else encoding
    end = raw.find(b"\n")
    first_line = raw[: end if end >= 0 else len(raw)].decode(encoding)
    delimiter = _delimiter(first_line)
    try:
        header = next(csv.reader([first_line.rstrip("\r")], delimiter=delimiter))
    except (StopIteration, csv.Error) as exc:
        raise InputError(f"no header row ({exc})", file=name) from exc
    header = [h.strip() for h in header]
    unnamed = [position for position, h in enumerate(header, start=1) if not h]
    if len(header) - len(unnamed) >= 2 and unnamed:
        raise InputError(
            f"header column {unnamed[0]} has no name (a stray {delimiter!r} at the end?)",
            file=name,
            row=1,
        )
    if len(header) < 2 or unnamed:
        raise InputError(
            "not a table: the header needs at least two named columns "
            f"separated by ',', ';' or a tab (found {first_line[:80]!r})",
            file=name,
        )
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise InputError(f"duplicate column names {duplicated}", file=name, row=1)
    simple = _read_regular_csv(raw, encoding, header, delimiter)
    if simple is not None:
        return Table(
            name,
            simple,
            "csv",
            encoding=shown,
            delimiter=delimiter,
            rows=pd.Series(np.arange(2, len(simple) + 2), dtype="int64"),
        )
    # Irregular file: the csv module, row by row, for exact row numbers and rejects.
    records, rows, rejects = _read_irregular_csv(raw.decode(encoding), name, delimiter, header)
    if not records and not allow_no_records:
        raise InputError("no records after the header", file=name)
    frame = pd.DataFrame(records, columns=header, dtype=object)
    frame = frame.apply(lambda column: column.str.strip().replace("", None))
    return Table(
        name,
        frame,
        "csv",
        encoding=shown,
        delimiter=delimiter,
        rows=pd.Series(rows, dtype="int64"),
        rejects=pd.DataFrame(rejects, columns=REJECT_COLUMNS),
    )


@contextlib.contextmanager
def _unlimited_fields() -> Iterator[None]:
    """Let the csv module read any cell, so that an oversized one rejects its row only."""
    previous = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _read_irregular_csv(
    text: str, name: str, delimiter: str, header: list[str]
) -> tuple[list[list[str]], list[int], list[dict[str, object]]]:
    """Records (each ``len(header)`` cells), their row numbers and the row-level rejects."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    rows: list[int] = []
    rejects: list[dict[str, object]] = []
    width = len(header)

    def reject(line: int, fields: list[str], column: str, reason: str) -> None:
        value = delimiter.join(f[:200] for f in fields)[:200]
        rejects.append(
            {"file": name, "row": line, "column": column, "value": value, "reason": reason}
        )

    with _unlimited_fields():
        next(reader, None)
        try:
            for fields in reader:
                line = reader.line_num
                if not fields or all(not f.strip() for f in fields):
                    continue
                oversized = _first_oversized(fields[:width], header)
                if oversized is not None:
                    column, size = oversized
                    reject(
                        line,
                        fields,
                        column,
                        f"cell of {size} characters, over the limit of {CELL_LIMIT}; row skipped",
                    )
                    continue
                if len(fields) < width:
                    reject(
                        line,
                        fields,
                        "",
                        f"expected {width} fields, found {len(fields)}; "
                        "row kept, missing cells empty",
                    )
                    fields = fields + [""] * (width - len(fields))
                elif len(fields) > width:
                    reject(
                        line,
                        fields,
                        "",
                        f"expected {width} fields, found {len(fields)}; "
                        f"row kept, {len(fields) - width} extra cell(s) dropped",
                    )
                    fields = fields[:width]
                records.append(fields)
                rows.append(line)
        except csv.Error as exc:
            raise InputError(f"malformed CSV ({exc})", file=name, row=reader.line_num) from exc
    return records, rows, rejects


def _first_oversized(fields: Iterable[str], header: list[str]) -> tuple[str, int] | None:
    for column, value in zip(header, fields, strict=False):
        if len(value) > CELL_LIMIT:
            return column, len(value)
    return None


def _read_regular_csv(
    raw: bytes, encoding: str, header: list[str], delimiter: str
) -> pd.DataFrame | None:
    """The fast path: pandas' C parser, when every line is exactly one well-formed record.

    Returns None for anything irregular (ragged or blank rows, records over several lines,
    oversized fields), which the csv module then reads row by row to report exact rows.
    """
    try:
        frame = pd.read_csv(
            io.BytesIO(raw),
            encoding=encoding,
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError):
        return None
    lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    regular = len(frame.columns) == len(header) and len(frame) == lines - 1 > 0
    if not regular:
        return None
    frame.columns = header
    stripped = {column: _stripped_or_missing(frame[column]) for column in header}
    if any(values is None for values in stripped.values()):
        return None
    return pd.DataFrame(stripped, index=frame.index)


def _stripped_or_missing(column: pd.Series) -> pd.Series | None:
    """Surrounding spaces removed (once per distinct value), empty cells missing; None when a
    cell is missing (a short row) or a value is longer than the csv module allows (it then
    reports the row)."""
    codes, distinct = pd.factorize(column)
    if (codes < 0).any() or max(map(len, distinct), default=0) > CELL_LIMIT:
        return None
    stripped = np.array([v.strip() or None for v in distinct] + [None], dtype=object)
    return pd.Series(stripped[codes], index=column.index, dtype=object)


def _check_ids(table: Table, id_column: str) -> None:
    frame = table.frame
    if id_column not in frame.columns:
        raise InputError(
            f"no id column (columns are {list(frame.columns)}); name the id column",
            file=table.name,
            row=1 if table.format == "csv" else None,
            column=id_column,
            setting="id_column",
        )
    ids = frame[id_column]
    missing = ids.isna()
    if missing.any():
        position = int(missing.to_numpy().nonzero()[0][0])
        raise InputError(
            f"{int(missing.sum())} record(s) have an empty id",
            file=table.name,
            row=int(table.rows.iloc[position]),
            column=id_column,
        )
    duplicated = ids.duplicated(keep=False)
    if duplicated.any():
        first = ids[duplicated].iloc[0]
        where = table.rows[(ids == first).to_numpy()].tolist()
        raise InputError(
            f"duplicate id {first!r} on rows {where[:5]} "
            f"({int(ids.duplicated().sum())} duplicate id(s) in all)",
            file=table.name,
            row=int(where[1]),
            column=id_column,
        )


def read_result_table(path: Path, columns: tuple[str, ...], what: str) -> pd.DataFrame:
    """A table of results or truth (``what`` it is, for messages), read as ``read_table``
    reads inputs (UTF-8 or cp1252; comma, semicolon or tab), with ``columns`` required.

    Cells are strings with surrounding spaces removed, an empty cell ``""``; a header without
    rows is an empty table; a ragged row is kept as ``read_table`` keeps it. Raises
    ``InputError`` naming the file when it is missing, empty, unreadable or lacks a column.
    """
    table = read_table(path, id_column=None, allow_no_records=True)
    frame = table.frame.fillna("")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"no column {' or '.join(map(repr, missing))}: {what} needs "
            f"{','.join(columns)} (columns are {list(frame.columns)})",
            file=table.name,
            row=1 if table.format == "csv" else None,
            column=missing[0],
        )
    return frame


def read_string_columns(path: Path, columns: tuple[str, ...], what: str) -> pd.DataFrame:
    """``columns`` of a UTF-8 CSV file (``what`` it is, for messages) as strings with
    surrounding spaces removed, an empty cell ``""``; other columns are ignored.

    Raises ``InputError`` naming the file when it is missing, unreadable or lacks a column.
    """
    name = str(path)
    if not path.is_file():
        problem = "is a directory, expected a CSV file" if path.is_dir() else "no such file"
        raise InputError(problem, file=name)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable UTF-8 CSV file ({exc})", file=name) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=name) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"no column {' or '.join(missing)}: {what} needs "
            f"{','.join(columns)} (columns are {list(frame.columns)})",
            file=name,
            row=1,
        )
    strings: pd.DataFrame = frame[list(columns)].apply(lambda column: column.str.strip())
    return strings


def read_id_pairs(path: Path) -> pd.DataFrame:
    """``left_id, right_id`` of a UTF-8 CSV file of record pairs, one pair a row (a reviewer's
    decisions), as ``read_string_columns`` gives them; a header without rows holds no pairs."""
    return read_string_columns(path, ID_PAIR_COLUMNS, "a file of pairs")


def check_output_paths(outputs: Mapping[str, Path], inputs: Iterable[Path] = ()) -> None:
    """Check, before anything is written, that each output (``label -> path``) can be written
    without harm: not an input, not another output, not a directory, in a folder that exists.

    Raises ``OutputError`` naming the output (by its label) and the path at fault.
    """
    seen: dict[Path, str] = {}
    given = [(label, path) for label, path in outputs.items() if path is not None]
    resolved_inputs = [(path, path.resolve()) for path in inputs]
    for label, path in given:
        where = path.resolve()
        for source, resolved in resolved_inputs:
            if where == resolved:
                raise OutputError(
                    f"{label} {path} is the input {source}: writing it would overwrite the "
                    "input; choose another output path"
                )
        if where in seen:
            raise OutputError(
                f"{label} and {seen[where]} are the same file {path}: give each its own path"
            )
        seen[where] = label
        if path.is_dir():
            raise OutputError(f"{label} {path} is a directory: give a file path inside it")
        parent = path.parent
        if not parent.is_dir():
            problem = (
                "is a file, not a directory"
                if parent.exists()
                else "does not exist; create it first"
            )
            raise OutputError(f"cannot write {label} {path}: the directory {parent} {problem}")


def _temporary_beside(path: Path) -> Path:
    """An empty file in ``path``'s folder, with the usual permissions (0666 less umask)."""
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    Path(tmp).chmod(0o666 & ~umask)  # mkstemp makes it private (0600)
    return Path(tmp)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (its folder created if need be); rename it over
    ``path`` only on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = _temporary_beside(path)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as UTF-8 CSV atomically (temporary name, then rename)."""
    write_outputs({path: frame})


def write_outputs(outputs: dict[Path, pd.DataFrame | str]) -> None:
    """Write every output under a temporary name first, then rename them all into place.

    A frame becomes Parquet when its path ends in ``.parquet`` or ``.pq``, CSV otherwise; a
    string is written as is. Every path is checked first (``check_output_paths``: a missing
    folder is an error, not created). If any write fails, none of the outputs appears and
    ``OutputError`` names the path.
    """
    check_output_paths({str(path): path for path in outputs})
    staged: list[tuple[Path, Path]] = []
    try:
        for path, content in outputs.items():
            try:
                tmp = _temporary_beside(path)
                staged.append((tmp, path))
                if isinstance(content, str):
                    tmp.write_text(content, encoding="utf-8")
                elif path.suffix.lower() in PARQUET_SUFFIXES:
                    content.to_parquet(tmp, index=False)
                else:
                    content.to_csv(tmp, index=False)
            except OSError as exc:
                raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
        for tmp, path in staged:
            os.replace(tmp, path)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
