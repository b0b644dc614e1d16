"""Evidence artifacts as YAML data with a schema: the package's own set, or a user's file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assessor import schemacheck
from assessor.errors import ConfigError
from assessor.yamlfile import LINE, load_with_lines, strip_lines

HERE = Path(__file__).parent
BUILTIN = HERE / "artifacts.yaml"
SETS = ("triage", "full")
TIERS = ("volatile", "system", "logs", "files")


@dataclass(frozen=True)
class Artifact:
    """One thing to collect; `order` is its order of volatility (lower is collected first)."""

    id: str
    what: str
    order: int
    tier: str
    collector: str
    argv: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    size_cap: int = 1024 * 1024
    timeout: int = 60
    sets: tuple[str, ...] = SETS
    extra: dict[str, Any] = field(default_factory=dict)

    def module_args(self) -> dict[str, Any]:
        """What the on-host module receives for this artifact."""
        args: dict[str, Any] = {
            "id": self.id, "tier": self.tier, "collector": self.collector,
            "size_cap": self.size_cap, "timeout": self.timeout, **self.extra,
        }
        if self.argv:
            args["argv"] = list(self.argv)
        if self.paths:
            args["paths"] = list(self.paths)
        return args


def _schema() -> dict[str, Any]:
    return json.loads((HERE / "artifacts.schema.json").read_text())  # type: ignore[no-any-return]


def load_artifacts(choice: str = "triage") -> list[Artifact]:
    """`triage` or `full` from the package's set, else the path of a user's artifacts file."""
    if choice in SETS:
        return [a for a in load_file(BUILTIN) if choice in a.sets]
    return load_file(Path(choice))


def load_file(path: Path) -> list[Artifact]:
    """Read and validate one artifacts file; an error names the file, line and artifact."""
    raw = load_with_lines(path, "evidence artifacts")
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: evidence artifacts must be a list of entries")
    item_schema = _schema()["items"]
    seen: set[str] = set()
    artifacts = []
    for entry in raw:
        line = entry.get(LINE, 1) if isinstance(entry, dict) else 1
        clean = strip_lines(entry)
        error = next(iter(schemacheck.errors(item_schema, clean)), None)
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "entry"
            name = clean.get("id", "?") if isinstance(clean, dict) else "?"
            raise ConfigError(f"{path}:{line}: artifact {name}: {where}: {error.message}")
        if clean["id"] in seen:
            raise ConfigError(f"{path}:{line}: artifact {clean['id']} is defined twice")
        seen.add(clean["id"])
        artifacts.append(Artifact(
            id=clean["id"], what=clean["what"], order=clean["order"], tier=clean["tier"],
            collector=clean["collector"], argv=tuple(clean.get("argv", ())),
            paths=tuple(clean.get("paths", ())), size_cap=clean.get("size_cap", 1024 * 1024),
            timeout=clean.get("timeout", 60), sets=tuple(clean.get("sets", SETS)),
            extra={k: clean[k] for k in ("max_files",) if k in clean},
        ))
    return sorted(artifacts, key=lambda a: (TIERS.index(a.tier), a.order))


def flagged_artifact(paths: list[str]) -> Artifact:
    """Copies of the files a hunt run flagged, collected last (they are not volatile)."""
    return Artifact(id="flagged", what="Files a hunt run flagged", order=99, tier="files",
                    collector="file", paths=tuple(paths), size_cap=64 * 1024 * 1024)


def by_tier(artifacts: list[Artifact]) -> dict[str, list[dict[str, Any]]]:
    """The extra var the role reads: module arguments per tier, in order of volatility."""
    tiers: dict[str, list[dict[str, Any]]] = {t: [] for t in TIERS}
    for artifact in sorted(artifacts, key=lambda a: (TIERS.index(a.tier), a.order)):
        tiers[artifact.tier].append(artifact.module_args())
    return tiers
