"""The lab's expectations follow from the machine's kernel, never from an assumption.

Two recorded machine profiles, one hardened and one weak, are fed to the reader (as /proc
and /sys trees) and to the expectation logic; every control whose key or module belongs to
the machine gets the machine's verdict, and nothing in net.* ever does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assessor.catalogue import load_catalogue
from assessor.lab.machine import (
    MachineProfile,
    is_namespaced,
    machine_bound,
    machine_keys,
    module_names,
    read_machine,
)
from assessor.results import Status

CONTROLS = load_catalogue().controls
HARDENED = {
    "fs.protected_symlinks": "1", "fs.protected_hardlinks": "1", "fs.protected_fifos": "2",
    "fs.protected_regular": "2", "fs.suid_dumpable": "0", "kernel.randomize_va_space": "2",
    "kernel.yama.ptrace_scope": "1", "kernel.kptr_restrict": "1", "kernel.dmesg_restrict": "1",
}
WEAK = {
    "fs.protected_symlinks": "0", "fs.protected_hardlinks": "1", "fs.protected_fifos": "0",
    "fs.protected_regular": "0", "fs.suid_dumpable": "2", "kernel.randomize_va_space": "2",
    "kernel.kptr_restrict": "0", "kernel.dmesg_restrict": "0",  # no Yama in this kernel
}


def record(tmp_path: Path, values: dict[str, str], filesystems: list[str],
           modules: list[str], sys_modules: list[str]) -> tuple[Path, Path]:
    """A /proc and /sys tree as a machine shows them, with only what the reader reads."""
    proc, sys = tmp_path / "proc", tmp_path / "sys"
    for key, value in values.items():
        path = proc / "sys" / key.replace(".", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value + "\n")
    (proc / "sys/kernel").mkdir(parents=True, exist_ok=True)
    (proc / "sys/kernel/osrelease").write_text("6.1.0-recorded\n")
    (proc / "filesystems").write_text("".join(f"\t{f}\n" for f in filesystems))
    (proc / "modules").write_text("".join(f"{m} 16384 0 - Live 0x0\n" for m in modules))
    for name in sys_modules:
        (sys / "module" / name).mkdir(parents=True)
    return proc, sys


def profile_of(tmp_path: Path, values: dict[str, str], filesystems: list[str],
               modules: list[str] = (), sys_modules: list[str] = ()) -> MachineProfile:  # type: ignore[assignment]
    proc, sys = record(tmp_path, values, filesystems, list(modules), list(sys_modules))
    return read_machine(machine_keys(CONTROLS), module_names(CONTROLS), proc, sys)


def test_only_the_machines_keys_are_read() -> None:
    keys = machine_keys(CONTROLS)
    assert "fs.protected_symlinks" in keys and "kernel.randomize_va_space" in keys
    assert not any(is_namespaced(k) for k in keys)
    assert not any(k.startswith("net.") for k in keys)


def test_a_hardened_machine_decides_nothing(tmp_path: Path) -> None:
    machine = profile_of(tmp_path, HARDENED, ["ext4", "tmpfs", "proc"])
    assert machine.kernel == "6.1.0-recorded"
    assert machine.built_in == ()
    assert machine_bound(CONTROLS, machine) == []


def test_a_weak_machine_fails_its_values_on_every_host(tmp_path: Path) -> None:
    machine = profile_of(tmp_path, WEAK, ["ext4", "squashfs", "tmpfs"],
                         modules=["usb_storage"], sys_modules=["usb_storage"])
    bound = {b.control: b for b in machine_bound(CONTROLS, machine)}
    symlinks = bound["boot.protected-symlinks"]
    assert symlinks.status is Status.FAIL
    assert "fs.protected_symlinks is 0 on this machine" in symlinks.reason
    assert bound["boot.kptr-restrict"].status is Status.FAIL
    assert bound["boot.ptrace-scope"].status is Status.ERROR  # no Yama: the key is absent
    assert "does not exist" in bound["boot.ptrace-scope"].reason
    assert "built into" in bound["fs.squashfs-disabled"].reason
    assert "loaded in" in bound["fs.usb-storage-disabled"].reason
    # what the weak machine has right decides nothing: hosts can pass or fail it
    assert "boot.protected-hardlinks" not in bound
    assert "boot.aslr" not in bound and "fs.cramfs-disabled" not in bound
    assert not any(b.control.startswith("net.") for b in bound.values())


@pytest.mark.parametrize("values", [HARDENED, WEAK])
def test_a_profile_round_trips_through_the_lab_state(tmp_path: Path,
                                                      values: dict[str, str]) -> None:
    machine = profile_of(tmp_path, values, ["squashfs"])
    again = MachineProfile.from_dict(machine.to_dict())
    assert again == machine
    assert machine_bound(CONTROLS, again) == machine_bound(CONTROLS, machine)


def test_this_machine_can_be_read() -> None:
    machine = read_machine(machine_keys(CONTROLS), module_names(CONTROLS))
    assert machine.kernel
    assert set(machine.sysctl) == set(machine_keys(CONTROLS))
