"""Reading an invoice or usage export of any vendor: its rows, and what its columns mean.

- ``read_rows(path)``: ``(row number, {column: text})`` streamed from a CSV file (any
  delimiter among ``,;\\t|``, a byte-order mark ignored; the header is row 1), a JSON array
  (or an object holding one under ``data``/``items``/``rows``/``records``/``lines``), or NDJSON
  (one object a line, streamed);
- ``detect(columns, sample)``: which column is the date, amount, vendor, description… by its
  header name (exact synonyms first, then names containing a telling word), else by sniffing
  the sample's values; a FOCUS file (``BilledCost``, ``ChargePeriodStart``, ``ProviderName``)
  is recognised as such;
- ``parse_amount(text)``: ``"$1,234.50"``, ``"(12.00)"``, ``"-3"``, ``"12 USD"`` → exact
  micro-dollars and the currency its symbol or code states.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from connectors.dates import parse_day
from connectors.money import to_micros
from warehouse.errors import InvalidInput

FOCUS_MARKERS = ("BilledCost", "ChargePeriodStart", "ProviderName")
SNIFF_ROWS = 50

# role -> header names (normalised: lower case, letters and digits only), best first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": (
        "date", "day", "usagedate", "chargedate", "servicedate", "transactiondate",
        "invoicedate", "billingdate", "periodstart", "startdate", "usagestartdate",
        "createdat", "created", "timestamp", "time",
    ),
    "end_date": ("periodend", "enddate", "usageenddate", "todate", "through"),
    "amount": (
        "amount", "amountusd", "cost", "costusd", "billedcost", "totalcost", "netamount",
        "total", "totalamount", "lineamount", "lineTotal".lower(), "charge", "charges",
        "spend", "price", "usd", "value", "subtotal",
    ),
    "vendor": (
        "vendor", "provider", "providername", "supplier", "merchant", "seller", "company",
        "publisher", "issuer", "invoiceissuer",
    ),
    "service": ("service", "servicename", "product", "productname", "plan", "tool", "app"),
    "sku": ("sku", "skuid", "model", "modelname", "lineitemtype", "meter"),
    "description": ("description", "item", "lineitem", "memo", "details", "name", "note"),
    "currency": ("currency", "currencycode", "billingcurrency", "cur"),
    "tokens": ("tokens", "totaltokens", "tokencount", "numtokens"),
    "input_tokens": ("inputtokens", "prompttokens"),
    "output_tokens": ("outputtokens", "completiontokens"),
    "user": (
        "email", "useremail", "emailaddress", "user", "username", "userid", "account",
        "member", "owner", "login", "person",
    ),
    "invoice": ("invoice", "invoiceid", "invoicenumber", "invoiceno", "billid", "billnumber"),
    "invoice_total": ("invoicetotal", "invoiceamount", "totalinvoice", "invoicesum"),
}  # fmt: skip
# A header containing one of these words, when no synonym matched exactly.
CONTAINS: dict[str, tuple[str, ...]] = {
    "invoice_total": ("invoicetotal",),
    "invoice": ("invoice",),
    "date": ("date",),
    "amount": ("amount", "cost", "price", "spend"),
    "user": ("email",),
    "vendor": ("vendor", "provider", "supplier"),
    "description": ("desc",),
}
ROLES = tuple(SYNONYMS)
SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


def normalise(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


@dataclass
class Detected:
    """What a file is: its format and the column that plays each role."""

    file_format: str  # "csv" | "json" | "ndjson" | "focus-csv"
    columns: list[str]
    roles: dict[str, str] = field(default_factory=dict)  # role -> column
    sniffed: set[str] = field(default_factory=set)  # roles found from values, not names

    @property
    def is_focus(self) -> bool:
        return self.file_format == "focus-csv"

    def describe(self) -> str:
        if self.is_focus:
            return f"a FOCUS file ({len(self.columns)} columns): imported column for column"
        parts = [
            f"{role}: {self.roles[role]!r}" + (" (from its values)" if role in self.sniffed else "")
            for role in ROLES
            if role in self.roles
        ]
        return f"{self.file_format}, {len(self.columns)} columns; " + ", ".join(parts)


def parse_amount(text: str) -> tuple[int, str | None]:
    """An amount as written in an export → (micro-dollars, the currency it names or None)."""
    value = text.strip()
    currency = None
    negative = value.startswith("(") and value.endswith(")")
    if negative:
        value = value[1:-1].strip()
    for symbol, code in SYMBOLS.items():
        if symbol in value:
            currency, value = code, value.replace(symbol, "")
    match = re.fullmatch(r"([A-Za-z]{3})?\s*([-+]?[\d.,]+)\s*([A-Za-z]{3})?", value.strip())
    if not match:
        raise InvalidInput(f"{text!r} is not an amount")
    code = match.group(1) or match.group(3)
    if code:
        currency = code.upper()
    number = match.group(2)
    if "," in number:
        if not _GROUPED.match(number.lstrip("+-")):
            raise InvalidInput(f"{text!r} is not an amount (use '.' for decimals)")
        number = number.replace(",", "")
    try:
        micros = to_micros(Decimal(number), unit="usd")
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{text!r} is not an amount") from None
    return (-micros if negative else micros), currency


def _is_date(text: str) -> bool:
    try:
        parse_day(text)
    except (ValueError, TypeError):
        return False
    return True


def _is_amount(text: str) -> bool:
    try:
        parse_amount(text)
    except ValueError:
        return False
    return True


def detect(file_format: str, columns: list[str], sample: list[dict[str, str]]) -> Detected:
    if all(marker in columns for marker in FOCUS_MARKERS):
        return Detected("focus-csv" if file_format == "csv" else file_format, columns)
    found = Detected(file_format, columns)
    taken: set[str] = set()
    by_name = {normalise(c): c for c in reversed(columns)}  # the first of equal names wins
    for role, names in SYNONYMS.items():
        for name in names:
            column = by_name.get(name)
            if column is not None and column not in taken:
                found.roles[role] = column
                taken.add(column)
                break
    for role, words in CONTAINS.items():
        if role in found.roles:
            continue
        column = next(
            (c for c in columns if c not in taken and any(w in normalise(c) for w in words)),
            None,
        )
        if column is not None:
            found.roles[role] = column
            taken.add(column)
    for role, test in (("date", _is_date), ("amount", _is_amount)):
        if role in found.roles:
            continue
        for column in columns:
            values = [row.get(column) or "" for row in sample]
            filled = [v for v in values if v.strip()]
            if column not in taken and filled and all(test(v) for v in filled):
                found.roles[role] = column
                found.sniffed.add(role)
                taken.add(column)
                break
    return found


# -- reading ------------------------------------------------------------------------------------
def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _json_records(path: Path) -> tuple[str, Iterator[tuple[int, dict[str, Any]]]]:
    with path.open(encoding="utf-8-sig") as fh:
        head = fh.read(1 << 16).lstrip()
    if head.startswith("[") or (head.startswith("{") and _is_single_document(path)):
        with path.open(encoding="utf-8-sig") as fh:
            document = json.load(fh, parse_float=Decimal)
        if isinstance(document, dict):
            key = next(
                (k for k in ("data", "items", "rows", "records", "lines") if k in document), None
            )
            if key is None or not isinstance(document[key], list):
                raise InvalidInput("a JSON object must hold its rows in a list under 'data'")
            document = document[key]
        if not isinstance(document, list):
            raise InvalidInput("a JSON file must be a list of objects")
        return "json", ((i + 1, item) for i, item in enumerate(document))

    def lines() -> Iterator[tuple[int, Any]]:
        with path.open(encoding="utf-8-sig") as fh:
            for number, line in enumerate(fh, start=1):
                if line.strip():
                    try:
                        yield number, json.loads(line, parse_float=Decimal)
                    except json.JSONDecodeError as exc:
                        raise InvalidInput(f"row {number}: not JSON ({exc.msg})") from None

    return "ndjson", lines()


def _is_single_document(path: Path) -> bool:
    with path.open(encoding="utf-8-sig") as fh:
        first = fh.readline()
        return not first.strip().endswith("}") or not fh.readline().strip().startswith("{")


def read_rows(path: Path) -> tuple[str, list[str], Iterator[tuple[int, dict[str, str]]]]:
    """(format, columns, rows): rows stream as (row number, {column: text})."""
    with path.open("rb") as fh:
        start = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start:
        raise InvalidInput("the file is empty")
    if start[:1] in (b"[", b"{"):
        return _read_json(path)
    return _read_csv(path)


def _read_csv(path: Path) -> tuple[str, list[str], Iterator[tuple[int, dict[str, str]]]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        sample = fh.read(1 << 16)
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    with path.open(newline="", encoding="utf-8-sig") as fh:
        columns = next(csv.reader(fh, delimiter=delimiter), [])
    columns = [c.strip() for c in columns]
    if not columns or not any(columns):
        raise InvalidInput("the file has no header row")

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            next(reader, None)
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                if len(values) > len(columns):
                    raise InvalidInput(
                        f"row {reader.line_num}: {len(values)} values for {len(columns)} columns"
                    )
                yield reader.line_num, dict(zip(columns, values, strict=False))

    return "csv", columns, rows()


def _read_json(path: Path) -> tuple[str, list[str], Iterator[tuple[int, dict[str, str]]]]:
    file_format, records = _json_records(path)
    first: list[tuple[int, dict[str, Any]]] = []
    columns: list[str] = []
    for number, record in records:
        if not isinstance(record, dict):
            raise InvalidInput(f"row {number}: is {type(record).__name__}, not an object")
        first.append((number, record))
        columns += [k for k in record if k not in columns]
        if len(first) >= SNIFF_ROWS:
            break

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for number, record in first:
            yield number, {k: _text(v) for k, v in record.items()}
        for number, record in records:
            if not isinstance(record, dict):
                raise InvalidInput(f"row {number}: is {type(record).__name__}, not an object")
            yield number, {k: _text(v) for k, v in record.items()}

    return file_format, columns, rows()
