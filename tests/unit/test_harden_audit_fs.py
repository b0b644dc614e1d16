"""harden_auditd's rules template and GRUB module, harden_filesystem's fstab logic, on data.

The rules are rendered by the real template through Ansible's templating and then judged
by the real audit_rules check: what the role writes must be what the check accepts, for
every audit control of the catalogue. The host modules' pure helpers run here directly.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from assessor.catalogue import load_catalogue
from assessor.checks.audit import audit_rules
from assessor.remediation.plan import make_plan
from assessor.results import Status
from assessor.tools import roles_path

ROLES = roles_path()
AUDIT = [c for c in load_catalogue().controls if c.kind == "audit_rules"]


def load_module(path: Path) -> ModuleType:
    """A role's host module, with harden_common's module_utils where Ansible puts them."""
    utils = "ansible.module_utils.assessor_state"
    if utils not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            utils, ROLES / "harden_common/module_utils/assessor_state.py")
        assert spec and spec.loader
        sys.modules[utils] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[utils])
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GRUB = load_module(ROLES / "harden_auditd/library/assessor_grub_cmdline.py")
MOUNTS = load_module(ROLES / "harden_filesystem/library/assessor_mounts.py")
TEMPLATES = yaml.safe_load((ROLES / "harden_filesystem/defaults/main.yml").read_text())[
    "harden_filesystem_mounts"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each audit control's rules file as the role's template renders it (real Ansible)."""
    work = tmp_path_factory.mktemp("rules")
    items = [i.as_var() for i in make_plan(AUDIT, ROLES).items]
    (work / "items.json").write_text(json.dumps({"harden_items": items}))
    (work / "play.yml").write_text(yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": False,
        "vars": {"ansible_python_interpreter": sys.executable},
        "tasks": [
            {"ansible.builtin.include_vars": str(ROLES / "harden_auditd/defaults/main.yml")},
            {"ansible.builtin.include_vars": str(work / "items.json")},
            {"ansible.builtin.copy": {
                "dest": str(work) + "/{{ item.id }}.rules", "content":
                "{{ lookup('ansible.builtin.template', '%s') }}"
                % (ROLES / "harden_auditd/templates/audit-rules.j2")},
             "loop": "{{ harden_items }}"},
        ],
    }]))
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c",
         "local", str(work / "play.yml")], capture_output=True, text=True, timeout=120,
        check=False)
    assert proc.returncode == 0, proc.stdout[-2000:]
    return {c.id: (work / f"{c.id}.rules").read_text() for c in AUDIT}


def snapshot(files: dict[str, str]) -> dict[str, Any]:
    pattern = "/etc/audit/rules.d/*.rules"
    probe: dict[str, Any] = {pattern: {"glob": True, "matches": sorted(files)}}
    probe.update({p: {"exists": True, "content": t} for p, t in files.items()})
    return {"files": probe}


@pytest.mark.parametrize("control", AUDIT, ids=lambda c: c.id)
def test_each_controls_rules_pass_its_check_alone(control: Any, rendered: dict[str, str]) -> None:
    files = {f"/etc/audit/rules.d/50-assessor-{control.id}.rules": rendered[control.id]}
    observation = audit_rules(snapshot(files), control.params)
    assert observation.status is Status.PASS, observation.evidence


def test_field_comparisons_use_c_and_file_access_is_limited_to_users(
    rendered: dict[str, str],
) -> None:
    assert "-C euid!=uid -F auid!=unset" in rendered["audit.rules-user-emulation"]
    assert "-F exit=-EACCES -F auid>=1000 -F auid!=unset -k access" in \
        rendered["audit.rules-file-access"]
    assert rendered["audit.rules-immutable"].splitlines()[-1] == "-e 2"


def test_a_later_e_line_makes_the_immutable_check_fail(rendered: dict[str, str]) -> None:
    """Why the role refuses to write -e 2 when a file read after its own sets -e 1."""
    immutable = next(c for c in AUDIT if c.id == "audit.rules-immutable")
    files = {"/etc/audit/rules.d/99-assessor-finalize.rules": rendered[immutable.id],
             "/etc/audit/rules.d/zz-local.rules": "-e 1\n"}
    assert audit_rules(snapshot(files), immutable.params).status is Status.FAIL


def test_grub_arguments_are_replaced_in_place_or_appended() -> None:
    text = 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="audit=0 x"\n'
    new, changes = GRUB.set_args(text, [
        {"id": "audit.boot-audit", "params": {"arg": "audit"}, "target": "1"},
        {"id": "audit.backlog-limit", "params": {"arg": "audit_backlog_limit"},
         "target": "8192"},
    ])
    assert new.splitlines() == ["GRUB_DEFAULT=0", 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"',
                                'GRUB_CMDLINE_LINUX="audit=1 x audit_backlog_limit=8192"']
    assert changes == [("audit.boot-audit", "audit=0", "audit=1"),
                       ("audit.backlog-limit", None, "audit_backlog_limit=8192")]
    assert GRUB.set_args(new, [{"name": "audit", "value": "1"}]) == (new, [])
    created, _ = GRUB.set_args("", [{"name": "audit", "value": "1", "control": "c"}])
    assert created == 'GRUB_CMDLINE_LINUX="audit=1"\n'


def test_fstab_gets_options_added_or_an_entry_from_the_template() -> None:
    items = [{"id": f"fs.{name}-{opt}", "params": {"path": path, "option": opt}}
             for name, path in (("tmp", "/tmp"), ("var-tmp", "/var/tmp"))
             for opt in ("nodev", "nosuid", "noexec")]
    items.append({"id": "fs.tmp-separate", "params": {"path": "/tmp"}})
    text = "# static\nUUID=1 / ext4 errors=remount-ro 0 1\ntmpfs /tmp tmpfs defaults,exec 0 0\n"
    new, changed = MOUNTS.plan_fstab(text, MOUNTS.wants_of(items), TEMPLATES)
    assert new.splitlines() == [
        "# static", "UUID=1 / ext4 errors=remount-ro 0 1",
        "tmpfs /tmp tmpfs defaults,nodev,nosuid,noexec 0 0",
        "/var/tmp /var/tmp none rw,relatime,bind,nodev,nosuid,noexec 0 0",
    ]
    assert changed["/var/tmp"][0] is None
    assert MOUNTS.plan_fstab(new, MOUNTS.wants_of(items), TEMPLATES) == (new, {})


def test_live_mounts_are_mounted_or_remounted_keeping_their_flags() -> None:
    assert MOUNTS.live_command("/tmp", None, ["nodev"], False) == ["mount", "/tmp"]
    shm = ("tmpfs", ["rw", "nosuid", "nodev", "relatime", "size=65536k"])
    assert MOUNTS.live_command("/dev/shm", shm, ["nodev", "nosuid", "noexec"], False) == [
        "mount", "-o", "remount,rw,nosuid,nodev,relatime,noexec", "/dev/shm"]
    bound = ("ext4", ["rw", "relatime"])
    assert MOUNTS.live_command("/var/tmp", bound, ["noexec"], True) == [
        "mount", "-o", "remount,bind,rw,relatime,noexec", "/var/tmp"]
    assert MOUNTS.live_command("/tmp", ("tmpfs", ["rw", "noexec"]), ["noexec"], False) is None


def test_var_and_its_logs_get_private_recursive_binds_of_their_own() -> None:
    """CIS 1.1.2.3-1.1.2.7 on a host with one disk: /var and /var/log bound recursively
    (mounts below stay visible) and private (a later mount below is not copied, without
    its options, onto the shared / underneath, as the lab saw for /var/log's noexec)."""
    wanted = {"/home": ("nodev", "nosuid"), "/var": ("nodev", "nosuid"),
              "/var/log": ("nodev", "nosuid", "noexec"),
              "/var/log/audit": ("nodev", "nosuid", "noexec")}
    items = [{"id": f"fs.x-{opt}", "params": {"path": path, "option": opt}}
             for path, opts in wanted.items() for opt in opts]
    new, _ = MOUNTS.plan_fstab("UUID=1 / ext4 defaults 0 1\n", MOUNTS.wants_of(items),
                               TEMPLATES)
    assert new.splitlines()[1:] == [
        "/home /home none rw,relatime,bind,private,nodev,nosuid 0 0",
        "/var /var none rw,relatime,rbind,rprivate,nodev,nosuid 0 0",
        "/var/log /var/log none rw,relatime,rbind,rprivate,nodev,nosuid,noexec 0 0",
        "/var/log/audit /var/log/audit none rw,relatime,bind,private,nodev,nosuid,noexec 0 0",
    ]
