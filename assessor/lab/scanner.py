"""OpenSCAP newer than this machine's: a tree of Debian packages to scan lab hosts from.

bookworm ships oscap 1.3.7 with SSG 0.1.65, whose newest content is Debian 11's; trixie's
ssg-debian (0.1.76) has Debian 12's but not 13's. So the scanner is trixie's (openscap
1.4.2, which reads /var/lib/dpkg/status itself instead of having apt build a cache in the
scanned tree) and the content forky's ssg-debian 0.1.82, pinned (CONTENT). Neither runs
on bookworm's libc, so their .debs and every library they need (apt's dependency
closure) are unpacked with `dpkg-deb -x` into one tree. A running host is scanned from
inside its namespaces by the tree's own loader (`live`); a tree at rest, chrooted into
the scanner tree with that tree read-only at /target. Fetched once, at build time (`make
scanner`), and kept under /var/cache/assessor (ASSESSOR_CACHE): a test never reaches the
archive when the tree is there. When forky's pool drops the pinned version, the kept
.debs still build the tree; without them `ensure` says the pin must move, and moving it
means measuring the agreement tables again.
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
# Pinned: the committed disagreement tables were measured with exactly this content.
# Trixie's own ssg-debian (0.1.76) has no Debian 13 data stream, so it comes from forky,
# which moves on and whose pool drops old versions: the .debs kept in the cache decide.
CONTENT = ("forky", {"ssg-debian": "0.1.82-1", "ssg-base": "0.1.82-1"})
CONTENT_DIR = "usr/share/xml/scap/ssg/content"
MOUNTPOINTS = ("work", "proc", "tmp", "target")
VERSIONS = "assessor-versions"  # package=version lines of what the tree holds
TIMEOUT = 600

# A running host's scan runs the tree's oscap by its own loader, inside the host's mount,
# pid and network namespaces, so it sees what a scan on the host sees: its mount table at
# /proc/self/mounts, its system bus, its sysctl values. The tree and the work directory
# stay on this machine and are reached through descriptors opened before entering.
LOADER = "lib64/ld-linux-x86-64.so.2"
LIBRARIES = "usr/lib/x86_64-linux-gnu"
OSCAP_PATHS = {"OSCAP_SCHEMA_PATH": "usr/share/openscap/schemas",
               "OSCAP_XSLT_PATH": "usr/share/openscap/xsl",
               "OSCAP_CPE_PATH": "usr/share/openscap/cpe"}
DEFAULT_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
# No check-engine plugins: SCE would write its scripts into the host's /tmp (oscap's
# temp dir is /tmp/oscap.XXXXXX, fixed at build) and run them with the host's shell, so
# its rules stay unchecked, as they were from the tree. An empty directory of the tree.
NO_PLUGINS = "tmp"
# A tree that is not running (or whose walks must not cross its mounts): in a private
# mount namespace (gone with the process) the scanner tree read-only as root, a work
# directory, this machine's proc, a fresh /tmp, and that tree read-only at /target.
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


def pinned(tree: Path) -> bool:
    """Whether the tree is built and holds exactly the pinned content."""
    if not (tree / VERSIONS).is_file():
        return False
    held = versions(tree)
    return all(held.get(name) == version for name, version in CONTENT[1].items())


def ensure(tree: Path | None = None) -> Path:
    """The scanner tree, built the first time (and again when it holds other content).

    The content's .debs are the pinned versions kept in the cache (debs/oscap/forky) or,
    the first time, downloaded from forky; once forky's pool has dropped them and no
    cache keeps them, this fails saying so, and the pin moves with a new measurement.
    """
    tree = tree or tree_path()
    if pinned(tree):
        return tree
    debs_root = cache_dir() / "debs" / "oscap"
    debs = [*debarchive.download(debs_root / SCANNER[0], SCANNER[0], SCANNER[1], True),
            *debarchive.download_pinned(debs_root / CONTENT[0], CONTENT[0], CONTENT[1])]
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
        if tree.exists():  # half-built (an interrupted run) or holding other content
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


def oscap(tree: Path, work: Path, *args: str, init_pid: int = 0, root: Path | None = None,
          path: str = DEFAULT_PATH) -> subprocess.CompletedProcess[str]:
    """`oscap ARGS` from the tree, on the running host whose init is `init_pid`, or on `root`.

    A running host: oscap runs in its namespaces (`live`) with `path` as its PATH (SSG
    judges root's PATH from the scanning process's own: give it root's login PATH, as an
    admin's `sudo -i oscap` would have). `root`: that tree, read-only: SSG's filesystem
    walks find the mount points they walk only this way. Paths in ARGS are under /work.
    """
    if root is None:
        return live(tree, work, init_pid, args, path)
    command = ["sh", "-c", TREE_SCRIPT, "sh", str(tree), str(work), str(root)]
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", *command, "/usr/bin/oscap", *args],
        env={"PATH": path, "OSCAP_PROBE_ROOT": "/target",
             "OSCAP_EVALUATION_TARGET": "chroot:///target", "LC_ALL": "C.UTF-8"},
        capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )


def live(tree: Path, work: Path, init_pid: int, args: tuple[str, ...], path: str
         ) -> subprocess.CompletedProcess[str]:
    """oscap as if run on the host: entering its mount namespace makes the host's root
    oscap's root, so the probes read the host itself (no probe root) and nothing of
    this machine's is visible but the two descriptors. Nothing is mounted, so the host's
    mount table is what the partition probe reads; with SCE off and the working
    directory (nsenter opens it before entering), TMPDIR, HOME and --results in the
    work directory, nothing is written to the host."""
    tree_fd = os.open(tree, os.O_PATH | os.O_DIRECTORY)
    work_fd = os.open(work, os.O_PATH | os.O_DIRECTORY)
    try:
        at, out = f"/proc/self/fd/{tree_fd}", f"/proc/self/fd/{work_fd}"
        env = {"PATH": path, "LC_ALL": "C.UTF-8", "TMPDIR": out, "HOME": out,
               "OSCAP_CHECK_ENGINE_PLUGIN_DIR": f"{at}/{NO_PLUGINS}",
               **{name: f"{at}/{sub}" for name, sub in OSCAP_PATHS.items()}}
        return subprocess.run(
            ["nsenter", f"--target={init_pid}", "--mount", "--pid", "--net", f"--wd={work}", "--",
             f"{at}/{LOADER}", "--library-path", f"{at}/{LIBRARIES}", f"{at}/usr/bin/oscap",
             *(arg.replace("/work/", f"{out}/") for arg in args)],
            env=env, pass_fds=(tree_fd, work_fd), capture_output=True, text=True,
            timeout=TIMEOUT, check=False)
    finally:
        os.close(tree_fd)
        os.close(work_fd)


if __name__ == "__main__":  # make scanner
    built = ensure()
    held = versions(built)
    print(f"{built}: openscap-scanner {held['openscap-scanner']}, "
          f"ssg-debian {held['ssg-debian']}", file=sys.stderr)
