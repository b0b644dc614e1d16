"""results.json: the run's single source, from which every other report can be rebuilt."""

from __future__ import annotations

import json
from pathlib import Path

from assessor.atomic import write_text
from assessor.errors import ConfigError
from assessor.results import RunResult

RESULTS_FILE = "results.json"


def write(run: RunResult, out_dir: Path) -> list[Path]:
    path = out_dir / RESULTS_FILE
    write_text(path, json.dumps(run.to_dict(), indent=2, ensure_ascii=False) + "\n")
    return [path]


def read(run_dir: Path) -> RunResult:
    path = run_dir / RESULTS_FILE
    try:
        return RunResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no results.json in this run directory") from exc
    except (json.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: not a valid results file: {exc}") from exc
