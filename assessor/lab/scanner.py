"""OpenSCAP newer than this machine's: a tree of Debian packages to chroot into and scan from.

bookworm ships oscap 1.3.7 with SSG 0.1.65, whose newest content is Debian 11's. Debian 12
and 13 content (ssg-debian 0.1.82) comes from forky, and the scanner from trixie
(openscap 1.4.2, which reads /var/lib/dpkg/status itself instead of having apt build a
cache in the scanned tree). Neither runs on bookworm's libc, so their .debs and every
library they need (apt's dependency closure) are unpacked with `dpkg-deb -x` into one
tree, and a scan chroots into it and probes the running host's root
(`OSCAP_PROBE_ROOT=/proc/PID/root`) from the host's network namespace. Fetched once, at
build time (`make scanner`), and kept under /var/cache/assessor: a test never reaches the
archive when the tree is there. The content is forky's current one: a new SSG version
makes the agreement test ask for its table to be measured again.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from assessor.errors import ConfigError
from assessor.lab import debarchive

SCANNER = ("trixie", ["openscap-scanner"])
CONTENT = ("forky", ["ssg-debian", "ssg-base"])
CONTENT_DIR = "usr/share/xml/scap/ssg/content"
MOUNTPOINTS = ("work", "proc", "tmp", "target")
VERSIONS = "assessor-versions"  # package=version lines of what the tree holds
TIMEOUT = 600

# In a private mount namespace (gone with the process): the tree read-only, a work
# directory for the content and results, this machine's proc (through which the host's
# live root is reached) and a fresh /tmp; then the tree as root, /work as cwd.
NAMESPACE_SCRIPT = (
    'set -e; tree=$1 work=$2; shift 2; '
    'mount --bind "$tree" "$tree"; mount -o remount,bind,ro "$tree"; '
    'mount --bind "$work" "$tree/work"; mount -t proc proc "$tree/proc"; '
    'mount -t tmpfs tmpfs "$tree/tmp"; exec unshare --root="$tree" --wd=/work "$@"'
)
# The same for a tree that is not running (or whose walks must not cross its mounts):
# that tree bind-mounted read-only at /target, probed there.
TREE_SCRIPT = (
    'set -e; tree=$1 work=$2 target=$3; shift 3; '
    'mount --bind "$tree" "$tree"; mount -o remount,bind,ro "$tree"; '
    'mount --bind "$work" "$tree/work"; mount -t proc proc "$tree/proc"; '
    'mount -t tmpfs tmpfs "$tree/tmp"; '
    'mount --bind "$target" "$tree/target"; mount -o remount,bind,ro "$tree/target"; '
    'mount -t proc proc "$tree/target/proc"; exec unshare --root="$tree" --wd=/work "$@"'
)


def cache_dir() -> Path:
    return Path(os.environ.get("ASSESSOR_CACHE", "/var/cache/assessor"))


def tree_path() -> Path:
    return cache_dir() / "oscap" / "tree"


def versions(tree: Path) -> dict[str, str]:
    lines = (tree / VERSIONS).read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def ensure(tree: Path | None = None) -> Path:
    """The scanner tree, built from the archive the first time (its .debs kept too)."""
    tree = tree or tree_path()
    if (tree / VERSIONS).is_file():
        return tree
    debs_root = cache_dir() / "debs" / "oscap"
    debs = [*debarchive.download(debs_root / SCANNER[0], SCANNER[0], SCANNER[1], True),
            *debarchive.download(debs_root / CONTENT[0], CONTENT[0], CONTENT[1])]
    tree.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="tree.", dir=tree.parent))
    try:
        lines = []
        for deb in debs:
            subprocess.run(["dpkg-deb", "-x", str(deb), str(staging)], check=True,
                           timeout=TIMEOUT)
            fields = subprocess.run(["dpkg-deb", "-f", str(deb), "Package", "Version"],
                                    check=True, capture_output=True, text=True, timeout=60)
            name, version = (line.split(": ", 1)[1] for line in fields.stdout.splitlines())
            lines.append(f"{name}={version}")
        for link in ("bin", "sbin", "lib", "lib64"):  # merged /usr, as base-files makes it
            if (staging / "usr" / link).is_dir():
                (staging / link).symlink_to(f"usr/{link}")
        for mountpoint in MOUNTPOINTS:
            (staging / mountpoint).mkdir(exist_ok=True)
        if not (staging / "usr/bin/oscap").is_file():
            raise ConfigError(f"{staging}: the unpacked packages have no usr/bin/oscap")
        (staging / VERSIONS).write_text("\n".join(sorted(lines)) + "\n")
        staging.chmod(0o755)
        if tree.exists():  # a half-built tree of an interrupted run (no versions file)
            shutil.rmtree(tree)
        staging.rename(tree)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return tree


def content(tree: Path, release: int) -> Path:
    """The tree's SSG data stream for Debian `release` (12, 13)."""
    path = tree / CONTENT_DIR / f"ssg-debian{release}-ds.xml"
    if not path.is_file():
        raise ConfigError(f"{path}: no SSG content for Debian {release} in the scanner tree")
    return path


def oscap(tree: Path, work: Path, *args: str, init_pid: int = 0, root: Path | None = None
          ) -> subprocess.CompletedProcess[str]:
    """`oscap ARGS` in the tree, on the running host whose init is `init_pid`, or on `root`.

    A running host: the probes read its live root (`/proc/PID/root`: its own /proc and
    /run) from its network namespace, so a net.* sysctl rule reads the host's runtime
    value, not this machine's; its mount table is not theirs to read (/proc/self is the
    scanner). `root`: that tree, read-only: SSG's filesystem walks find the mount points
    they walk only this way. Paths in ARGS are under /work.
    """
    if root is not None:
        command = ["sh", "-c", TREE_SCRIPT, "sh", str(tree), str(work), str(root)]
        probe_root = "/target"
    else:
        command = ["nsenter", f"--net=/proc/{init_pid}/ns/net", "sh", "-c", NAMESPACE_SCRIPT,
                   "sh", str(tree), str(work)]
        probe_root = f"/proc/{init_pid}/root"
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", *command, "/usr/bin/oscap", *args],
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "OSCAP_PROBE_ROOT": probe_root,
             "OSCAP_EVALUATION_TARGET": f"chroot://{probe_root}", "LC_ALL": "C.UTF-8"},
        capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )


def host_init(netns: str) -> int:
    """The pid of a lab host's init (systemd, pid 1 in its own pid namespace)."""
    pids = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True,
                          timeout=30, check=True).stdout.split()
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        nspid = next((line.split()[1:] for line in status.splitlines()
                      if line.startswith("NSpid:")), [])
        if nspid and nspid[-1] == "1" and len(nspid) > 1:
            return int(pid)
    raise ConfigError(f"network namespace {netns}: no host init (pid 1 of its own) in it")


if __name__ == "__main__":  # make scanner
    built = ensure()
    held = versions(built)
    print(f"{built}: openscap-scanner {held['openscap-scanner']}, "
          f"ssg-debian {held['ssg-debian']}", file=sys.stderr)
