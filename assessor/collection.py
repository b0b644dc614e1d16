"""The project's roles, modules and playbooks as one Ansible collection, `assessor.baseline`.

AWX and Automation Platform run collections, not a checkout: this assembles the
collection from the sources the assessor itself runs (roles/, playbooks/, the shared
module_utils), so there is one copy to keep, and builds it with `ansible-galaxy collection
build`. In the collection every module lives in plugins/modules (any role of the collection
finds it by short name: a collection's roles search their own collection first) and the
shared code in plugins/module_utils, imported by its collection path, which is the only
change made to the files: `ansible.module_utils.assessor_*` imports are given that path.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

from assessor import __version__
from assessor.errors import ConfigError
from assessor.tools import PROJECT_ROOT, ansible_tool, module_utils_path, tool_env

NAMESPACE = "assessor"
NAME = "baseline"
REQUIRES_ANSIBLE = ">=2.17,<2.20"  # as pyproject's ansible-core pin
OUR_UTILS = re.compile(r"\bansible\.module_utils\.(assessor_\w+)")
COLLECTION_UTILS = f"ansible_collections.{NAMESPACE}.{NAME}.plugins.module_utils"
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc")


def galaxy_manifest() -> dict[str, object]:
    return {
        "namespace": NAMESPACE,
        "name": NAME,
        "version": __version__,
        "readme": "README.md",
        "authors": ["assessor maintainers"],
        "description": "Hardening baseline assessment, remediation, patching, threat hunting "
                       "and evidence collection for Debian fleets (the assessor's roles)",
        "license": ["Apache-2.0"],
        "tags": ["security", "hardening", "compliance", "cis", "debian", "linux"],
        "dependencies": {},
        "repository": "https://example.invalid/assessor",
        "build_ignore": ["**/__pycache__", "*.pyc"],
    }


def assemble(dest: Path) -> Path:
    """Write the collection tree under `dest` (ansible_collections/NS/NAME); return it."""
    root = dest / "ansible_collections" / NAMESPACE / NAME
    if root.exists():
        shutil.rmtree(root)
    modules, utils = root / "plugins" / "modules", root / "plugins" / "module_utils"
    modules.mkdir(parents=True)
    utils.mkdir(parents=True)
    (root / "meta").mkdir()
    write_yaml(root / "galaxy.yml", galaxy_manifest())
    write_yaml(root / "meta" / "runtime.yml", {"requires_ansible": REQUIRES_ANSIBLE})
    (root / "README.md").write_text(
        f"# {NAMESPACE}.{NAME}\n\nThe assessor's roles and playbooks. Run a playbook with\n"
        f"`ansible-playbook {NAMESPACE}.{NAME}.assess -i INVENTORY`; see the project's README.\n"
    )
    (utils / "__init__.py").write_text("")
    for source in sorted(module_utils_path().glob("assessor_*.py")):
        copy_python(source, utils / source.name)
    for role in sorted(p for p in (PROJECT_ROOT / "roles").iterdir() if p.is_dir()):
        target = root / "roles" / role.name
        shutil.copytree(role, target, ignore=shutil.ignore_patterns(
            "__pycache__", "*.pyc", "library", "module_utils"))
        for kind, into in (("library", modules), ("module_utils", utils)):
            for source in sorted((role / kind).glob("*.py")):
                if (into / source.name).exists():
                    raise ConfigError(f"{source}: a second {source.name} in the collection")
                copy_python(source, into / source.name)
    shutil.copytree(PROJECT_ROOT / "playbooks", root / "playbooks", ignore=SKIPPED)
    return root


def copy_python(source: Path, target: Path) -> None:
    target.write_text(OUR_UTILS.sub(rf"{COLLECTION_UTILS}.\1", source.read_text()))


def write_yaml(path: Path, data: object) -> None:
    path.write_text("---\n" + yaml.safe_dump(data, sort_keys=False))


def build(out: Path, work: Path) -> Path:
    """Assemble under `work` and build the tarball into `out`; return the tarball."""
    root = assemble(work)
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [ansible_tool("ansible-galaxy"), "collection", "build", str(root),
         "--output-path", str(out), "--force"],
        capture_output=True, text=True, env=tool_env(), timeout=300, check=False,
    )
    if proc.returncode != 0:
        raise ConfigError(f"ansible-galaxy collection build failed: {proc.stderr.strip()}")
    return out / f"{NAMESPACE}-{NAME}-{__version__}.tar.gz"
