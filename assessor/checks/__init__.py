"""Check kinds: pure functions from a host snapshot to an Observation.

The registry and comparison logic live in `core`; each area registers its kinds in its
own module, imported here so that `KINDS` is complete once `assessor.checks` is imported.
"""

import assessor.checks.audit  # audit rules, grub cmdline
import assessor.checks.config  # config files, paths
import assessor.checks.coverage  # monitoring and anti-malware coverage
import assessor.checks.dotfiles  # users' dot files
import assessor.checks.filesystem  # mounts and mount options
import assessor.checks.firewall  # nftables, firewall utilities
import assessor.checks.pam  # PAM stacks
import assessor.checks.shellenv  # login shells' environment (TMOUT)
import assessor.checks.sudoers  # sudoers Defaults
import assessor.checks.timesync  # time synchronisation daemons
import assessor.checks.units  # systemd units
import assessor.checks.walks  # noqa: F401  (filesystem walk findings)
from assessor.checks import accounts, files, kernel, manual, packages, sshd
from assessor.checks.accounts import (
    LOGIN_DEFS,
    login_defs,
    no_empty_passwords,
    parse_login_defs,
    uid0_accounts,
)
from assessor.checks.core import (
    COMPARISONS,
    KINDS,
    CheckKind,
    Observation,
    Params,
    Snapshot,
    as_int,
    compare,
    judge,
    names_of,
    params_problem,
    probes_for,
    register,
    verdict,
)
from assessor.checks.files import file_permissions
from assessor.checks.kernel import sysctl
from assessor.checks.packages import installed, package_absent
from assessor.checks.sshd import parse_sshd_t, sshd_effective

__all__ = [
    "COMPARISONS",
    "KINDS",
    "LOGIN_DEFS",
    "CheckKind",
    "Observation",
    "Params",
    "Snapshot",
    "accounts",
    "as_int",
    "compare",
    "file_permissions",
    "files",
    "installed",
    "judge",
    "kernel",
    "login_defs",
    "manual",
    "names_of",
    "no_empty_passwords",
    "package_absent",
    "packages",
    "params_problem",
    "parse_login_defs",
    "parse_sshd_t",
    "probes_for",
    "register",
    "sshd",
    "sshd_effective",
    "sysctl",
    "uid0_accounts",
    "verdict",
]
