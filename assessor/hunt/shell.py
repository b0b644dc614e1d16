"""What a persistence line runs: the commands of a crontab, unit or shell line, and the
signs of an implant in them (run from a world-writable or hidden path, a download piped
to a shell). Pure text analysis: nothing is executed or resolved.
"""

from __future__ import annotations

import re
import shlex

# Split a shell line into simple commands (what starts a new command position).
_SEPARATORS = re.compile(r"\|\||&&|[;|&\n`]|\$\(|\(|\)|\{|\}")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SCHEDULE_FIELD = re.compile(r"^[0-9*/,\-A-Za-z]+$")
KEYWORDS = {"if", "then", "elif", "else", "fi", "do", "done", "while", "until", "for", "!",
            "case", "esac", "in", "function", "time"}
# Wrappers whose argument is what really runs.
WRAPPERS = {"nohup", "exec", "sudo", "env", "nice", "setsid", "ionice", "chroot", "stdbuf",
            "command", "builtin", "eval", "xargs", "busybox", "su"}
INTERPRETERS = re.compile(r"^(?:ba|da|z|k|a)?sh$|^python[0-9.]*$|^perl$|^php[0-9.]*$|^ruby$")
SHELLS = re.compile(r"^(?:ba|da|z|k|a)?sh$")
SOURCING = {".", "source"}
DOWNLOAD_TO_SHELL = re.compile(
    r"\b(?:curl|wget|fetch|ftp|tftp|nc|ncat)\b[^|\n]*\|\s*(?:sudo\s+)?(?:\S*/)?"
    r"(?:(?:ba|da|z|k|a)?sh|python[0-9.]*|perl)\b"
    r"|\b(?:(?:ba|da|z|k)?sh|python[0-9.]*)\s+-c\s+[\"']?\$\(\s*(?:curl|wget)\b"
)


def words(segment: str) -> list[str]:
    try:
        return shlex.split(segment, comments=False, posix=True)
    except ValueError:  # unbalanced quotes: still judge the words
        return segment.replace('"', " ").replace("'", " ").split()


def strip_schedule(line: str, kind: str) -> str:
    """The command part of a crontab (with or without a user field) or anacrontab line."""
    parts = line.split()
    if _ASSIGNMENT.match(line):
        return ""
    if kind == "anacrontab":
        return " ".join(parts[3:]) if len(parts) > 3 else ""
    if kind not in ("crontab", "user-crontab"):
        return line
    skip = 1 if line.startswith("@") else 5
    if skip == 5 and not all(_SCHEDULE_FIELD.match(p) for p in parts[:5]):
        return line
    if kind == "crontab":
        skip += 1  # /etc/crontab and /etc/cron.d name the user
    return " ".join(parts[skip:])


def unit_command(text: str) -> str:
    """The command of a systemd Exec*= line, without its `-@:+!` prefixes."""
    key, _, value = text.partition("=")
    return value.strip().lstrip("-@:+!|") if key.strip().startswith("Exec") else ""


def executed(command: str) -> list[tuple[str, bool]]:
    """Each path the line runs, and whether it is only sourced (`.`, `source`)."""
    found: list[tuple[str, bool]] = []
    for segment in _SEPARATORS.split(command):
        sourced = False
        queue = words(segment)
        while queue:
            word = queue.pop(0)
            if _ASSIGNMENT.match(word) or word in KEYWORDS or word in WRAPPERS:
                continue
            if word.startswith("-") and found:
                continue
            base = word.rsplit("/", 1)[-1]
            if word in SOURCING:
                sourced = True
                continue
            if INTERPRETERS.match(base):
                script = next((w for w in queue if not w.startswith("-")), None)
                if script is not None and "-c" in queue[: queue.index(script)]:
                    if SHELLS.match(base):
                        found += executed(script)  # sh -c '...': what the string runs
                elif script is not None:
                    found.append((script, False))
                found.append((word, False))
                break
            found.append((word, sourced))
            break
    return found


def hidden_dir(path: str) -> bool:
    parts = [p for p in path.split("/")[:-1] if p not in ("", ".", "..", "~")]
    return any(p.startswith(".") for p in parts)


def risks(command: str, writable: tuple[str, ...]) -> list[str]:
    """Why this command looks like an implant (empty when it does not)."""
    why: list[str] = []
    if DOWNLOAD_TO_SHELL.search(command):
        why.append("pipes a download to an interpreter")
    for path, sourced in executed(command):
        if path.startswith(tuple(d.rstrip("/") + "/" for d in writable)):
            why.append(f"runs {path} from a world-writable directory")
        elif sourced:
            continue  # `. ~/.cargo/env`: sourcing the user's own dot files is how rc files work
        elif hidden_dir(path):
            why.append(f"runs {path} from a hidden directory")
        elif path.rsplit("/", 1)[-1].startswith(".") and "/" in path:
            why.append(f"runs the hidden file {path}")
    return why
