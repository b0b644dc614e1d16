"""A small signed Debian repository for the lab (its tests and its advisory demo), and the
hosts' side of it.

Real packages built with dpkg-deb, indexed with apt-ftparchive, signed with a throwaway
gpg key, served to lab hosts as `file:/srv/repo` inside their root (an internal mirror,
which is what offline fleets use). The suite is `bookworm-security`, so apt reports the
origin the way it does for Debian's security archive.

Source assessor-demo 1.0-1 (vulnerable) builds assessor-demo 1.0-1 and the binNMU'd
library libassessor-demo1 1.0-1+b1 (`Source: assessor-demo (1.0-1)`: binary and source
versions differ); 1.0-1+deb12u1 fixes both and, like libc6, asks for a reboot.
On trixie the repository is the same, its suite `trixie-security`, and a host gets it as a
deb822 `.sources` file (the format trixie writes) instead of a sources.list line.
assessor-extra 1:2.0~rc1-1 -> 1:2.0-1 (epoch, tilde) is a security upgrade no advisory
names: only `patch --all-security` takes it. python3-apt and its two dependencies come
from Debian (apt-get download, cached per release) because Ansible's apt module needs them:
for a release other than this machine's, from that release's archive through a private apt
state, so the machine's own apt configuration is never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from assessor.errors import ConfigError
from assessor.lab import debarchive

TIMEOUT = 180
LIBRARY = "/usr/lib/assessor-demo/libassessor-demo.so.1"
LIBRARY_PAYLOAD = Path("/lib/x86_64-linux-gnu/libBrokenLocale.so.1")  # any small real ELF .so
FROM_DEBIAN = ("python3-apt", "python-apt-common", "distro-info-data")
KEYRING = "/etc/apt/keyrings/assessor-lab.gpg"
DEB822_RELEASES = ("trixie",)  # releases whose hosts are given the repository as *.sources
REBOOT_POSTINST = """#!/bin/sh
set -e
# like libc6 and the kernel: a running system keeps the old code until it reboots
if [ "$1" = configure ]; then
  touch /var/run/reboot-required
  echo assessor-demo >> /var/run/reboot-required.pkgs
fi
"""


@dataclass(frozen=True)
class Deb:
    name: str
    version: str
    source: str = ""
    depends: str = ""
    postinst: str = ""
    library: bool = False
    files: dict[str, str] = field(default_factory=dict)


# a daemon that maps the library, as a real service would: patch must restart it; and a
# program in /usr/bin, the kind of file an intruder replaces (restore reinstalls it)
DEMO_PROGRAM = "usr/bin/assessor-demo"
DAEMON_UNIT = {DEMO_PROGRAM: "#!/bin/sh\n# assessor-demo: prints its version\n"
               "cat /usr/share/doc/assessor-demo/VERSION\n",
               "lib/systemd/system/assessor-demo.service": f"""[Unit]
Description=assessor demo daemon, mapping libassessor-demo
[Service]
Environment=LD_PRELOAD={LIBRARY}
ExecStart=/bin/sleep infinity
[Install]
WantedBy=multi-user.target
"""}

PACKAGES = (
    Deb("assessor-demo", "1.0-1", depends="libassessor-demo1 (>= 1.0-1)", files=DAEMON_UNIT),
    Deb("libassessor-demo1", "1.0-1+b1", source="assessor-demo (1.0-1)", library=True),
    Deb("assessor-demo", "1.0-1+deb12u1", depends="libassessor-demo1 (>= 1.0-1+deb12u1)",
        postinst=REBOOT_POSTINST, files=DAEMON_UNIT),
    Deb("libassessor-demo1", "1.0-1+deb12u1", source="assessor-demo", library=True),
    Deb("assessor-extra", "1:2.0~rc1-1"),
    Deb("assessor-extra", "1:2.0-1"),
)
VULNERABLE = ("assessor-demo=1.0-1", "libassessor-demo1=1.0-1+b1", "assessor-extra=1:2.0~rc1-1")


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    if proc.returncode != 0:
        raise ConfigError(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc.stdout


def build_deb(deb: Deb, work: Path) -> Path:
    root = work / f"{deb.name}_{deb.version.replace(':', '%3a')}"
    (root / "DEBIAN").mkdir(parents=True)
    control = [
        f"Package: {deb.name}", f"Version: {deb.version}", "Architecture: all",
        "Maintainer: assessor tests <tests@assessor.invalid>", "Section: misc",
        "Priority: optional", f"Description: {deb.name} for assessor's patch tests",
    ]
    if deb.source:
        control.insert(2, f"Source: {deb.source}")
    if deb.depends:
        control.append(f"Depends: {deb.depends}")
    (root / "DEBIAN/control").write_text("\n".join(control) + "\n")
    if deb.postinst:
        (root / "DEBIAN/postinst").write_text(deb.postinst)
        (root / "DEBIAN/postinst").chmod(0o755)
    doc = root / "usr/share/doc" / deb.name / "VERSION"
    doc.parent.mkdir(parents=True)
    doc.write_text(deb.version + "\n")
    for path, content in deb.files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(content)
        (root / path).chmod(0o755 if path.startswith("usr/bin/") else 0o644)
    if deb.library:
        target = root / LIBRARY.lstrip("/")
        target.parent.mkdir(parents=True)
        shutil.copyfile(LIBRARY_PAYLOAD, target)
    out = work / f"{root.name}.deb"
    run("dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(out))
    return out


def machine_release() -> str:
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("VERSION_CODENAME="):
            return line.partition("=")[2].strip().strip('"')
    return ""


def debian_debs(cache: Path, release: str | None = None) -> list[Path]:
    """python3-apt and its dependencies from Debian `release`, downloaded once and kept.

    This machine's own release comes through its apt; another one through a private apt
    state (sources, lists, cache under `cache`), as `apt-get -o Dir::...` allows.
    """
    cache.mkdir(parents=True, exist_ok=True)
    missing = [p for p in FROM_DEBIAN if not list(cache.glob(f"{p}_*.deb"))]
    if missing and release in (None, machine_release()):
        run("apt-get", "download", *missing, cwd=cache)
    elif missing:
        private = debarchive.private_state(cache / "apt-state", str(release))
        run("apt-get", *private, "update", "-q")
        run("apt-get", *private, "download", *missing, cwd=cache)
    return sorted(p for name in FROM_DEBIAN for p in cache.glob(f"{name}_*.deb"))


def own_debs_dir(root: Path) -> Path:
    """Where the .debs of a lab root's installed packages are kept (one dir per root)."""
    cache = Path(os.environ.get("ASSESSOR_CACHE", "/var/cache/assessor")) / "debs"
    return cache / "roots" / root.name


def fetch_own_debs(root: Path, release: str) -> Path:
    """Every package installed in a lab root, as a .deb at its installed version, downloaded
    from Debian's archive once when the root is built (never at test time) and kept, so
    that the lab's repository can offer a host its own packages (restore reinstalls a
    tampered one from it: lab hosts reach no mirror). Packages the archive no longer has
    at that version are listed in missing.txt; the rest is still kept."""
    dest = own_debs_dir(root)
    if (dest / ".complete").exists():
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    wanted = {f"{name}={version}" for name, version in installed(root).items()}
    have = {f"{d.name.split('_')[0]}={d.name.split('_')[1].replace('%3a', ':')}"
            for d in dest.glob("*.deb")}
    todo = sorted(wanted - have)
    missing: list[str] = []
    if todo:
        options = debarchive.private_state(dest / "apt-state", release)
        run("apt-get", *options, "update", "-q")
        try:
            run("apt-get", *options, "download", *todo, cwd=dest)
        except ConfigError:  # one version gone from the archive: the others one by one
            for spec in todo:
                try:
                    run("apt-get", *options, "download", spec, cwd=dest)
                except ConfigError:
                    missing.append(spec)
        shutil.rmtree(dest / "apt-state", ignore_errors=True)
    (dest / "missing.txt").write_text("".join(f"{m}\n" for m in missing))
    (dest / ".complete").write_text(f"{len(wanted) - len(missing)} of {len(wanted)}\n")
    return dest


@dataclass(frozen=True)
class Repo:
    path: Path
    key: Path


def build_repo(dest: Path, release: str = "bookworm", own: tuple[Path, ...] = ()) -> Repo:
    """Packages, Release and a signed InRelease in `dest` (a flat repository) for `release`;
    with `own`, also the .debs of those directories (fetch_own_debs: the hosts' own
    packages at their installed versions)."""
    dest.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="asr-debs-") as work:
        for deb in PACKAGES:
            shutil.copy(build_deb(deb, Path(work)), dest)
    for directory in own:
        for deb_file in directory.glob("*.deb"):
            if not (dest / deb_file.name).exists():
                try:
                    os.link(deb_file, dest / deb_file.name)
                except OSError:
                    shutil.copy(deb_file, dest)
    cache = Path(os.environ.get("ASSESSOR_CACHE", "/var/cache/assessor")) / "debs"
    if release != machine_release():
        cache = cache / release
    for deb_file in debian_debs(cache, release):
        shutil.copy(deb_file, dest)
    (dest / "Packages").write_text(run("apt-ftparchive", "packages", ".", cwd=dest))
    release = run(
        "apt-ftparchive",
        "-o", "APT::FTPArchive::Release::Origin=assessor-lab",
        "-o", "APT::FTPArchive::Release::Label=Debian-Security",
        "-o", f"APT::FTPArchive::Release::Suite={release}-security",
        "-o", f"APT::FTPArchive::Release::Codename={release}-security",
        "release", ".", cwd=dest,
    )
    (dest / "Release").write_text(release)
    return Repo(dest, sign(dest))


def sign(repo: Path) -> Path:
    home = Path(tempfile.mkdtemp(prefix="asr-gpg-"))
    home.chmod(0o700)
    env = dict(os.environ, GNUPGHOME=str(home))
    try:
        run("gpg", "--batch", "--passphrase", "", "--quick-gen-key",
            "assessor lab repository <lab@assessor.invalid>", "ed25519", "sign", "never",
            env=env)
        key = repo.parent / "assessor-lab.gpg"
        run("gpg", "--batch", "--yes", "--output", str(key), "--export", env=env)
        run("gpg", "--batch", "--yes", "--clearsign", "--output", str(repo / "InRelease"),
            str(repo / "Release"), env=env)
    finally:
        subprocess.run(["gpgconf", "--kill", "all"], env=env, capture_output=True, timeout=30,
                       check=False)
        shutil.rmtree(home, ignore_errors=True)
    return key


def in_root(root: Path, path: str) -> Path:
    """`path` of a host, under its root on this machine, refusing any symlink on the way.

    An absolute link in a host's root resolves to this machine's own files.
    """
    target = root / path.lstrip("/")
    for part in [target, *target.parents]:
        if part == root:
            break
        if part.is_symlink():
            raise ConfigError(f"{part} is a symlink: not writing through it")
    return target


def serve_to_host(root: Path, repo: Repo, release: str = "bookworm") -> None:
    """The repository inside a host's root, as its only configured source.

    A deb822 `.sources` file on the releases that write them, a sources.list line before.
    """
    shutil.copytree(repo.path, in_root(root, "srv/repo"), dirs_exist_ok=True)
    keyring = in_root(root, KEYRING)
    keyring.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(repo.key, keyring)
    keyring.chmod(0o644)
    if release in DEB822_RELEASES:
        in_root(root, "etc/apt/sources.list").write_text(
            "# the lab's repository is in sources.list.d/assessor-lab.sources\n")
        in_root(root, "etc/apt/sources.list.d/assessor-lab.sources").write_text(
            f"Types: deb\nURIs: file:/srv/repo\nSuites: ./\nSigned-By: {KEYRING}\n")
    else:
        in_root(root, "etc/apt/sources.list").write_text(
            f"deb [signed-by={KEYRING}] file:/srv/repo ./\n"
        )


def chroot_apt(root: Path, *args: str) -> str:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive",
           "LANG": "C"}
    return run("chroot", str(root), *args, env=env)


def install_vulnerable(root: Path, hold: bool = False) -> None:
    """What the host had before the advisory: python3-apt and the vulnerable versions."""
    chroot_apt(root, "apt-get", "update", "-q")
    chroot_apt(root, "apt-get", "install", "-y", "-q", "--no-install-recommends",
               "python3-apt", *VULNERABLE)
    if hold:
        chroot_apt(root, "apt-mark", "hold", "assessor-demo", "libassessor-demo1")


def break_dpkg(root: Path, package: str = "assessor-extra") -> None:
    """Leave `package` half-configured, as an interrupted dpkg run does."""
    status = root / "var/lib/dpkg/status"
    text = status.read_text()
    marker = f"Package: {package}\nStatus: install ok installed\n"
    assert marker in text, f"{package} is not installed in {root}"
    status.write_text(text.replace(marker, f"Package: {package}\nStatus: install ok "
                                           "half-configured\n"))


def installed(root: Path) -> dict[str, str]:
    """Installed package versions, read from the host's dpkg status file."""
    versions = {}
    for stanza in (root / "var/lib/dpkg/status").read_text().split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in stanza.splitlines() if ": " in line and line[0] != " "
        )
        if "Package" in fields and fields.get("Status", "").endswith(" installed"):
            versions[fields["Package"]] = fields.get("Version", "")
    return versions


def serve_demo(root_of_host: dict[str, Path], work: Path, own: tuple[Path, ...] = ()) -> Repo:
    """The advisory demo: every host gets the repository and the vulnerable assessor-demo.

    What `make demo-advisory` shows a newcomer: exposure finds the hosts exposed to the
    bulletin in inventories/example/, patch --check says what it would do, patch fixes it
    from this repository, and exposure is clean again.
    """
    repo = build_repo(work, own=own)
    for root in root_of_host.values():
        serve_to_host(root, repo)
        install_vulnerable(root)
    return repo
