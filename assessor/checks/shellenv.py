"""The shell environment every login gets: TMOUT in /etc/profile, profile.d and bashrc."""

from __future__ import annotations

import re

from assessor.checks.config import read_files
from assessor.checks.core import Observation, Params, Snapshot, names_of, register
from assessor.results import Status

SHELL_FILES = ("/etc/profile", "/etc/profile.d/*.sh", "/etc/bash.bashrc")
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


@register("shell_timeout", lambda p: {"files": names_of(p.get("files")) or list(SHELL_FILES)},
          required=("max",), optional=("files",))
def shell_timeout(snapshot: Snapshot, params: Params) -> Observation:
    """CIS 5.4.3.2: TMOUT is set to 1..max seconds, readonly and exported in the files a
    login shell reads, and no file sets it higher (or to 0, no timeout)."""
    limit = int(params["max"])
    files = read_files(snapshot, names_of(params.get("files")) or list(SHELL_FILES))
    values, readonly, exported = [], [], []
    for path, text in files:
        for number, line in code_lines(text):
            where = f"{path}:{number}"
            values += [(int(v), where) for v in ASSIGN.findall(line)]
            if READONLY.search(line):
                readonly.append(where)
            if EXPORT.search(line):
                exported.append(where)
    expected = f"TMOUT 1..{limit}, readonly and exported; none higher"
    good = [f"TMOUT={v} ({w})" for v, w in values if 0 < v <= limit]
    bad = [f"TMOUT={v} ({w})" for v, w in values if not 0 < v <= limit]
    observed = "; ".join(good + bad) or "TMOUT not set"
    evidence = (f"read {', '.join(p for p, _ in files) or 'no file'}; readonly at "
                f"{', '.join(readonly) or 'none'}; exported at {', '.join(exported) or 'none'}")
    problems = []
    if bad:
        problems.append(f"{', '.join(bad)} is 0 or above {limit}")
    if not good:
        problems.append(f"no file sets TMOUT to {limit} or less")
    if good and not readonly:
        problems.append("TMOUT is not readonly, so a user can unset it")
    if good and not exported:
        problems.append("TMOUT is not exported")
    if problems:
        return Observation(Status.FAIL, expected, observed, "; ".join(problems), evidence)
    return Observation(Status.PASS, expected, observed, f"shells time out: {observed}",
                       evidence)
