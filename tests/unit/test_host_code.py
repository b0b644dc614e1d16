"""Code that runs on hosts is held to its own rules: standard library only, Python 3.9
(Debian 11), and linted and type-checked like the package.

Ansible ships a module and the module_utils it imports to each host; nothing else from
the controller is there, so a third-party import or 3.10+ syntax fails as root on a host,
not here. These tests make it fail here.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import ansible.module_utils
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted(ROOT.glob("roles/*/library/*.py"))
MODULE_UTILS = sorted(ROOT.glob("roles/*/module_utils/*.py")) + sorted(
    p for p in (ROOT / "assessor" / "module_utils").glob("*.py") if p.name != "__init__.py")
HOST_CODE = LIBRARY + MODULE_UTILS
HOST_VERSION = (3, 9)


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def allowed(module: str) -> bool:
    top = module.split(".")[0]
    return top in sys.stdlib_module_names or module.startswith("ansible.module_utils.")


def imports(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
    return found


def runtime_unions(tree: ast.Module) -> list[int]:
    """Lines where `X | Y` would be evaluated as a type on 3.9: annotations without
    `from __future__ import annotations`, and isinstance/issubclass second arguments."""
    future = any(isinstance(n, ast.ImportFrom) and n.module == "__future__"
                 and any(a.name == "annotations" for a in n.names) for n in tree.body)
    hits = []
    for node in ast.walk(tree):
        annotations: list[ast.expr | None] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not future:
            args = node.args
            annotations += [a.annotation for a in
                            args.posonlyargs + args.args + args.kwonlyargs]
            annotations += [node.returns]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("isinstance", "issubclass") and len(node.args) == 2:
            annotations.append(node.args[1])
        hits += [a.lineno for a in annotations
                 if isinstance(a, ast.BinOp) and isinstance(a.op, ast.BitOr)]
    return hits


def test_there_is_host_code_to_check() -> None:
    assert len(LIBRARY) >= 11 and MODULE_UTILS


@pytest.mark.parametrize("path", HOST_CODE, ids=rel)
def test_host_code_parses_as_python_3_9_and_imports_only_the_standard_library(
    path: Path,
) -> None:
    source = path.read_text()
    tree = ast.parse(source, filename=str(path), feature_version=HOST_VERSION)
    compile(source, str(path), "exec", dont_inherit=True)
    foreign = [m for m in imports(tree) if not allowed(m)]
    assert not foreign, f"{rel(path)} imports {foreign}: hosts have only the standard library"
    assert not runtime_unions(tree), f"{rel(path)}: `X | Y` evaluated at run time on 3.9"


def test_host_code_imports_with_only_the_standard_library_and_ansible_module_utils(
    tmp_path: Path,
) -> None:
    """Import every module in a Python without site-packages: what a host has."""
    package = tmp_path / "ansible"
    shutil.copytree(Path(ansible.module_utils.__file__).parent, package / "module_utils",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (package / "__init__.py").write_text("")
    for util in MODULE_UTILS:
        shutil.copy(util, package / "module_utils" / util.name)
    script = textwrap.dedent("""
        import importlib.util, sys
        sys.path.insert(0, sys.argv[1])
        for path in sys.argv[2:]:
            spec = importlib.util.spec_from_file_location("host_" + path.split("/")[-1][:-3], path)
            spec.loader.exec_module(importlib.util.module_from_spec(spec))
    """)
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script, str(tmp_path), *map(str, HOST_CODE)],
        capture_output=True, text=True, timeout=120, check=False, env={"PATH": os.defpath},
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.skipif(shutil.which("ruff", path=str(Path(sys.executable).parent)) is None,
                    reason="ruff is not installed beside this Python")
def test_host_code_passes_ruff() -> None:
    """`make lint` runs `ruff check assessor tests`; the roles are checked here too."""
    ruff = str(Path(sys.executable).parent / "ruff")
    proc = subprocess.run([ruff, "check", "--no-cache", "roles"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def argument_spec(tree: ast.Module) -> dict[str, dict[str, object]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "argument_spec":
                    spec: dict[str, dict[str, object]] = ast.literal_eval(keyword.value)
                    return spec
    raise AssertionError("no argument_spec literal")


def constant(tree: ast.Module, name: str) -> str:
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == [name]:
            value = ast.literal_eval(node.value)
            assert isinstance(value, str)
            return value
    raise AssertionError(f"no {name}")


@pytest.mark.parametrize("path", LIBRARY, ids=rel)
def test_every_module_documents_its_options_and_what_it_returns(path: Path) -> None:
    """DOCUMENTATION is the argument_spec in words (same names, types, defaults), and
    RETURN says what the assessor reads back; ansible-doc shows both."""
    tree = ast.parse(path.read_text())
    documentation = yaml.safe_load(constant(tree, "DOCUMENTATION"))
    returned = yaml.safe_load(constant(tree, "RETURN"))
    assert documentation["module"] == path.stem and documentation["short_description"]
    assert documentation["description"]  # ansible-doc refuses a module without one
    spec = argument_spec(tree)
    options = documentation["options"]
    assert set(options) == set(spec)
    for name, declared in spec.items():
        assert options[name]["description"], name
        for key in ("type", "elements", "required", "default", "choices"):
            assert options[name].get(key) == declared.get(key), (name, key)
    assert returned and all(v["description"] and v["returned"] and v["type"]
                            for v in returned.values())
