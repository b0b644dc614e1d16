"""The assessor.baseline collection holds every role, module and playbook, importable by
collection path, and ansible-galaxy builds it offline."""

from __future__ import annotations

import ast
import subprocess
import sys
import tarfile
from pathlib import Path

import yaml

from assessor.collection import COLLECTION_UTILS, assemble, build
from assessor.tools import PROJECT_ROOT, module_utils_path


def test_every_role_module_and_playbook_is_in_the_collection(tmp_path: Path) -> None:
    root = assemble(tmp_path)
    roles = {p.name for p in (PROJECT_ROOT / "roles").iterdir() if p.is_dir()}
    assert {p.name for p in (root / "roles").iterdir()} == roles
    modules = {p.name for p in (PROJECT_ROOT / "roles").glob("*/library/*.py")}
    assert {p.name for p in (root / "plugins" / "modules").glob("*.py")} == modules
    utils = {p.name for p in module_utils_path().glob("assessor_*.py")}
    utils |= {p.name for p in (PROJECT_ROOT / "roles").glob("*/module_utils/*.py")}
    assert {p.name for p in (root / "plugins" / "module_utils").glob("assessor_*.py")} == utils
    playbooks = {p.name for p in (PROJECT_ROOT / "playbooks").glob("*.yml")}
    assert {p.name for p in (root / "playbooks").glob("*.yml")} == playbooks
    assert not list(root.glob("roles/*/library")), "modules belong in plugins/modules"
    runtime = yaml.safe_load((root / "meta" / "runtime.yml").read_text())
    assert runtime["requires_ansible"].startswith(">=2.17")


def test_our_module_utils_are_imported_by_collection_path(tmp_path: Path) -> None:
    root = assemble(tmp_path)
    ours = {p.stem for p in (root / "plugins" / "module_utils").glob("assessor_*.py")}
    for source in (root / "plugins").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                name = node.module.rsplit(".", 1)[-1]
                if name in ours:
                    assert node.module == f"{COLLECTION_UTILS}.{name}", source


def test_ansible_galaxy_builds_the_tarball_offline(tmp_path: Path) -> None:
    tarball = build(tmp_path / "dist", tmp_path / "work")
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    assert {"MANIFEST.json", "FILES.json", "meta/runtime.yml", "playbooks/assess.yml",
            "plugins/modules/assessor_snapshot.py", "roles/collect/tasks/main.yml"} <= names
    assert not any("__pycache__" in n for n in names)


def test_execution_environment_context_is_created_offline(tmp_path: Path) -> None:
    """`ansible-builder create` on the committed execution-environment.yml, as `make
    ee-context` runs it: the collection tarball goes into the context and is installed from
    there, so building the image later fetches no collection from Galaxy."""
    (tmp_path / "ee").mkdir()
    for name in ("execution-environment.yml", "ee/bindep.txt", "ee/requirements.yml"):
        (tmp_path / name).write_text((PROJECT_ROOT / name).read_text())
    tarball = build(tmp_path / "dist", tmp_path / "work")
    (tmp_path / "ee" / "assessor-baseline.tar.gz").write_bytes(tarball.read_bytes())
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("ansible-builder")), "create",
         "-f", "execution-environment.yml", "-c", "context", "--output-filename", "Containerfile"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    context = tmp_path / "context"
    containerfile = (context / "Containerfile").read_text()
    assert "python3.11" in containerfile and "ansible-core" in containerfile
    assert (context / "_build" / "collections" / "assessor-baseline.tar.gz").is_file()
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert requirements["collections"][0]["type"] == "file"
