"""The shell environment every login gets: TMOUT in /etc/profile, profile.d and bashrc.

What counts is the value a login shell ends with: bash reads /etc/bash.bashrc (from
Debian's /etc/profile, for an interactive shell), then /etc/profile and the
/etc/profile.d/*.sh it sources in name order; once TMOUT is readonly, the shell refuses
every later assignment (`TMOUT: readonly variable`), so a `TMOUT=0` after it is no gap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assessor.checks.config import read_files
from assessor.checks.core import Observation, Params, Snapshot, names_of, register
from assessor.results import Status

SHELL_FILES = ("/etc/bash.bashrc", "/etc/profile", "/etc/profile.d/*.sh")  # reading order
ASSIGN = re.compile(r"(?:^|[\s;])(?:(?:readonly|export|declare|typeset)(?:\s+-\w+)*\s+)?"
                    r"TMOUT=[\"']?(\d+)[\"']?(?=$|[\s;])")
READONLY = re.compile(r"(?:^|[\s;])(?:readonly(?:\s+-\w+)*|(?:declare|typeset)\s+-\w*r\w*)"
                      r"\s+(?:\w+=?\S*\s+)*TMOUT\b")
EXPORT = re.compile(r"(?:^|[\s;])(?:export(?:\s+-\w+)*|(?:declare|typeset)\s+-\w*x\w*)"
                    r"\s+(?:\w+=?\S*\s+)*TMOUT\b")


def code_lines(text: str) -> list[tuple[int, str]]:
    """(number, line) without comments: a `#` at a word's start begins one in sh."""
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if line:
            out.append((number, line))
    return out


def login_order(files: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The files in the order a login shell reads them (profile.d by name, as its glob)."""
    rank = {"/etc/bash.bashrc": 0, "/etc/profile": 1}
    return sorted(files, key=lambda f: (rank.get(f[0], 2), f[0].encode()))


@dataclass
class Timeout:
    """TMOUT as the shell builds it, file by file: value, readonly, exported."""

    value: tuple[int, str] | None = None
    readonly: str = ""
    exported: str = ""
    refused: list[str] = field(default_factory=list)

    def read(self, where: str, line: str) -> None:
        for value in ASSIGN.findall(line):
            if self.readonly:
                self.refused.append(f"TMOUT={value} ({where})")
            else:
                self.value = (int(value), where)
        if READONLY.search(line) and not self.readonly:
            self.readonly = where
        if EXPORT.search(line) and not self.exported:
            self.exported = where


@register("shell_timeout", lambda p: {"files": names_of(p.get("files")) or list(SHELL_FILES)},
          required=("max",), optional=("files",))
def shell_timeout(snapshot: Snapshot, params: Params) -> Observation:
    """CIS 5.4.3.2: a login shell ends with TMOUT at 1..max seconds, readonly and exported
    (TMOUT=0 is no timeout; an assignment the shell refuses once TMOUT is readonly is
    reported, not counted)."""
    limit = int(params["max"])
    files = login_order(read_files(snapshot, names_of(params.get("files")) or list(SHELL_FILES)))
    shell = Timeout()
    for path, text in files:
        for number, line in code_lines(text):
            shell.read(f"{path}:{number}", line)
    expected = f"a login shell ends with TMOUT 1..{limit}, readonly and exported"
    observed = (f"TMOUT={shell.value[0]} ({shell.value[1]})" if shell.value else "TMOUT not set")
    if shell.refused:
        observed += f"; refused as readonly: {', '.join(shell.refused)}"
    evidence = (f"read {', '.join(p for p, _ in files) or 'no file'} in login order; readonly "
                f"at {shell.readonly or 'none'}; exported at {shell.exported or 'none'}")
    problems = []
    if shell.value is None:
        problems.append(f"no file sets TMOUT to {limit} or less")
    elif not 0 < shell.value[0] <= limit:
        problems.append(f"TMOUT={shell.value[0]} ({shell.value[1]}) is 0 or above {limit}")
    if shell.value and not shell.readonly:
        problems.append("TMOUT is not readonly, so a user can unset it")
    if shell.value and not shell.exported:
        problems.append("TMOUT is not exported")
    if problems:
        return Observation(Status.FAIL, expected, observed, "; ".join(problems), evidence)
    return Observation(Status.PASS, expected, observed, f"shells time out: {observed}",
                       evidence)
