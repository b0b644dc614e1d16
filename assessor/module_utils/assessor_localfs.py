"""Which mount points are not this host's own disks (network or virtual filesystems).

A hunt scans local filesystems only: a sweep must not walk a file server's share or /proc.
Runs on the host; standard library only.
"""

from __future__ import annotations

from ansible.module_utils.assessor_probe_mounts import read_mounts

REMOTE_FS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "fuse.sshfs", "9p", "ceph", "glusterfs",
    "fuse.glusterfs", "afs", "davfs", "fuse", "proc", "sysfs", "devpts", "cgroup", "cgroup2",
    "autofs", "debugfs", "tracefs", "securityfs",
})


def remote_mounts() -> list[str]:
    """Mount points whose filesystem is remote or virtual, sorted."""
    return sorted(m["target"] for m in read_mounts() if m["fstype"] in REMOTE_FS)
