"""The persisted value is the one the host's own boot applies: systemd-sysctl or procps.

Expected orders come from the programs: systemd-sysctl reads only the sysctl.d directories
(Debian's /etc/sysctl.d/99-sysctl.conf links /etc/sysctl.conf in); procps' `sysctl --system`
reads /etc/sysctl.conf again after them. The lab proves both on booted hosts
(tests/integration/test_lab_boot_truth.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from assessor.checks.kernel import boot_order, persisted_sysctl, sysctl
from assessor.results import Status

DIRS = ["/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d",
        "/lib/sysctl.d"]


def files_probe(init: str, files: dict[str, str]) -> dict[str, Any]:
    return {"dirs": DIRS, "init": init, "files": files}


CONFLICT = {
    "/etc/sysctl.conf": "net.ipv4.ip_forward = 1\n",
    "/etc/sysctl.d/99-sysctl.conf": "net.ipv4.ip_forward = 1\n",  # Debian's link
    "/etc/sysctl.d/99-zz-local.conf": "net.ipv4.ip_forward = 0\n",
    "/usr/lib/sysctl.d/50-default.conf": "net.ipv4.ip_forward = 1\n",
}


def test_systemd_sysctl_lets_a_later_name_win_over_sysctl_conf() -> None:
    saved = persisted_sysctl(files_probe("systemd", CONFLICT), "net.ipv4.ip_forward")
    assert saved is not None and saved.value == "0"
    assert saved.source == "/etc/sysctl.d/99-zz-local.conf:1"


def test_procps_gives_sysctl_conf_the_last_word() -> None:
    saved = persisted_sysctl(files_probe("other", CONFLICT), "net.ipv4.ip_forward")
    assert saved is not None and saved.value == "1" and saved.source == "/etc/sysctl.conf:1"


def test_systemd_ignores_sysctl_conf_without_the_link() -> None:
    files = {"/etc/sysctl.conf": "net.ipv4.ip_forward = 1\n"}
    assert persisted_sysctl(files_probe("systemd", files), "net.ipv4.ip_forward") is None
    assert persisted_sysctl(files_probe("other", files), "net.ipv4.ip_forward") is not None


def test_etc_masks_a_vendor_file_of_the_same_name() -> None:
    files = {"/usr/lib/sysctl.d/50-default.conf": "net.ipv4.ip_forward = 1\n",
             "/etc/sysctl.d/50-default.conf": ""}  # a link to /dev/null reads empty
    order, program = boot_order(files_probe("systemd", files))
    assert order == ["/etc/sysctl.d/50-default.conf"] and program == "systemd-sysctl"
    assert persisted_sysctl(files_probe("systemd", files), "net.ipv4.ip_forward") is None


@pytest.mark.parametrize("init, program", [("systemd", "systemd-sysctl"),
                                           ("other", "sysctl --system")])
def test_evidence_names_the_program_the_file_and_what_was_not_read(init: str,
                                                                   program: str) -> None:
    files = files_probe(init, {"/etc/sysctl.d/60-net.conf": "net.ipv4.ip_forward = 0\n"})
    files["problems"] = [{"path": "/etc/sysctl.d/70-x.conf",
                          "problem": "unreadable: Permission denied"}]
    snapshot = {"sysctl": {"net.ipv4.ip_forward": "0"}, "sysctl_files": files}
    obs = sysctl(snapshot, {"key": "net.ipv4.ip_forward", "expect": "0"})
    assert obs.status is Status.PASS
    assert f"persisted ({program}): 0 (/etc/sysctl.d/60-net.conf:1)" in obs.evidence
    assert "not read whole: /etc/sysctl.d/70-x.conf unreadable" in obs.evidence
