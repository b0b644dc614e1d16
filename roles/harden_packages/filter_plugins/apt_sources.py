"""Jinja filter: an APT source file's text with every signature bypass taken out.

One-line sources (`deb [trusted=yes arch=amd64] uri suite`) lose the insecure options
from their brackets (the brackets too when nothing is left); deb822 `.sources` stanzas
lose their `Trusted: yes` / `Allow-Insecure: yes` fields. The options are exactly those
the assessor's `apt_sources_signed` check rejects; everything else, comments and blank
lines included, stays byte for byte. Runs on the controller: pure text in, text out.
"""

from __future__ import annotations

import re
from typing import Any

INSECURE_OPTIONS = ("trusted", "allow-insecure", "allow-weak", "allow-downgrade-to-insecure")
TRUE_WORDS = ("yes", "true", "with", "on", "enable", "1")
BRACKET = re.compile(r"^(\s*deb(?:-src)?\s+)\[([^\]]*)\](\s*)")


def insecure(option: str) -> bool:
    key, _, value = option.partition("=")
    return key.lower() in INSECURE_OPTIONS and value.lower() in TRUE_WORDS


def one_line(line: str) -> str:
    code, hash_, comment = line.partition("#")
    match = BRACKET.match(code)
    if not match:
        return line
    options = match.group(2).split()
    kept = [o for o in options if not insecure(o)]
    if kept == options:
        return line
    head = match.group(1) + (f"[{' '.join(kept)}]" + match.group(3) if kept else "")
    return head + code[match.end():] + hash_ + comment


def deb822_line(line: str) -> str | None:
    """None when the line is an insecure field (dropped), else the line."""
    code = line.split("#", 1)[0]
    key, sep, value = code.partition(":")
    if sep and not line[:1].isspace() and key.strip().lower() in INSECURE_OPTIONS and (
            value.strip().lower() in TRUE_WORDS):
        return None
    return line


def apt_sources_signed(text: Any, path: str) -> str:
    """`text` of the source file at `path`, its signature bypasses removed."""
    out: list[str] = []
    for line in str(text).splitlines(keepends=True):
        body = line.rstrip("\r\n")
        end = line[len(body):]
        if path.endswith(".sources"):
            kept = deb822_line(body)
            if kept is not None:
                out.append(kept + end)
        else:
            out.append(one_line(body) + end)
    return "".join(out)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"apt_sources_signed": apt_sources_signed}
