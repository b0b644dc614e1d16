"""results.json: the run's single source, from which every other report can be rebuilt.

Its shape is the JSON Schema in `assessor/schemas/results.schema.json` (versioned by
`format`); reading checks it, so a foreign or damaged file is refused with where it is
wrong instead of half-rendered.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import fastjsonschema

from assessor.errors import ConfigError
from assessor.results import RESULTS_FORMAT, Finding, HostResult, RunResult, Severity
from assessor.rundir import write_text

RESULTS_FILE = "results.json"


@cache
def schema() -> dict[str, Any]:
    text = resources.files("assessor").joinpath("schemas/results.schema.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def problems(data: Any) -> list[str]:
    """Every place `data` departs from the schema, as `path: message`; empty when valid."""
    import jsonschema  # slow to import (see assessor.schemacheck): only for failing data

    validator = jsonschema.Draft7Validator(
        schema(), format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    ]


@cache
def _fast_validator() -> Callable[[Any], Any]:
    """The same schema compiled to Python: a 1,000-host results.json checks in seconds."""
    validate: Callable[[Any], Any] = fastjsonschema.compile(schema())
    return validate


def is_valid(data: Any) -> bool:
    try:
        _fast_validator()(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _fields(obj: Any) -> dict[str, Any]:
    """A dataclass's fields, shallow: json.dumps walks the nested values itself."""
    return dict(vars(obj))


def _finding(f: Finding) -> dict[str, Any]:
    data = _fields(f)
    data["severity"], data["status"] = f.severity.value, f.status.value
    data["waiver"] = dataclasses.asdict(f.waiver) if f.waiver else None
    return data


def host_dict(h: HostResult) -> dict[str, Any]:
    """One host as results.json holds it (with its score), without `asdict`'s copies."""
    data = _fields(h)
    data["findings"] = [_finding(f) for f in h.findings]
    data["score"] = h.score
    return data


def as_dict(run: RunResult) -> dict[str, Any]:
    """`run.to_dict()`, built without `asdict`'s deep copies (ten times faster at scale)."""
    data = _fields(run)
    data["hosts"] = [host_dict(h) for h in run.hosts]
    data["format"] = RESULTS_FORMAT
    data["score"] = run.score
    return data


def write(run: RunResult, out_dir: Path) -> list[Path]:
    path = out_dir / RESULTS_FILE
    # compact: the C encoder only runs without indent, and the file is for programs
    write_text(path, json.dumps(as_dict(run), ensure_ascii=False, separators=(",", ":")) + "\n")
    return [path]


def read(run_dir: Path) -> RunResult:
    path = run_dir / RESULTS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no results.json in this run directory") from exc
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a valid results file: {exc}") from exc
    version = data.get("format") if isinstance(data, dict) else None
    if isinstance(version, int) and version > RESULTS_FORMAT:
        raise ConfigError(
            f"{path}: results format {version} is newer than this assessor "
            f"understands ({RESULTS_FORMAT}); upgrade assessor to render it"
        )
    found = [] if is_valid(data) else problems(data)
    if found:
        more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
        raise ConfigError(f"{path}: not a valid results file: {'; '.join(found[:3])}{more}")
    try:
        return RunResult.from_dict(data)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: not a valid results file: {exc}") from exc


SUMMARY_SCHEMA = "summary.schema.json"
SUMMARY_STATUSES = ("fail", "error", "waived", "manual")  # what an operator acts on


def summary(run: RunResult, fail_on: Severity = Severity.LOW) -> dict[str, Any]:
    """The run as the terminal summary shows it, from results.json's fields only.

    `--format json` prints this, so a script gets the same numbers as the table and can
    rebuild them from results.json (`summary(read(run_dir))` is equal); its shape is
    `assessor/schemas/summary.schema.json`.
    """
    return {
        "format": RESULTS_FORMAT,
        "run_id": run.run_id,
        "profile": run.profile,
        "started": run.started,
        "finished": run.finished,
        "catalogue_version": run.catalogue_version,
        "fail_on": fail_on.value,
        "score": run.score,
        "hosts": [
            {
                "name": h.name,
                "address": h.address,
                "assessed": h.assessed,
                "error": h.error,
                "score": h.score,
                "counts": h.counts(),
                "failing_at_or_above": len(h.failures_at_or_above(fail_on)),
                "findings": [
                    {"control_id": f.control_id, "severity": f.severity.value,
                     "status": f.status.value, "expected": f.expected, "observed": f.observed}
                    for f in h.findings if f.status.value in SUMMARY_STATUSES
                ],
            }
            for h in run.hosts
        ],
    }
