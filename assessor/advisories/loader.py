"""Read advisories from files or directories; the format is told by the content.

A directory is read recursively (*.json, *.yaml, *.yml, sorted). Any problem stops the
load with the file, the path inside it and what is wrong: patching on a half-read
advisory set would be worse than not patching.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from assessor.advisories import bulletin, csaf, osv
from assessor.advisories.model import Advisory, AdvisoryError

SUFFIXES = (".json", ".yaml", ".yml")


def load_advisories(paths: Iterable[Path]) -> list[Advisory]:
    advisories: list[Advisory] = []
    seen: dict[str, str] = {}
    for path in paths:
        for file in files_under(path):
            for advisory in load_file(file):
                if advisory.id in seen:
                    raise AdvisoryError(file, "/", f"advisory {advisory.id} is also defined in "
                                        f"{seen[advisory.id]}")
                seen[advisory.id] = str(file)
                advisories.append(advisory)
    return advisories


def files_under(path: Path) -> list[Path]:
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
        if not found:
            raise AdvisoryError(path, "/", "directory holds no *.json, *.yaml or *.yml file")
        return found
    if not path.is_file():
        raise AdvisoryError(path, "/", "no such file or directory")
    return [path]


def load_file(path: Path) -> list[Advisory]:
    document = read(path)
    if path.suffix in (".yaml", ".yml"):
        return [bulletin.parse(document, path)]
    if isinstance(document, list):  # a list of OSV records, as osv.dev's API returns them
        return [parse_json(item, path, f"/{i}") for i, item in enumerate(document)]
    return [parse_json(document, path, "")]


def parse_json(document: Any, path: Path, where: str) -> Advisory:
    source = f"{path}{where and f' (record {where})'}"
    if csaf.looks_like(document):
        return csaf.parse(document, source)
    if osv.looks_like(document):
        return osv.parse(document, source)
    raise AdvisoryError(path, where or "/", "neither an OSV record (no 'affected') nor a CSAF "
                        "document (no 'document')")


def read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AdvisoryError(path, "/", f"cannot read: {exc}") from exc
    try:
        if path.suffix == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise AdvisoryError(path, f"line {exc.lineno} column {exc.colno}",
                            f"invalid JSON: {exc.msg}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else "/"
        problem = getattr(exc, "problem", None) or str(exc)
        raise AdvisoryError(path, where, f"invalid YAML: {problem}") from exc
