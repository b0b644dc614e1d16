"""What removing a hunt rule's hit means, declared on the rule (`remove:`) as data.

An action names what roles/quarantine's module does on the host for one hit; `by_kind`
picks another action for hits of a given kind (an at job is a whole file, a crontab line
is one line); `also` adds actions for the same hit (a C2 socket's /etc/hosts entry).
`reinstall` is restore's package step, and `none` says why nothing is removed: either
is named in restore's verdict, never silently skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assessor.errors import ConfigError
from assessor.yamlfile import strip_lines

ACTIONS = {
    "file": "the file is moved into the host's vault (restorable)",
    "line": "the line is removed from its file, the original file kept in the vault "
            "(restorable); mode, owner and inode kept, never through a symlink",
    "unit": "the unit is stopped, its enabling links removed and its file moved into the "
            "vault (the file is restorable)",
    "process": "the executable is kept in the vault, then the process's own unit is stopped "
               "and removed, or the process killed (not reversible)",
    "account": "the account is locked and removed, passwd, shadow, group and gshadow kept "
               "in the vault first (not reversible by restore)",
    "shell": "the account's login shell is set back to /usr/sbin/nologin (reversible)",
    "unmount": "what is mounted over /proc/PID is unmounted (not reversible)",
    "hosts-entry": "the /etc/hosts lines naming the indicator are removed (restorable)",
    "reinstall": "restore reinstalls the owning package at its installed version",
    "none": "nothing is removed automatically",
}
KEYS = ("action", "by_kind", "also", "why")


@dataclass(frozen=True)
class Removal:
    action: str = "none"
    by_kind: Mapping[str, str] = field(default_factory=dict)
    also: tuple[str, ...] = ()
    why: str = "the rule declares no removal"

    def actions_for(self, kind: str = "") -> tuple[str, ...]:
        """The actions one hit (of this kind) takes, in order."""
        return (self.by_kind.get(kind, self.action), *self.also)


def parse_removal(where: str, value: Any) -> Removal:
    """A rule's `remove:` (an action name, or a mapping of KEYS); errors name the rule."""
    if value is None:
        return Removal()
    if isinstance(value, str):
        value = {"action": value}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: remove must be an action or a mapping of "
                          f"{', '.join(KEYS)}")
    data = strip_lines(value)
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ConfigError(f"{where}: remove: unknown key {unknown[0]} (known: {', '.join(KEYS)})")
    by_kind = data.get("by_kind") or {}
    also = data.get("also") or []
    also = [also] if isinstance(also, str) else also
    named = [data.get("action", "none"), *by_kind.values(), *also]
    bad = [a for a in named if a not in ACTIONS]
    if bad or not isinstance(by_kind, dict):
        raise ConfigError(f"{where}: remove: action {bad[0] if bad else by_kind!r} is not one "
                          f"of {', '.join(ACTIONS)}")
    action = str(data.get("action", "none"))
    why = str(data.get("why") or ACTIONS[action])
    return Removal(action, {str(k): str(v) for k, v in by_kind.items()},
                   tuple(str(a) for a in also), why)
