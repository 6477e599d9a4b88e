"""Files at rest for file-based connectors (``config_source = "folder"``).

- ``list_files(folder, pattern)``: the matching files, sorted, so two fetches read the same
  files in the same order.
- ``folder_fingerprint(folder, pattern)``: changes when a file is added, removed or rewritten;
  the pipeline's input sensor compares it between ticks.
- ``csv_rows(path, vendor)``: a CSV file's rows as ``(Node, line number)`` for a
  ``PayloadReader``: columns are read by header name, and every error names the file, the line
  and the column.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path

from connectors.contract import ConnectorError
from connectors.payload import Node, PayloadReader


def list_files(folder: Path | str, pattern: str = "**/*") -> list[Path]:
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder")
    return sorted(p for p in root.glob(pattern) if p.is_file())


def folder_fingerprint(folder: Path | str, pattern: str = "**/*") -> str:
    """A digest of the names, sizes and modification times of the matching files."""
    root = Path(folder).expanduser()
    digest = hashlib.sha256()
    if not root.is_dir():
        digest.update(f"missing:{root}".encode())
        return digest.hexdigest()[:24]
    for path in list_files(root, pattern):
        stat = path.stat()
        digest.update(
            f"{path.relative_to(root)}\x1f{stat.st_size}\x1f{stat.st_mtime_ns}\n".encode()
        )
    return digest.hexdigest()[:24]


def csv_rows(path: Path, vendor: str, *, required: tuple[str, ...] = ()) -> Iterator[Node]:
    """Each data row of a CSV file as a ``Node`` with the path ``line N`` (N counts the header
    as line 1). ``required`` columns must be in the header (a ``SchemaError`` names the first
    missing one); other columns are read by name, so their order never matters."""
    reader = PayloadReader(vendor, str(path))
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise ConnectorError(vendor, f"cannot read {path}: {exc.strerror}") from None
    with handle:
        rows = csv.DictReader(handle)
        header = rows.fieldnames or []
        for column in required:
            if column not in header:
                raise reader.error("header", f"has no column {column!r}")
        for row in rows:
            yield reader.body(row, f"line {rows.line_num}")
