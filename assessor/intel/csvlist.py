"""CSV files (`type,value[,source]` with that header) and plain lists (one value a line).

A plain list's types are inferred (hash by length, IP, URL, absolute path, domain); names
of files and processes need the typed CSV form. Blank lines and `#` comments are skipped.
Any line that cannot be read stops the load with file:line, like every other source.
"""

from __future__ import annotations

import csv
from pathlib import Path

from assessor.intel.model import Indicator, IndicatorType, Intake, IntelError, Origin
from assessor.intel.normalise import infer_type, normalise

HEADERS = (["type", "value"], ["type", "value", "source"])
# type words people write in CSV columns -> our types
ALIASES: dict[str, IndicatorType] = {
    **{t.value: t for t in IndicatorType},
    "sha-256": IndicatorType.SHA256, "sha-1": IndicatorType.SHA1,
    "file-name": IndicatorType.FILENAME, "file": IndicatorType.FILENAME,
    "ip": IndicatorType.IPV4, "ip-dst": IndicatorType.IPV4, "ip-src": IndicatorType.IPV4,
    "hostname": IndicatorType.DOMAIN, "domain-name": IndicatorType.DOMAIN,
    "process": IndicatorType.PROCESS_NAME, "process_name": IndicatorType.PROCESS_NAME,
}


def parse_list(path: Path) -> Intake:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise IntelError(path, "", f"cannot read: {exc}") from exc
    rows = [(number, line) for number, line in enumerate(lines, start=1)
            if line.strip() and not line.lstrip().startswith("#")]
    source = str(path)
    if rows and _cells(rows[0][1]) in HEADERS:
        indicators = [typed_row(path, number, line, source) for number, line in rows[1:]]
    else:
        indicators = [bare_value(path, number, line, source) for number, line in rows]
    return Intake(tuple(indicators), (), (source,))


def _cells(line: str) -> list[str]:
    return [cell.strip().lower() for cell in next(csv.reader([line]))]


def typed_row(path: Path, number: int, line: str, source: str) -> Indicator:
    cells = [cell.strip() for cell in next(csv.reader([line]))]
    if len(cells) not in (2, 3):
        raise IntelError(f"{path}:{number}", "", f"expected type,value[,source], got {len(cells)} "
                         "columns")
    kind = ALIASES.get(cells[0].lower())
    if kind is None:
        raise IntelError(f"{path}:{number}", "", f"unknown indicator type {cells[0]!r} (known: "
                         f"{', '.join(t.value for t in IndicatorType)})")
    if kind is IndicatorType.IPV4 and ":" in cells[1]:
        kind = IndicatorType.IPV6
    origin_source = f"{source} ({cells[2]})" if len(cells) == 3 and cells[2] else source
    return make(path, number, kind, cells[1], origin_source)


def bare_value(path: Path, number: int, line: str, source: str) -> Indicator:
    value = line.strip()
    kind = infer_type(value)
    if kind is None:
        raise IntelError(f"{path}:{number}", "", f"cannot tell what kind of indicator {value!r} "
                         "is: use a CSV with a type column")
    return make(path, number, kind, value, source)


def make(path: Path, number: int, kind: IndicatorType, value: str, source: str) -> Indicator:
    try:
        normalised = normalise(kind, value)
    except ValueError as exc:
        raise IntelError(f"{path}:{number}", "", str(exc)) from exc
    return Indicator(kind, normalised, (Origin(source, f"{path.name}:{number}"),))
