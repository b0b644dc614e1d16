#!/usr/bin/python3
"""Ansible module: the dpkg and apt state advisories are judged against, read-only.

One run per host answers everything exposure and patching need: the installed binaries
built from the advisories' source packages (with their source versions), hold flags,
what the configured repositories offer (`apt-cache policy`/`show`), whether dpkg is
locked or half-way through a change, free disk, and after patching the processes still
mapping deleted libraries and /var/run/reboot-required. Standard library only; it runs on
the managed host's own Python 3 and never changes the host.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: assessor_apt_state
short_description: Read dpkg/apt state for the assessor's advisories (read-only)
description:
- 'One run per host answers everything exposure and patching need: the installed binaries
  built from the advisories'' source packages (with their source versions), hold flags,
  what the configured repositories offer (`apt-cache policy`/`show`), whether dpkg
  is locked or half-way through a change, free disk, and after patching the processes
  still mapping deleted libraries and /var/run/reboot-required. Standard library only;
  it runs on the managed host''s own Python 3 and never changes the host.'
options:
  sources:
    description: Source package names the advisories name; their installed binaries
      are returned.
    type: list
    elements: str
    default: []
  binaries:
    description: Extra binary package names to report.
    type: list
    elements: str
    default: []
  inventory:
    description: Also return every installed package with its version (before/after
      evidence).
    type: bool
    default: false
  security:
    description: Also list upgrades apt would take from a security suite.
    type: bool
    default: false
  processes:
    description: Also list processes that still map deleted libraries.
    type: bool
    default: false
  min_free_mb:
    description: Free space below this in /var/cache/apt/archives or / is a pre-check
      error.
    type: int
    default: 200
  refresh_rc:
    description: Exit code of the `apt-get update` the role ran just before (124 when its
      timeout ended it); omitted when no refresh was asked for.
    type: int
  refresh_error:
    description: The end of that refresh's error output, for the findings.
    type: str
    default: ''
  refresh_timeout:
    description: The refresh's time limit in seconds, for the findings.
    type: int
    default: 0
"""

RETURN = r"""
state:
  description: Installed packages of the sources and binaries asked for, apt's candidates, holds,
    dpkg locks, free disk, facts, and on request inventory, security upgrades, processes on deleted
    libraries and reboot-required.
  returned: always
  type: dict
"""

import errno
import fcntl
import os
import re
import socket
import subprocess

from ansible.module_utils.assessor_apt_policy import parse_policy
from ansible.module_utils.assessor_apt_processes import deleted_library_users
from ansible.module_utils.assessor_dpkg import STATUS_FILE, source_of, stanzas, status_words
from ansible.module_utils.assessor_osrelease import read_os_release
from ansible.module_utils.basic import AnsibleModule

LOCKS = ("/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock")
UPDATES_DIR = "/var/lib/dpkg/updates"
REBOOT_FILE = "/var/run/reboot-required"
COMMAND_TIMEOUT = 120
SETTLED = ("installed", "config-files", "not-installed")
APT_ENV = {"LANG": "C", "LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"}


def command(args):
    env = dict(os.environ, **APT_ENV)
    proc = subprocess.run(
        args, capture_output=True, env=env,
        timeout=COMMAND_TIMEOUT, check=False,
    )
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode(
        "utf-8", "replace")


def read_status():
    with open(STATUS_FILE, "rb") as handle:
        return status_of(handle.read().decode("utf-8", "replace"))


def status_of(status_text):
    """Per package (`name:arch` for a second architecture) what dpkg wants and has."""
    packages = {}
    for fields in stanzas(status_text):
        want, eflag, state = status_words(fields.get("Status", ""))
        source, source_version = source_of(fields)
        entry = {
            "version": fields.get("Version", ""),
            "arch": fields.get("Architecture", ""),
            "source": source,
            "source_version": source_version,
            "want": want,
            "eflag": eflag,
            "state": state,
            "hold": want == "hold",
        }
        name = fields["Package"]
        arch = entry["arch"]
        key = name if arch in ("", "all") or name not in packages else "%s:%s" % (name, arch)
        packages[key] = entry
    return packages


def lock_state():
    """Which dpkg locks another process holds, tried the way apt does and released at once."""
    held = []
    for path in LOCKS:
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.lockf(fd, fcntl.LOCK_UN)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EAGAIN):
                held.append(path)
        finally:
            os.close(fd)
    return held


def disk_free():
    free = {}
    for path in ("/var/cache/apt/archives", "/"):
        try:
            stats = os.statvfs(path)
        except OSError:
            continue
        free[path] = stats.f_bavail * stats.f_frsize // (1024 * 1024)
    return free


def available_sources(binaries):
    """Source name and version of every version apt knows of these binaries."""
    if not binaries:
        return {}
    code, out, _ = command(["apt-cache", "show", "--", *binaries])
    known = {}
    if code not in (0, 100):
        return known
    for fields in stanzas(out):
        source, source_version = source_of(fields)
        known.setdefault(fields["Package"], {})[fields.get("Version", "")] = {
            "source": source, "source_version": source_version,
        }
    return known


def security_upgrades():
    """Upgrades `apt-get upgrade` would take from a *-security suite (simulated, no lock)."""
    code, out, err = command(
        ["apt-get", "-s", "-o", "Debug::NoLocking=1", "-o", "APT::Get::Show-Versions=1",
         "upgrade"])
    if code != 0:
        return [], (err.strip().splitlines() or ["apt-get -s upgrade failed"])[-1]
    upgrades = []
    for line in out.splitlines():
        match = re.match(r"^Inst (\S+) (?:\[(\S+)\] )?\((\S+) (.*?) \[[^\]]+\]\)", line)
        if match and "-security" in match.group(4):
            upgrades.append({
                "package": match.group(1), "installed": match.group(2) or "",
                "version": match.group(3), "origin": match.group(4),
            })
    return upgrades, ""


def reboot_state():
    required = os.path.exists(REBOOT_FILE)
    packages = []
    if required:
        try:
            with open(REBOOT_FILE + ".pkgs") as handle:
                packages = sorted({line.strip() for line in handle if line.strip()})
        except OSError:
            pass
    return {"required": required, "packages": packages}


def os_release():
    fields = read_os_release()
    return {
        "hostname": socket.gethostname(),
        "os": fields.get("PRETTY_NAME", ""),
        "os_id": fields.get("ID", ""),
        "os_version_id": fields.get("VERSION_ID", ""),
        "os_codename": fields.get("VERSION_CODENAME", ""),
    }


def prechecks(packages, locks, free, min_free_mb):
    errors = []
    for path in locks:
        errors.append("dpkg lock %s is held by another process" % path)
    pending = sorted(
        "%s (%s)" % (name, p["state"] if p["state"] not in SETTLED else p["eflag"])
        for name, p in packages.items()
        if p["state"] not in SETTLED or p["eflag"] not in ("ok", "")
    )
    if pending:
        errors.append("dpkg has unfinished changes: %s; run `dpkg --configure -a`"
                      % ", ".join(pending))
    try:
        journal = os.listdir(UPDATES_DIR)
    except OSError:
        journal = []
    if journal:
        errors.append("dpkg journal %s is not empty; run `dpkg --configure -a`" % UPDATES_DIR)
    for path, mb in sorted(free.items()):
        if mb < min_free_mb:
            errors.append("only %d MiB free on %s (need %d MiB)" % (mb, path, min_free_mb))
    return errors, pending


LISTS_DIR = "/var/lib/apt/lists"
TIMED_OUT = 124  # timeout(1)'s exit code when it ended the command


def lists_state(rc, error, timeout):
    """How fresh the package lists the candidates come from are, and why if not refreshed."""
    newest = None
    try:
        for name in os.listdir(LISTS_DIR):
            if name.endswith(("Release", "Packages", "Packages.lz4", "Packages.xz")):
                mtime = os.stat(os.path.join(LISTS_DIR, name)).st_mtime
                newest = mtime if newest is None else max(newest, mtime)
    except OSError:
        pass
    if rc is None:
        refresh = "not refreshed: this run did not ask to (--no-update-cache, --check)"
    elif rc == 0:
        refresh = "refreshed"
    elif rc == TIMED_OUT:
        refresh = "not refreshed: apt-get update did not finish within %d s" % timeout
    else:
        last = [line for line in error.splitlines() if line.strip()][-1:] or [""]
        refresh = "not refreshed: apt-get update failed (exit %d) %s" % (rc, last[0][:200])
    return {"updated": newest, "refresh": refresh, "refreshed": rc == 0}


def main():
    module = AnsibleModule(
        argument_spec={
            "sources": {"type": "list", "elements": "str", "default": []},
            "binaries": {"type": "list", "elements": "str", "default": []},
            "inventory": {"type": "bool", "default": False},
            "security": {"type": "bool", "default": False},
            "processes": {"type": "bool", "default": False},
            "min_free_mb": {"type": "int", "default": 200},
            "refresh_rc": {"type": "int"},
            "refresh_error": {"type": "str", "default": ""},
            "refresh_timeout": {"type": "int", "default": 0},
        },
        supports_check_mode=True,
    )
    params = module.params
    packages = read_status()
    wanted_sources = set(params["sources"])
    wanted_binaries = set(params["binaries"])
    relevant = {
        name: entry for name, entry in packages.items()
        if entry["state"] != "not-installed"
        and (entry["source"] in wanted_sources or name.split(":")[0] in wanted_binaries)
    }
    binaries = sorted({name.split(":")[0] for name in relevant})
    policy = {}
    if binaries:
        code, out, err = command(["apt-cache", "policy", "--", *binaries])
        if code != 0:
            module.fail_json(msg="apt-cache policy failed: %s" % err.strip())
        policy = parse_policy(out)
        known = available_sources(binaries)
        for name, entry in policy.items():
            for version in entry["versions"]:
                version.update(known.get(name, {}).get(version["version"], {}))
    locks = lock_state()
    free = disk_free()
    errors, pending = prechecks(packages, locks, free, params["min_free_mb"])
    result = {
        "facts": os_release(),
        "packages": relevant,
        "policy": policy,
        "held": sorted(n for n, p in packages.items() if p["hold"] and p["state"] == "installed"),
        "dpkg": {"locks_held": locks, "pending": pending},
        "disk_free_mb": free,
        "precheck_errors": errors,
        "reboot": reboot_state(),
        "lists": lists_state(params["refresh_rc"], params["refresh_error"],
                             params["refresh_timeout"]),
    }
    if params["inventory"]:
        result["inventory"] = {
            name: entry["version"] for name, entry in sorted(packages.items())
            if entry["state"] not in ("not-installed", "config-files")
        }
    if params["security"]:
        result["security_upgrades"], result["security_error"] = security_upgrades()
    if params["processes"]:
        result["deleted_library_users"] = deleted_library_users()
    module.exit_json(changed=False, state=result)


if __name__ == "__main__":
    main()
