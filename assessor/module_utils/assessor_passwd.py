"""/etc/passwd, /etc/shadow and /etc/group: one reader for collect and harden_accounts."""

from __future__ import annotations

from typing import Any


def parse_passwd(text: str | None) -> list[dict[str, Any]]:
    """Every well-formed entry (7 fields) with its line number; the password field as is."""
    users = []
    for number, line in enumerate((text or "").splitlines(), 1):
        parts = line.split(":")
        if len(parts) >= 7:
            users.append({"name": parts[0], "passwd": parts[1], "uid": parts[2],
                          "gid": parts[3], "home": parts[5], "shell": parts[6],
                          "line": number})
    return users


def parse_shadow(text: str | None) -> dict[str, str]:
    """Password field per account; the first entry of a name wins, as getspnam reads it."""
    fields: dict[str, str] = {}
    for line in (text or "").splitlines():
        parts = line.split(":")
        if len(parts) >= 2:
            fields.setdefault(parts[0], parts[1])
    return fields


def parse_group(text: str | None) -> list[dict[str, Any]]:
    groups = []
    for number, line in enumerate((text or "").splitlines(), 1):
        parts = line.split(":")
        if len(parts) >= 4:
            members = [m for m in parts[3].split(",") if m]
            groups.append({"name": parts[0], "gid": parts[2], "members": members,
                           "line": number})
    return groups
