"""PAM stacks, read in order as libpam reads them (sudoers is in `sudoers`).

A stack file is `type control module [args...]` lines: `#` starts a comment anywhere on a
line, a trailing backslash continues it, a control may be a `[value=action ...]` bracket
with spaces, a leading `-` on the type means "skip when the module is missing", and
`@include file` (or `type include|substack file`) pulls in another stack. A module's own
arguments override its configuration file (pwquality.conf, faillock.conf,
pwhistory.conf), which in turn overrides the built-in default.
"""

from __future__ import annotations

from dataclasses import dataclass

from assessor.checks.config import judge_value, live_lines, read_files
from assessor.checks.core import Observation, Params, Snapshot, names_of, register, verdict
from assessor.module_utils import assessor_pamsyntax as syntax
from assessor.module_utils.assessor_pamsyntax import arg_value, has_arg
from assessor.results import Status

PAM_DIR, MAX_DEPTH, TYPES = syntax.PAM_DIR, syntax.MAX_DEPTH, syntax.TYPES


@dataclass(frozen=True)
class PamLine:
    type: str
    control: str
    module: str
    args: tuple[str, ...]
    source: str
    optional: bool = False

    @property
    def module_name(self) -> str:
        """`pam_unix.so`, whether the line names it bare or by full path."""
        return self.module.rsplit("/", 1)[-1]

    def text(self) -> str:
        return " ".join((("-" if self.optional else "") + self.type, self.control, self.module,
                         *self.args))


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) after joining continuations and cutting comments."""
    return [(first + 1, joined) for first, _, joined in syntax.logical_lines(text.splitlines())]


def tokens(line: str) -> list[str]:
    """Whitespace-separated words, a `[...]` group (with `\\]` inside) kept as one word."""
    return syntax.words_of(line)


@dataclass(frozen=True)
class Include:
    name: str
    type: str | None  # None: every type (@include)
    source: str


def parse_pam(text: str, path: str = "") -> list[PamLine | Include]:
    entries: list[PamLine | Include] = []
    for number, line in logical_lines(text):
        source = f"{path}:{number}"
        words = tokens(line)
        kind = syntax.classify(words)
        if kind is None:
            continue  # libpam logs and skips a malformed line
        if kind[0] == "include":
            entries.append(Include(kind[1], kind[2] if isinstance(kind[2], str) else None,
                                   source))
            continue
        entries.append(PamLine(kind[1], words[1], words[2], tuple(words[3:]), source,
                               bool(kind[2])))
    return entries


def stack(files: dict[str, str], service: str, type_: str | None = None,
          depth: int = 0) -> list[PamLine]:
    """Lines of a service's stack in order, includes resolved, optionally of one type."""
    path = service if service.startswith("/") else f"{PAM_DIR}/{service}"
    if depth > MAX_DEPTH or path not in files:
        return []
    lines: list[PamLine] = []
    for entry in parse_pam(files[path], path):
        if isinstance(entry, Include):
            if type_ is None or entry.type in (None, type_):
                lines.extend(stack(files, entry.name, entry.type or type_, depth + 1))
        elif type_ is None or entry.type == type_:
            lines.append(entry)
    return lines


def pam_files(snapshot: Snapshot) -> dict[str, str]:
    return dict(read_files(snapshot, [f"{PAM_DIR}/*"]))


def module_lines(snapshot: Snapshot, params: Params) -> tuple[list[PamLine], str]:
    service, type_ = str(params["service"]), str(params["type"])
    lines = stack(pam_files(snapshot), service, type_)
    module = str(params["module"])
    where = f"{type_} stack of {PAM_DIR}/{service}"
    return [line for line in lines if line.module_name == module], where


def pam_probes(params: Params) -> dict[str, list[str]]:
    return {"files": [f"{PAM_DIR}/*", *names_of(params.get("conf"))]}


@register(
    "pam_module",
    pam_probes,
    required=("service", "type", "module"),
    optional=("args_all", "args_none", "args_one_of", "absent"),
)
def pam_module(snapshot: Snapshot, params: Params) -> Observation:
    """The module is (or with `absent`, is not) in the stack, with or without arguments."""
    found, where = module_lines(snapshot, params)
    module = str(params["module"])
    evidence = "\n".join(f"{line.source}: {line.text()}" for line in found) or f"{where}: " \
        f"no {module}"
    if params.get("absent"):
        observed = f"{module} in {where}" if found else f"no {module} in {where}"
        return verdict(not found, f"no {module}", observed, module, evidence)
    if not found:
        return Observation(Status.FAIL, f"{module} in {where}", "not in the stack",
                           f"{module} is not in the {where}", evidence)
    problems = []
    for line in found:
        missing = [a for a in names_of(params.get("args_all")) if not has_arg(line.args, a)]
        extra = [a for a in names_of(params.get("args_none")) if has_arg(line.args, a)]
        one_of = names_of(params.get("args_one_of"))
        if missing:
            problems.append(f"{line.source} lacks {', '.join(missing)}")
        if extra:
            problems.append(f"{line.source} has {', '.join(extra)}")
        if one_of and not any(has_arg(line.args, a) for a in one_of):
            problems.append(f"{line.source} has none of {', '.join(one_of)}")
    expected = _expected(params, module)
    observed = "; ".join(line.text() for line in found)
    if problems:
        return Observation(Status.FAIL, expected, observed, "; ".join(problems), evidence)
    return Observation(Status.PASS, expected, observed, f"{where}: {observed}", evidence)


def _expected(params: Params, module: str) -> str:
    parts = [module]
    if params.get("args_all"):
        parts.append("with " + ", ".join(names_of(params["args_all"])))
    if params.get("args_none"):
        parts.append("without " + ", ".join(names_of(params["args_none"])))
    if params.get("args_one_of"):
        parts.append("with one of " + ", ".join(names_of(params["args_one_of"])))
    return " ".join(parts)


def conf_value(snapshot: Snapshot, patterns: list[str], option: str) -> tuple[str, str] | None:
    """(value, where) from `key = value` / bare `key` files; the last file read wins."""
    found = None
    for path, text in read_files(snapshot, patterns):
        for number, line in live_lines(text, "#"):
            key, sep, value = line.partition("=")
            if key.strip() == option:
                found = (value.strip() if sep else "true", f"{path}:{number}: {line}")
    return found


def effective_option(snapshot: Snapshot, params: Params, found: list[PamLine],
                     option: str) -> tuple[str | None, str]:
    """(value, evidence) of a module option: its argument in the stack (the last line's),
    else its conf file, else None; a bare flag reads "true"."""
    from_args = [(v, line) for line in found if (v := arg_value(line.args, option)) is not None]
    if from_args:
        value, line = from_args[-1]
        return value, f"{line.source}: {line.text()}"
    from_conf = conf_value(snapshot, names_of(params.get("conf")), option)
    if from_conf:
        return from_conf
    return None, f"{option} set neither in {params['module']} arguments nor in " \
        f"{', '.join(names_of(params.get('conf'))) or 'a conf file'}"


@register(
    "pam_option",
    pam_probes,
    required=("service", "type", "module", "option"),
    optional=("conf", "default", "present", "unbounded", "expect", "one_of", "max", "min"),
)
def pam_option(snapshot: Snapshot, params: Params) -> Observation:
    """A module setting: its argument in the stack, else its conf file, else the default."""
    found, where = module_lines(snapshot, params)
    module, option = str(params["module"]), str(params["option"])
    if not found:
        return Observation(Status.FAIL, f"{module} in {where}", f"{module} not in the stack",
                           f"{module} is not in the {where}, so {option} is not enforced",
                           f"{where}: no {module}")
    observed, evidence = effective_option(snapshot, params, found, option)
    shown = observed if observed is not None else "not set"
    if observed is None and "default" in params:
        observed = str(params["default"])
        shown = f"{observed} (not set; default)"
    ok, expected = judge_value(observed, params)
    return verdict(ok, expected, shown, f"{module} {option}", evidence)


@register(
    "faillock_root",
    pam_probes,
    required=("service", "type", "module"),
    optional=("conf", "min_unlock"),
)
def faillock_root(snapshot: Snapshot, params: Params) -> Observation:
    """CIS 5.3.3.1.3: pam_faillock locks root too, by even_deny_root or by root_unlock_time
    (which, pam_faillock(8) says, implies even_deny_root); a root_unlock_time below
    `min_unlock` (60 s) fails whichever of the two is set."""
    found, where = module_lines(snapshot, params)
    module, least = str(params["module"]), int(params.get("min_unlock", 60))
    expected = f"even_deny_root, or root_unlock_time >= {least}; no root_unlock_time < {least}"
    if not found:
        return Observation(Status.FAIL, expected, f"{module} not in the stack",
                           f"{module} is not in the {where}, so root is never locked",
                           f"{where}: no {module}")
    deny, deny_where = effective_option(snapshot, params, found, "even_deny_root")
    unlock, unlock_where = effective_option(snapshot, params, found, "root_unlock_time")
    evidence = f"{deny_where}\n{unlock_where}"
    seconds = None if unlock is None else int(unlock) if unlock.lstrip("-").isdigit() else -1
    observed = (f"even_deny_root {'set' if deny is not None else 'not set'}, root_unlock_time "
                f"{unlock if unlock is not None else 'not set'}")
    if seconds is not None and seconds < least:
        return Observation(Status.FAIL, expected, observed,
                           f"root_unlock_time {unlock} is below {least} seconds", evidence)
    if deny is None and seconds is None:
        return Observation(Status.FAIL, expected, observed, "neither even_deny_root nor "
                           "root_unlock_time is set: failed logins never lock root", evidence)
    return Observation(Status.PASS, expected, observed, f"{module} locks root: {observed}",
                       evidence)
