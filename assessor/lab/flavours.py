"""Lab flavours: how hosts differ on purpose, applied to a host's root before it boots."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from assessor.errors import ConfigError
from assessor.lab.system import run

DEFAULT_FLAVOURS = ("weak", "partial", "hardened")


def load_flavours() -> dict[str, dict[str, Any]]:
    """Every flavour with its steps, merged from one file per area in file-name order."""
    merged: dict[str, dict[str, Any]] = {}
    folder = resources.files("assessor.lab").joinpath("flavours")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        data = yaml.safe_load(entry.read_text())
        if not isinstance(data, dict):
            raise ConfigError(f"assessor/lab/flavours/{entry.name}: expected flavour: steps")
        for name, spec in data.items():
            flavour = merged.setdefault(name, {"description": "", "steps": [], "packages": [],
                                               "python": {}, "build": [], "extends": ""})
            flavour["description"] = flavour["description"] or spec.get("description", "")
            flavour["steps"] += spec.get("steps") or []
            # packages come with the host's root (a variant root, built once), not at boot,
            # and so do `build` scripts (run chrooted in that root once it has them)
            flavour["packages"] += spec.get("packages") or []
            flavour["build"] += spec.get("build") or []
            flavour["python"] = spec.get("python") or flavour["python"]
            flavour["extends"] = spec.get("extends") or flavour["extends"]
    return {name: inherited(name, merged) for name in merged}


def inherited(name: str, merged: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A flavour with `extends: BASE` is BASE's packages, build and steps, then its own."""
    flavour = merged[name]
    base_name = flavour["extends"]
    if not base_name:
        return flavour
    if base_name not in merged or merged[base_name]["extends"]:
        raise ConfigError(f"lab flavour {name!r} extends {base_name!r}: not a flavour of its "
                          "own (one level of extends only)")
    base = merged[base_name]
    return {**flavour,
            "steps": [*base["steps"], *flavour["steps"]],
            "packages": [*base["packages"], *flavour["packages"]],
            "build": [*base["build"], *flavour["build"]],
            "python": flavour["python"] or base["python"]}


def parse_flavours(spec: str | None, known: dict[str, dict[str, Any]]) -> list[str]:
    names = [n.strip() for n in spec.split(",") if n.strip()] if spec else list(DEFAULT_FLAVOURS)
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ConfigError(
            f"unknown lab flavour(s) {', '.join(unknown) or '(none given)'} "
            f"(known: {', '.join(known)})"
        )
    return names


def inside(root: Path, path: str) -> Path:
    """A path of the host's filesystem, resolved under its root and never outside it."""
    target = (root / path.lstrip("/")).resolve()
    if not target.is_relative_to(root.resolve()):
        raise ConfigError(f"lab flavour path {path!r} leaves the host's root")
    return target


def set_key(text: str, key: str, value: str) -> str:
    """Set `KEY value` in a login.defs-style file: replace the live lines or append one."""
    pattern = re.compile(rf"^[ \t]*{re.escape(key)}[ \t]+.*$", re.MULTILINE)
    line = f"{key}\t{value}"
    if pattern.search(text):
        # every live line: login.defs readers take the last one, so none may disagree
        return pattern.sub(lambda _: line, text)
    return text.rstrip("\n") + f"\n{line}\n"


# Empty packages that dpkg records as installed: the checks read dpkg's status, and the
# real ones (servers, clients, AIDE) would be hundreds of megabytes in every lab root.
STAND_IN = """set -e
work=$(mktemp -d)
for name in "$@"; do
  mkdir -p "$work/$name/DEBIAN"
  # epoch 99: newer than any version a real package Breaks
  cat > "$work/$name/DEBIAN/control" <<END
Package: $name
Version: 99:0.0-lab
Architecture: all
Maintainer: assessor lab <lab@lab.invalid>
Description: lab stand-in for $name
 dpkg records it as installed; it ships no files.
END
  dpkg-deb -Zgzip --build "$work/$name" "$work/$name.deb" >/dev/null
done
dpkg -i "$work"/*.deb >/dev/null
rm -rf "$work"
"""


def stand_in_packages(root: Path, names: list[str]) -> None:
    script = inside(root, "/root/lab-stand-in-packages.sh")
    script.write_text(STAND_IN)
    try:
        run("chroot", str(root), "sh", "/root/lab-stand-in-packages.sh", *names)
    finally:
        script.unlink()


def apply_steps(root: Path, steps: list[dict[str, Any]]) -> None:
    for step in steps:
        if "write" in step:
            target = inside(root, step["write"]["path"])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step["write"]["content"])
        elif "chmod" in step:
            inside(root, step["chmod"]["path"]).chmod(int(step["chmod"]["mode"], 8))
        elif "set" in step:
            target = inside(root, step["set"]["path"])
            target.write_text(set_key(target.read_text(), step["set"]["key"], step["set"]["value"]))
        elif "run" in step:
            run("chroot", str(root), *[str(a) for a in step["run"]])
        elif "stand_in_packages" in step:
            stand_in_packages(root, [str(n) for n in step["stand_in_packages"]])
        else:
            raise ConfigError(f"lab flavour step not understood: {step!r}")
