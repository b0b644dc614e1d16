"""PAM stack files and `key = value` configuration files, edited in memory line by line.

Shared by the assessor_pam module. It reads a stack with the same reader as
assessor/checks/pam.py (module_utils/assessor_pamsyntax: comments, `\\` continuations,
`[...]` controls, `@include` and include/substack), so the lines edited are exactly the
lines judged. An argument edit keeps everything up to the
module name byte for byte: pam-auth-update recognises its own lines by that prefix and
keeps such local argument changes when it later rewrites the common-* files.
Stdlib only: it runs on the target's python3.
"""

from __future__ import annotations

import re

from ansible.module_utils.assessor_pamsyntax import (
    MAX_DEPTH,
    classify,
    logical_lines,
    service_path,
    spans,
    words_of,
)


class Files:
    """Each file read once; `lines` is edited, `original` and `disk` are what was there."""

    def __init__(self):
        self.original = {}
        self.disk = {}
        self.lines = {}

    def get(self, path):
        if path not in self.lines:
            text = read(path)
            self.original[path] = text
            self.disk[path] = text
            self.lines[path] = None if text is None else text.splitlines()
        return self.lines[path]

    def refresh(self, path):
        """Re-read a file something else (pam-auth-update) rewrote; `original` stays."""
        self.get(path)
        text = read(path)
        self.disk[path] = text
        self.lines[path] = None if text is None else text.splitlines()

    def text(self, path):
        lines = self.lines.get(path)
        if lines is None:
            return None
        return "\n".join(lines) + "\n" if lines else ""

    def pending(self):
        """Paths whose edited text differs from what is on disk now."""
        return [p for p in self.lines if self.lines[p] is not None
                and self.text(p) != self.disk[p]]

    def touched(self):
        """Paths whose final text differs from what was there before the run."""
        return [p for p in self.lines if self.text(p) != self.original[p]]


def read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


class Entry:
    """One logical line of a stack file: a module line or an include."""

    def __init__(self, path, first, last, words, include=None):
        self.path, self.first, self.last, self.words = path, first, last, words
        self.include = include  # (service, type or None) for includes

    @property
    def type(self):
        return self.words[0].lower().lstrip("-")

    @property
    def module_name(self):
        return self.words[2].rsplit("/", 1)[-1]

    @property
    def args(self):
        return list(self.words[3:])


def entries(lines, path):
    out = []
    for first, last, joined in logical_lines(lines):
        words = words_of(joined)
        kind = classify(words)
        if kind is None:
            continue
        include = (kind[1], kind[2]) if kind[0] == "include" else None
        out.append(Entry(path, first, last, words, include))
    return out


def stack(files, service, type_, depth=0):
    """Module lines of one type of a service's stack, in order, includes resolved."""
    lines = files.get(service_path(service))
    if lines is None or depth > MAX_DEPTH:
        return []
    out = []
    for entry in entries(lines, service_path(service)):
        if entry.include:
            if entry.include[1] in (None, type_):
                out.extend(stack(files, entry.include[0], type_, depth + 1))
        elif entry.type == type_:
            out.append(entry)
    return out


def module_lines(files, service, type_, module):
    return [e for e in stack(files, service, type_) if e.module_name == module]


def set_args(files, entry, args):
    """Rewrite an entry's arguments; returns (old text, new text)."""
    lines = files.lines[entry.path]
    old = lines[entry.first:entry.last + 1]
    if entry.first == entry.last:
        code, hash_, comment = old[0].partition("#")
        end = spans(code)[2][2]
        new = code[:end] + (" " + " ".join(args) if args else "")
        if hash_:
            new += " #" + comment
    else:
        new = "\t".join(entry.words[:3]) + (" " + " ".join(args) if args else "")
    lines[entry.first:entry.last + 1] = [new]
    return "\n".join(old), new


def with_option(args, option, value):
    """Arguments with `option` set to value (a bare flag for "true"), at its old place."""
    word = option if value == "true" else f"{option}={value}"
    out, placed = [], False
    for arg in args:
        if arg.partition("=")[0] == option:
            if not placed:
                out.append(word)
                placed = True
            continue
        out.append(arg)
    return out if placed else [*out, word]


def insert_line(files, path, type_, text, after):
    """Put a module line in a service file: after the last `after` module line of the
    type, else before the first line of the type (or include), else at the end."""
    lines = files.get(path)
    found = entries(lines, path)
    anchors = [e for e in found if not e.include and e.type == type_
               and e.module_name == after]
    if anchors:
        index = anchors[-1].last + 1
    else:
        first = [e for e in found if (e.include and e.include[1] in (None, type_))
                 or (not e.include and e.type == type_)]
        index = first[0].first if first else len(lines)
    lines.insert(index, text)


def set_conf(lines, key, value):
    """`key = value` (or bare `key` for "true") in a conf file's lines; returns (old line
    or None, new line or None when nothing changed). Other live lines for the key go."""
    wanted = key if value == "true" else f"{key} = {value}"
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*(=|$)")
    hits = [i for i, line in enumerate(lines) if pattern.match(line)]
    if len(hits) == 1 and lines[hits[0]] == wanted:
        return None, None
    old = lines[hits[0]] if hits else None
    if hits:
        lines[hits[0]] = wanted
        for i in reversed(hits[1:]):
            del lines[i]
    else:
        lines.append(wanted)
    return old, wanted
