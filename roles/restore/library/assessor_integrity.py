#!/usr/bin/python3
"""Ansible module: package integrity from dpkg's md5sums, and reinstalling what fails it.

`verify` runs `dpkg --verify` and names, for every file that fails its md5sum (or is
missing), the owning package and its installed version; configuration files (marked `c`)
are listed apart, never reinstalled: hardening changes them on purpose. `reinstall` runs
`apt-get install --reinstall PKG=INSTALLED_VERSION` for the packages given, only those a
configured repository still offers at that exact version (checked with `apt-cache show`),
keeping changed configuration files (--force-confold); the caller verifies again. Check
mode reports what would be reinstalled and changes nothing. Commands are argv lists, never a
shell; every command is bounded in time. Standard library only, Python 3.9-compatible.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: assessor_integrity
short_description: Verify packages against dpkg's md5sums and reinstall tampered ones
description:
- Run C(dpkg --verify), map each failing file to its package and installed version, and
  with I(action=reinstall) reinstall those packages at their installed version from the
  host's repositories. Supports check mode (nothing changes).
options:
  action:
    description: C(verify) only reads; C(reinstall) reinstalls the given packages.
    type: str
    choices: [verify, reinstall]
    default: verify
  packages:
    description: For reinstall, package names (as dpkg names them) to their installed
      versions; a package whose installed version differs now is left alone.
    type: dict
    default: {}
  update_cache:
    description: Run C(apt-get update) before reinstalling.
    type: bool
    default: true
  timeout:
    description: Seconds each command may take.
    type: int
    default: 600
"""

RETURN = r"""
integrity:
  description: For verify, the files failing dpkg's md5sums with their package and version
    (failing), changed configuration files (conffiles), failing files no package owns
    (unowned), the packages to reinstall (packages) and those no repository offers at that
    version (unavailable); for reinstall, what was (or would be) reinstalled, what no
    repository offers (unavailable), what changed version meanwhile (skipped) and apt's
    output tail.
  returned: always
  type: dict
"""

import os
import re
import subprocess

from ansible.module_utils.basic import AnsibleModule

VERIFY_LINE = re.compile(r"^(\S+)\s+(?:(c)\s+)?(/.*)$")
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C", "LC_ALL": "C",
       "DEBIAN_FRONTEND": "noninteractive"}


def run(argv, timeout):
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              env=ENV, stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        return 124, "", "%s: timed out after %ss" % (argv[0], timeout)
    except OSError as exc:
        return 127, "", "%s: %s" % (argv[0], exc)
    return proc.returncode, proc.stdout, proc.stderr


def parse_verify(text):
    """dpkg --verify lines -> (failing paths, changed conffiles)."""
    failing, conffiles = [], []
    for line in text.splitlines():
        match = VERIFY_LINE.match(line)
        if not match:
            continue
        (conffiles if match.group(2) else failing).append(match.group(3))
    return failing, conffiles


def owners(paths, timeout):
    """path -> owning package names, from one `dpkg-query -S` call."""
    found = {}
    if not paths:
        return found
    _, out, _ = run(["dpkg-query", "-S", "--", *paths], timeout)
    for line in out.splitlines():
        if line.startswith("diversion by "):
            continue
        names, sep, path = line.rpartition(": ")
        if sep and path in paths:
            found[path] = [n.strip() for n in names.split(",") if n.strip()]
    return found


def versions(packages, timeout):
    if not packages:
        return {}
    _, out, _ = run(["dpkg-query", "-W", "-f", "${binary:Package}\t${Package}\t${Version}\n",
                     "--", *sorted(packages)], timeout)
    found = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            found[parts[0]] = parts[2]
            found.setdefault(parts[1], parts[2])
    return found


def verify(timeout):
    rc, out, err = run(["dpkg", "--verify"], timeout)
    failing_paths, conffiles = parse_verify(out)
    owned = owners(failing_paths, timeout)
    names = {n for pkgs in owned.values() for n in pkgs}
    installed = versions(names, timeout)
    failing, packages = [], {}
    for path in failing_paths:
        for name in owned.get(path, []):
            version = installed.get(name, "")
            failing.append({"path": path, "package": name, "version": version})
            if version:
                packages[name] = version
    return {
        "failing": failing, "conffiles": conffiles,
        "unowned": [p for p in failing_paths if p not in owned],
        "packages": packages,
        "unavailable": ["%s=%s" % item for item in sorted(packages.items())
                        if not offered(item[0], item[1], timeout)],
        "rc": rc, "stderr": err[-2000:],
    }


def offered(name, version, timeout):
    """True when a configured repository has this exact version (not only dpkg's status)."""
    rc, out, _ = run(["apt-cache", "show", "%s=%s" % (name, version)], timeout)
    return rc == 0 and any(line.startswith("Filename: ") for line in out.splitlines())


def reinstall(module, wanted, update_cache, timeout):
    """Reinstall `wanted` (name -> version) where the installed version is still that one."""
    installed = versions(set(wanted), timeout)
    result = {"reinstalled": [], "unavailable": [], "skipped": []}
    todo = {}
    for name, version in sorted(wanted.items()):
        if installed.get(name) == version:
            todo[name] = version
        else:
            result["skipped"].append("%s=%s" % (name, version))
    if todo and update_cache and not module.check_mode:
        rc, _, err = run(["apt-get", "update", "-q", "--error-on=any"], timeout)
        if rc != 0:
            module.fail_json(msg="apt-get update failed: %s" % err[-2000:], integrity=result)
    for name, version in list(todo.items()):
        if not offered(name, version, timeout):
            result["unavailable"].append("%s=%s" % (name, version))
            del todo[name]
    specs = ["%s=%s" % item for item in sorted(todo.items())]
    if specs and not module.check_mode:
        rc, out, err = run(["apt-get", "install", "--reinstall", "-y", "-q",
                            "--no-install-recommends", "-o", "Dpkg::Options::=--force-confold",
                            "-o", "Dpkg::Options::=--force-confdef", "--", *specs], timeout)
        result["output"] = (out + err)[-4000:]
        if rc != 0:
            module.fail_json(msg="apt-get install --reinstall failed (rc %s): %s"
                             % (rc, err[-2000:]), integrity=result)
    result["reinstalled"] = specs
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            "action": {"type": "str", "choices": ["verify", "reinstall"], "default": "verify"},
            "packages": {"type": "dict", "default": {}},
            "update_cache": {"type": "bool", "default": True},
            "timeout": {"type": "int", "default": 600},
        },
        supports_check_mode=True,
    )
    os.umask(0o022)
    timeout = max(1, module.params["timeout"])
    if module.params["action"] == "verify":
        module.exit_json(changed=False, integrity=verify(timeout))
    wanted = {str(k): str(v) for k, v in (module.params["packages"] or {}).items()}
    result = reinstall(module, wanted, module.params["update_cache"], timeout)
    module.exit_json(changed=bool(result["reinstalled"]), integrity=result)


if __name__ == "__main__":
    main()
