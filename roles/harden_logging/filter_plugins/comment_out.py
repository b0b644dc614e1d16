"""Jinja filter: a configuration text with the statements a pattern matches commented out.

A control that forbids lines (a `file_lines` check with `forbid`) is met by commenting
the matching lines out, never by deleting them, so the operator sees what was there.
rsyslog's RainerScript statements (`module(load="imtcp" ...)`, `input(...)`) may span
several lines: when a matching line opens a parenthesis it does not close, the lines up
to the closing one are commented out with it, so no half statement is left behind.
Runs on the controller: pure text in, text out.
"""

from __future__ import annotations

import re
from typing import Any

MARK = "# assessor: "


def depth_change(line: str) -> int:
    """Parentheses opened minus closed, outside double-quoted strings."""
    code = re.sub(r'"(?:\\.|[^"\\])*"', '""', line.split("#", 1)[0])
    return code.count("(") - code.count(")")


def comment_out(text: Any, pattern: str, ignore_case: bool = False,
                comment: str = "#") -> str:
    """`text` with every live line matching `pattern` (and its continuation) commented."""
    regex = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    out: list[str] = []
    depth = 0
    for line in str(text).splitlines(keepends=True):
        body = line.rstrip("\r\n")
        stripped = body.strip()
        live = bool(stripped) and not (comment and stripped[0] in comment)
        if depth > 0:
            out.append(MARK + line)
            depth = max(depth + depth_change(body), 0)
            continue
        if live and regex.search(stripped):
            out.append(MARK + line)
            depth = max(depth_change(body), 0)
            continue
        out.append(line)
    return "".join(out)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"comment_out": comment_out}
