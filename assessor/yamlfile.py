"""Reading the YAML files users and the catalogue write, with line numbers kept for errors.

Every mapping gets `__line__` (where it starts) and `__lines__` (where each key is), so a
bad entry can be reported as `file:line: ...`; `strip_lines` removes them again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from assessor.errors import ConfigError

LINE = "__line__"
KEY_LINES = "__lines__"


# libyaml's loader when present: the catalogue is hundreds of entries, read on every run
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that remembers where each mapping and each of its keys are."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = str(loader.construct_object(key_node, deep=True))
        mapping[key] = loader.construct_object(value_node, deep=True)
        lines[key] = key_node.start_mark.line + 1
    mapping[LINE] = node.start_mark.line + 1
    mapping[KEY_LINES] = lines
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_with_lines(path: Path, what: str) -> Any:
    """Parse `path`; any failure is one ConfigError line naming the file (and line)."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: {what} not found") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        why = f"{exc.reason} at byte {exc.start}"
        raise ConfigError(f"{path}: {what} is not UTF-8: {why}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        # PyYAML's own text spans several lines and says "<unicode string>" for the file
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        context = getattr(exc, "context", None)
        detail = f"{problem} ({context})" if context else problem
        raise ConfigError(f"{where}: {what} is not valid YAML: {detail}") from exc


def strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k not in (LINE, KEY_LINES)}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


def key_line(mapping: dict[str, Any], key: str) -> int:
    """The line of `key` in a loaded mapping, else the mapping's own line."""
    return int(mapping.get(KEY_LINES, {}).get(key, mapping.get(LINE, 1)))
