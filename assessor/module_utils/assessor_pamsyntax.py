"""PAM stack syntax as libpam reads it: one reader for the checks and the harden_pam module.

A stack file is `type control module [args...]` lines: `#` starts a comment anywhere on a
line, a trailing backslash continues it, a control may be a `[value=action ...]` bracket
with spaces, a leading `-` on the type means "skip when the module is missing", and
`@include file` (or `type include|substack file`) pulls in another stack. The checks judge
exactly the lines the module edits because both read them here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional, Union

PAM_DIR = "/etc/pam.d"
TYPES = ("auth", "account", "password", "session")
MAX_DEPTH = 8

# ("include", service, type or None for @include) or ("module", type, optional)
Kind = Union[tuple[str, str, Optional[str]], tuple[str, str, bool]]


def logical_lines(lines: Sequence[str]) -> list[tuple[int, int, str]]:
    """(first, last, text): the 0-based physical lines joined by continuations, comments cut.
    A continuation left open at the end of the file still ends its line, as in libpam."""
    out = []
    pending: list[str] = []
    first = 0
    for number, raw in enumerate(lines):
        code = raw.split("#", 1)[0]
        if not pending:
            first = number
        if "#" not in raw and code.rstrip().endswith("\\"):
            pending.append(code.rstrip()[:-1])
            continue
        pending.append(code)
        joined = " ".join(pending).strip()
        pending = []
        if joined:
            out.append((first, number, joined))
    joined = " ".join(pending).strip()
    if joined:
        out.append((first, len(lines) - 1, joined))
    return out


def spans(code: str) -> list[tuple[str, int, int]]:
    """(word, start, end) of each word; a `[...]` group (with `\\]` inside) is one word."""
    out = []
    i = 0
    while i < len(code):
        if code[i].isspace():
            i += 1
            continue
        j = i
        if code[i] == "[":
            j = i + 1
            while j < len(code) and code[j] != "]":
                j += 2 if code[j] == "\\" else 1
            j += 1
        else:
            while j < len(code) and not code[j].isspace():
                j += 1
        out.append((code[i:j], i, j))
        i = j
    return out


def words_of(code: str) -> list[str]:
    return [word for word, _, _ in spans(code)]


def classify(words: Sequence[str]) -> Kind | None:
    """What a logical line is; None for a line libpam logs and skips."""
    if words and words[0] == "@include" and len(words) > 1:
        return ("include", words[1], None)
    if len(words) < 3:
        return None
    kind = words[0].lower()
    optional = kind.startswith("-")
    kind = kind.lstrip("-")
    if kind not in TYPES:
        return None
    if words[1].lower() in ("include", "substack"):
        return ("include", words[2], kind)
    return ("module", kind, optional)


def service_path(service: str) -> str:
    return service if service.startswith("/") else f"{PAM_DIR}/{service}"


def arg_value(args: Sequence[str], option: str) -> str | None:
    """The last `option=value` (or bare `option`, as "true") among a module's arguments."""
    found = None
    for arg in args:
        key, sep, value = arg.partition("=")
        if key == option:
            found = value if sep else "true"
    return found


def has_arg(args: Sequence[str], wanted: str) -> bool:
    """`remember` matches `remember=5`; `group=wheel` must match exactly."""
    if "=" in wanted:
        return wanted in args
    return any(a == wanted or a.startswith(wanted + "=") for a in args)
